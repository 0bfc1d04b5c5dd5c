"""Figures for the "Relatives" chapters of the book.

Feedback alignment (per-layer angle curves), difference target propagation (DTP-sigma's
noise levels), equilibrium propagation (the energy during relaxation) and stochastic
binary networks (bands of an estimator against the exact gradient). The numbers come
from :mod:`lra_edu.diagnostics`; arrays reach matplotlib through
:func:`lra_edu.backend.to_numpy`. Every plot draws on ``ax`` when given one and returns
the ``Axes`` it drew on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes

from lra_edu.backend import to_numpy
from lra_edu.plots import _along, _axes, _finish, _floats

# --------------------------------------------------------------------------- feedback alignment


def plot_layer_curves(
    epochs: Sequence[float],
    curves: Mapping[int, Sequence[float]],
    ax: Axes | None = None,
    *,
    hline: float | None = 90.0,
    ylabel: str = "angle (degrees)",
    title: str = "",
    style: str = "-",
    label: str = "layer {l}",
) -> Axes:
    """One line per layer (``curves[l]`` against ``epochs``, colour ``C{l-1}``), with an optional
    reference line at ``hline``; ``label`` is formatted with ``l``. Options are keywords."""
    if not curves:
        raise ValueError("plot_layer_curves needs at least one layer")
    xs = _floats(epochs)
    ax = _axes(ax, (5.5, 3.5))
    for l, ys in sorted(curves.items()):
        yv = _along(xs, ys, f"layer {l}", "epochs")
        ax.plot(xs, yv, style, color=f"C{(l - 1) % 10}", marker="o", markersize=3, label=label.format(l=l))
    if hline is not None:
        ax.axhline(hline, color="0.5", linestyle=":", linewidth=1)
    return _finish(ax, "epoch", ylabel, title, legend_size=8)


# --------------------------------------------------------------------------- DTP-sigma


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
        ax.plot(xs, [float(r[k]) for r in sigma_log], linewidth=1, label=rf"$\nu_{{{k.split('_')[1]}}}$")
    if floor is not None:
        ax.axhline(floor, color="k", linestyle="--", linewidth=1, label=r"floor $\nu_{\min}$")
    levels = {float(r[k]) for r in sigma_log for k in keys} | ({floor} if floor is not None else set())
    # The range is set before the log scale: constant curves would give it a singular one.
    ax.set_ylim(min(levels) / 2, max(levels) * 2)
    ax.set_yscale("log")
    ax.set(xlabel="epoch" if steps_per_epoch else "update", ylabel="noise std", title=title)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- equilibrium propagation


def plot_relaxation(trace: Mapping[str, Sequence[Any]], ax: Axes | None = None, title: str = "") -> Axes:
    """Energy ``E`` (free phase) and ``F = E + beta C`` (nudged phase) against relaxation steps."""
    phases = list(trace["phase"])
    if not phases:
        raise ValueError("the trace is empty")
    ax = _axes(ax, (5.5, 3.5))
    steps = list(range(len(phases)))
    free = [i for i, p in enumerate(phases) if p in ("start", "free")]
    nudged = [i for i, p in enumerate(phases) if p == "nudged"]
    free_label = r"free phase: $\mathcal{E}$"
    ax.plot(free, [trace["energy"][i] for i in free], marker="o", markersize=3, label=free_label)
    if nudged:
        span = [free[-1], *nudged]
        ax.plot(
            span,
            [trace["total"][i] for i in span],
            marker="s",
            markersize=3,
            label=r"nudged phase: $F = \mathcal{E} + \zeta C$",
        )
        ax.axvspan(free[-1], steps[-1], color="0.93", zorder=0)
    ax.set(xlabel="relaxation step", ylabel="energy (batch mean)", title=title)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- stochastic binary networks


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
