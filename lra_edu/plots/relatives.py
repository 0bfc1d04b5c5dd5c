"""Figures and small measuring helpers for the "Relatives" chapters of the book.

Feedback alignment (angles between forward and feedback weights, per-layer update
angles to backprop), difference target propagation (DTP-σ's noise levels), equilibrium
propagation (the energy during relaxation) and stochastic binary networks (exact
moments of a gradient estimator, bands against the exact gradient). The helpers that
measure work on either backend; arrays reach matplotlib through
:func:`lra_edu.backend.to_numpy`. Every plot draws on ``ax`` when given one and returns
the ``Axes`` it drew on.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes

from lra_edu.algorithms.base import Algorithm
from lra_edu.algorithms.bp import BP
from lra_edu.algorithms.equil_prop import EquilProp
from lra_edu.algorithms.stochastic import Sample, StochasticEstimator
from lra_edu.backend import asarray, to_numpy, xp_of
from lra_edu.metrics import angle
from lra_edu.mlp import MLP
from lra_edu.plots import _axes

Array = Any

# --------------------------------------------------------------------------- feedback alignment


def feedback_angles(net: MLP, algorithm: Algorithm) -> dict[int, float]:
    """Angle (degrees) between ``W_l^T`` and FA's fixed feedback ``B_l`` for each ``l`` of ``algorithm.B``."""
    feedback = getattr(algorithm, "B", None)
    if not feedback:
        raise ValueError("feedback_angles needs an algorithm with feedback matrices B (FA, after setup)")
    out = {}
    for l, B in sorted(feedback.items()):
        Wt = net.W(l).swapaxes(-1, -2)
        if Wt.shape != B.shape:
            raise ValueError(f"B[{l}] has shape {B.shape} but W_{l}^T has {Wt.shape}: not FA's feedback")
        out[l] = angle({"W": Wt}, {"W": B})
    return out


def layer_angles(
    update: Mapping[str, Array], reference: Mapping[str, Array], n_layers: int
) -> dict[int, float]:
    """Per-layer angle (degrees) between two updates, ``W_l`` and ``b_l`` flattened together."""
    out = {}
    for l in range(1, n_layers + 1):
        keys = [k for k in (f"W{l}", f"b{l}") if k in update and k in reference]
        if not keys:
            raise ValueError(f"layer {l} has no update in both dictionaries")
        out[l] = angle({k: update[k] for k in keys}, {k: reference[k] for k in keys})
    return out


class AlignmentLog:
    """A ``train`` callback: each epoch, the per-layer angle of the update to backprop's on a
    fixed batch and, for FA, the angle between ``W_l^T`` and ``B_l``.

    The probe step runs on deep copies of the network and the algorithm, so it changes
    neither (no noise drawn from the net's stream, no entry in DTP's sigma log).
    """

    def __init__(self, net: MLP, algorithm: Algorithm, x: Array, t: Array) -> None:
        self.net, self.algorithm = net, algorithm
        self.x, self.t = asarray(x, net.dtype), asarray(t, net.dtype)
        self.epochs: list[int] = []
        self.weight: dict[int, list[float]] = {}
        self.update: dict[int, list[float]] = {}

    def __call__(self, record: Mapping[str, Any]) -> None:
        """Measure the angles at the end of an epoch (``record`` is the training loop's)."""
        self.epochs.append(int(record["epoch"]))
        if getattr(self.algorithm, "B", None) and all(
            B.shape == self.net.W(l).swapaxes(-1, -2).shape for l, B in self.algorithm.B.items()
        ):
            for l, a in feedback_angles(self.net, self.algorithm).items():
                self.weight.setdefault(l, []).append(a)
        net, algorithm = copy.deepcopy(self.net), copy.deepcopy(self.algorithm)
        got = algorithm.step(net, self.x, self.t).grads
        ref = BP().step(net, self.x, self.t).grads
        for l, a in layer_angles(got, ref, self.net.n_layers).items():
            self.update.setdefault(l, []).append(a)


