"""Figures and small measurements for the LRA chapters (LRA-diff, LRA-fdbk, discrete units).

Every plotting function draws on an existing ``Axes`` when given one (``ax=...``) and
otherwise makes a new figure, and returns the ``Axes``. Arrays may live on either
backend; they reach matplotlib through :func:`lra_edu.backend.to_numpy`.

The measurement helpers only *call* the library (``target_below``, ``displacement``,
``net.layer``, :func:`lra_edu.metrics.cosine`): they re-implement nothing, so what a
chapter shows is what the algorithms do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from lra_edu.algorithms.lra import LRA
from lra_edu.backend import to_numpy
from lra_edu.losses import nll
from lra_edu.metrics import angle, cosine
from lra_edu.mlp import MLP, Forward
from lra_edu.plots import _axes
from lra_edu.train import History

Array = Any


# --- measurements (library calls only) ---


def layer_cosines(a: Mapping[str, Array], b: Mapping[str, Array], n_layers: int) -> list[float]:
    """Cosine between two updates' weight matrices, one value per layer ``W1..Wn``."""
    return [cosine({"W": a[f"W{l}"]}, {"W": b[f"W{l}"]}) for l in range(1, n_layers + 1)]


def subgraph_loss(net: MLP, algorithm: LRA, l: int, z_below: Array, y: Array) -> float:
    """Batch-mean local loss ``L_l`` of subgraph ``l`` re-run on the layer-below output ``z_below``.

    The output layer (``l = n``) uses the NLL against ``y = t``; hidden layers use the
    algorithm's local loss. ``z_below`` is a (not yet discretized) ``z_{l-1}``: the
    unit's ``g`` is applied before layer ``l`` sees it, as in the forward pass.
    """
    g = net.unit.g
    zs = z_below if g is None or l == 1 else g(z_below, net.noise)
    h, z, _ = net.layer(l, zs)
    if l == net.n_layers:
        return float(nll(h, y).mean())
    return float(algorithm.loss.value(z, y).mean())


def walk_losses(net: MLP, fw: Forward, l: int, y: Array, K: int, make: Callable[[int], LRA]) -> list[float]:
    """Local loss of subgraph ``l`` after ``k = 0..K`` steps of the target search below it.

    ``make(k)`` builds the algorithm with ``K = k`` (set up already if it needs feedback
    matrices); entry ``k`` re-runs layer ``l`` on the target ``y_{l-1}`` that ``k`` steps
    of ``target_below`` produce (entry 0 is the forward pass). Costs O(K^2) steps.
    """
    if not 1 <= l - 1 < net.n_layers or K < 1:
        raise ValueError(f"need a subgraph 2 <= l <= {net.n_layers} and K >= 1, got l={l}, K={K}")
    first = make(1)
    losses = [subgraph_loss(net, first, l, fw.z[l - 1], y)]
    for k in range(1, K + 1):
        algo = first if k == 1 else make(k)
        losses.append(subgraph_loss(net, algo, l, algo.target_below(net, fw, l, y), y))
    return losses


def displacement_angles(net: MLP, fw: Forward, t: Array, algorithm: LRA, reference: LRA) -> dict[int, float]:
    """Angle (degrees) between two algorithms' first displacements ``dh_{l-1}``, per layer ``l >= 2``.

    Both displacements start from the same forward pass and the same target ``y_l``
    (the ``reference`` algorithm's targets, found going down from ``y_n = t``), so the
    angle isolates the direction each algorithm would move ``h_{l-1}``.
    """
    out: dict[int, float] = {}
    y = t
    for l in range(net.n_layers, 1, -1):
        delta = reference.pre_error(net, l, fw.h[l], y)
        a = algorithm.displacement(net, l, delta, fw.h[l - 1])
        b = reference.displacement(net, l, delta, fw.h[l - 1])
        out[l] = angle({"d": a}, {"d": b})
        y = reference.target_below(net, fw, l, y)
    return out


# --- figures ---