def plot_layer_curves(
    epochs: Sequence[float],
    curves: Mapping[int, Sequence[float]],
    ax: Axes | None = None,
    ylabel: str = "angle (degrees)",
    title: str = "",
    hline: float | None = 90.0,
    style: str = "-",
    label: str = "layer {l}",
) -> Axes:
    """One line per layer (``curves[l]`` against ``epochs``, colour ``C{l-1}``), with an optional
    reference line; ``label`` is formatted with ``l``."""
    if not curves:
        raise ValueError("plot_layer_curves needs at least one layer")
    xs = [float(v) for v in to_numpy(epochs).ravel()]
    ax = _axes(ax, (5.5, 3.5))
    for l, ys in sorted(curves.items()):
        yv = [float(v) for v in to_numpy(ys).ravel()]
        if len(yv) != len(xs):
            raise ValueError(f"layer {l} has {len(yv)} values but there are {len(xs)} epochs")
        ax.plot(xs, yv, style, color=f"C{(l - 1) % 10}", marker="o", markersize=3, label=label.format(l=l))
    if hline is not None:
        ax.axhline(hline, color="0.5", linestyle=":", linewidth=1)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- DTP-σ


def plot_sigma_log(
    sigma_log: Sequence[Mapping[str, float]],
    ax: Axes | None = None,
    floor: float | None = None,
    steps_per_epoch: int | None = None,
    title: str = r"DTP-$\sigma$: corruption per layer",
) -> Axes:
    """DTP-σ's logged ``sigma_k`` per step (one line per layer k); ``floor`` draws sigma_min.

    With ``steps_per_epoch`` the x axis is in epochs.
    """
    if not sigma_log:
        raise ValueError("the sigma log is empty: train DTP-σ on a net with at least 2 hidden layers first")
    keys = sorted(sigma_log[0], key=lambda k: int(k.split("_")[1]))
    scale = 1.0 / steps_per_epoch if steps_per_epoch else 1.0
    xs = [(i + 1) * scale for i in range(len(sigma_log))]
    ax = _axes(ax, (5.5, 3.5))
    for k in reversed(keys):
        ax.plot(xs, [float(r[k]) for r in sigma_log], linewidth=1, label=rf"$\sigma_{{{k.split('_')[1]}}}$")
    if floor is not None:
        ax.axhline(floor, color="k", linestyle="--", linewidth=1, label=r"floor $\sigma_{\min}$")
    ax.set_yscale("log")
    ax.set(xlabel="epoch" if steps_per_epoch else "update", ylabel="noise std", title=title)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- equilibrium propagation


def ep_energy(
    net: MLP, x: Array, states: Sequence[Array], beta: float = 0.0, t: Array | None = None
) -> float:
    """Batch mean of ``F = E + beta C`` of equilibrium propagation at ``states`` ([None, s_1..s_n]).

    ``E = sum_l 0.5||s_l||^2 - sum_l rho(s_{l-1}) W_l rho(s_l)^T - sum_l b_l rho(s_l)^T`` with
    ``rho(s_0) = x``, and ``C = 0.5||t - s_n||^2`` (see :mod:`lra_edu.algorithms.equil_prop`).
    """
    n = net.n_layers
    if len(states) != n + 1:
        raise ValueError(f"states must be [None, s_1, ..., s_{n}], got {len(states)} entries")
    rho = net.unit.f
    x = net.check_input(x)
    r = [x] + [rho(states[l]) for l in range(1, n + 1)]
    energy = 0.0
    for l in range(1, n + 1):
        energy = energy + 0.5 * (states[l] ** 2).sum(axis=-1)
        energy = energy - ((r[l - 1] @ net.W(l)) * r[l]).sum(axis=-1) - (net.b(l) * r[l]).sum(axis=-1)
    if beta:
        if t is None:
            raise ValueError("a nudged energy (beta > 0) needs the targets t")
        energy = energy + beta * 0.5 * ((t - states[n]) ** 2).sum(axis=-1)
    return float(energy.mean())


def relaxation_trace(algorithm: EquilProp, net: MLP, x: Array, t: Array) -> dict[str, list[float]]:
    """Step through EP's free phase (``n_free`` steps) and nudged phase (``n_nudged``) one step
    at a time; return per step the energy ``E``, the total energy ``F = E + beta C`` and the
    largest state change, plus ``phase`` ("start", "free" or "nudged")."""
    x = net.check_input(x)
    xp = xp_of(net.W(1))
    lead = net.W(1).shape[:-2]
    states: list[Array] = [None] + [xp.zeros((*lead, x.shape[-2], k), dtype=net.dtype) for k in net.sizes[1:]]
    trace: dict[str, list[Any]] = {"phase": ["start"], "change": [math.nan]}
    trace["energy"] = [ep_energy(net, x, states)]
    trace["total"] = [ep_energy(net, x, states, algorithm.beta, t)]
    plan = [("free", 0.0)] * algorithm.n_free + [("nudged", algorithm.beta)] * algorithm.n_nudged
    for name, beta in plan:
        states, change = algorithm.relax(net, x, states, 1, beta, t)
        trace["phase"].append(name)
        trace["change"].append(change)
        trace["energy"].append(ep_energy(net, x, states))
        trace["total"].append(ep_energy(net, x, states, algorithm.beta, t))
    return trace


def plot_relaxation(trace: Mapping[str, Sequence[Any]], ax: Axes | None = None, title: str = "") -> Axes:
    """Energy ``E`` (free phase) and ``F = E + beta C`` (nudged phase) against relaxation steps."""
    phases = list(trace["phase"])
    if not phases:
        raise ValueError("the trace is empty")
    ax = _axes(ax, (5.5, 3.5))
    steps = list(range(len(phases)))
    free = [i for i, p in enumerate(phases) if p in ("start", "free")]
    nudged = [i for i, p in enumerate(phases) if p == "nudged"]
    ax.plot(free, [trace["energy"][i] for i in free], marker="o", markersize=3, label=r"free phase: $E$")
    if nudged:
        span = [free[-1], *nudged]
        ax.plot(
            span,
            [trace["total"][i] for i in span],
            marker="s",
            markersize=3,
            label=r"nudged phase: $F = E + \beta C$",
        )
        ax.axvspan(free[-1], steps[-1], color="0.93", zorder=0)
    ax.set(xlabel="relaxation step", ylabel="energy (batch mean)", title=title)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- stochastic binary networks


def estimator_moments(
    algorithm: StochasticEstimator, net: MLP, x: Array, t: Array, key: str = "W1"
) -> tuple[Array, Array]:
    """Exact mean and standard deviation of an estimator's ``key`` update for one sample.

    ``net`` must have a single hidden layer of stochastic binary units, narrow enough
    (at most 12 units) to enumerate every configuration ``s`` of the hidden layer;
    ``x`` and ``t`` are one sample (shape (1, n)). Each configuration gets its
    probability under ``p = f(m h)`` (``m`` the estimator's slope) and the estimator's
    update for that forced sample (:meth:`StochasticEstimator.estimate`); the moments
    are their weighted mean and spread. No state of the estimator changes.
    """
    if net.n_layers != 2:
        raise ValueError(f"estimator_moments needs one hidden layer, the net has {net.n_layers - 1}")
    width = net.sizes[1]
    if width > 12:
        raise ValueError(f"{width} hidden units are too many configurations to enumerate (at most 12)")
    x = net.check_input(x)
    t = asarray(t, net.dtype)
    if x.shape[-2] != 1:
        raise ValueError(f"estimator_moments takes one sample, got a batch of {x.shape[-2]}")
    xp = xp_of(x)
    h1 = x @ net.W(1) + net.b(1)
    p = net.unit.f(algorithm.slope() * h1)
    first = second = None
    for bits in itertools.product((0.0, 1.0), repeat=width):
        s = xp.asarray([list(bits)], dtype=net.dtype)
        weight = float(xp.prod(xp.where(s > 0, p, 1.0 - p)))
        smp = Sample(h=[None, h1, s @ net.W(2) + net.b(2)], p=[None, p], s=[x, s])
        g = algorithm.estimate(net, smp, t)[key]
        first = weight * g if first is None else first + weight * g
        second = weight * g**2 if second is None else second + weight * g**2
    variance = xp.maximum(second - first**2, 0.0)
    return first, xp.sqrt(variance)


def plot_estimator_bands(
    xs: Sequence[float],
    exact: Sequence[float],
    moments: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    ax: Axes | None = None,
    xlabel: str = "",
    ylabel: str = "gradient estimate",
    title: str = "",
) -> Axes:
    """Each estimator's mean (line) and mean +- one standard deviation (band) against the exact
    gradient (black, dashed)."""
    if not moments:
        raise ValueError("plot_estimator_bands needs at least one estimator")
    xv = [float(v) for v in to_numpy(xs).ravel()]
    ax = _axes(ax, (6.0, 3.8))
    for name, (mean, std) in moments.items():
        m = [float(v) for v in to_numpy(mean).ravel()]
        s = [float(v) for v in to_numpy(std).ravel()]
        if not len(m) == len(s) == len(xv):
            raise ValueError(f"{name!r}: {len(m)} means and {len(s)} spreads for {len(xv)} points")
        (line,) = ax.plot(xv, m, label=name)
        ax.fill_between(
            xv,
            [a - b for a, b in zip(m, s)],
            [a + b for a, b in zip(m, s)],
            color=line.get_color(),
            alpha=0.15,
        )
    ax.plot(xv, [float(v) for v in to_numpy(exact).ravel()], "k--", linewidth=1.5, label="exact gradient")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return ax