def _member_curves(runs: History | Sequence[History], key: str) -> tuple[list[int], numpy.ndarray]:
    """Epochs and a (members, epochs) array of ``key`` for one run or an ensemble's runs."""
    hs = [runs] if isinstance(runs, History) else list(runs)
    if not hs:
        raise ValueError("each series needs at least one History")
    length = min(len(h.records) for h in hs)
    epochs = [int(r["epoch"]) for r in hs[0].records[:length]]
    values = numpy.array([[float(v) for v in h.curve(key)[:length]] for h in hs])
    return epochs, values


def plot_curves(
    runs: Mapping[str, History | Sequence[History]],
    key: str = "test_error",
    ax: Axes | None = None,
    ylabel: str | None = None,
    title: str = "",
    skip_epoch0: bool = False,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    band: bool = True,
) -> Axes:
    """Per-epoch curves of ``key``: the mean over an ensemble's members, shaded min to max.

    ``runs`` maps a label to one History or to a sequence of them (members); ``styles``
    may give matplotlib keyword arguments per label (e.g. a dashed reference); ``band=False``
    draws the means only.
    """
    if not runs:
        raise ValueError("plot_curves needs at least one run")
    ax = _axes(ax, (5.5, 3.5))
    for label, histories in runs.items():
        epochs, values = _member_curves(histories, key)
        if numpy.isnan(values).all():
            raise ValueError(f"run {label!r} has no {key!r} values; train with the diagnostic enabled")
        if skip_epoch0:
            epochs, values = epochs[1:], values[:, 1:]
        style = dict((styles or {}).get(label, {}))
        (line,) = ax.plot(epochs, values.mean(axis=0), marker="o", markersize=3, label=label, **style)
        if band and values.shape[0] > 1:
            ax.fill_between(
                epochs, values.min(axis=0), values.max(axis=0), color=line.get_color(), alpha=0.15
            )
    ax.set(xlabel="epoch", ylabel=ylabel if ylabel is not None else key.replace("_", " "), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    return ax


def plot_walk(
    losses: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    relative: bool = True,
    title: str = "local loss of the subgraph over the inner steps",
) -> Axes:
    """Local loss against the inner step k (from :func:`walk_losses`), optionally relative to k=0."""
    if not losses:
        raise ValueError("plot_walk needs at least one series")
    ax = _axes(ax, (5.5, 3.5))
    for label, values in losses.items():
        v = [float(x) for x in to_numpy(values).ravel()]
        if not v or not all(math.isfinite(x) for x in v):
            raise ValueError(f"series {label!r} must be a non-empty list of finite losses")
        if relative:
            if v[0] <= 0:
                raise ValueError(
                    f"series {label!r} starts at {v[0]}; a relative curve needs a positive start"
                )
            v = [x / v[0] for x in v]
        ax.plot(range(len(v)), v, marker="o", markersize=3, label=label)
    ax.set(
        xlabel="inner step k",
        ylabel="loss / loss at k = 0" if relative else "local loss",
        title=title,
    )
    ax.legend(fontsize=8)
    return ax


def plot_unit_values(
    values: Array,
    ax: Axes | None = None,
    title: str = "",
    xlabel: str = "unit output",
    max_levels: int = 5,
    bins: int = 50,
) -> Axes:
    """Distribution of a layer's outputs: bars per value (at most ``max_levels`` values), else a histogram.

    The share of exact zeros is written in the corner (sparse units such as LWTA show it).
    """
    v = to_numpy(values).ravel().astype(float)
    if v.size == 0 or not numpy.isfinite(v).all():
        raise ValueError("plot_unit_values needs a non-empty array of finite values")
    ax = _axes(ax, (4.5, 3.2))
    levels, counts = numpy.unique(v, return_counts=True)
    if len(levels) <= max_levels:
        ax.bar([f"{x:g}" for x in levels], counts / v.size, color="C0")
        ax.set(ylabel="share of outputs")
    else:
        ax.hist(v, bins=bins, density=True, color="C0", alpha=0.8)
        ax.set(ylabel="density")
    zeros = float((v == 0).mean())
    ax.text(0.98, 0.95, f"zeros: {zeros:.0%}", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.set(xlabel=xlabel, title=title)
    return ax
