"""Plotting helpers shared by the book's chapters (matplotlib; arrays converted with to_numpy).

Every function draws on an existing ``Axes`` when given one (``ax=...``) and otherwise
makes a new figure; it returns the ``Axes`` it drew on, so a chapter can adjust titles
or limits afterwards. Array inputs may live on either backend: they are moved to the
host with :func:`lra_edu.backend.to_numpy` before matplotlib sees them.

General helpers live here; topic modules hold the figures of one part of the book:
``lra_edu.plots.training`` (per-epoch curves of training runs, LRA's inner walk, unit
outputs), ``lra_edu.plots.dynamics`` (how runs learn: seed bands, internal discrepancy,
update norms per layer, matmuls per step; LRA-E, initialization, recurrent nets),
``lra_edu.plots.relatives`` (feedback alignment, target propagation, equilibrium
propagation, stochastic nets) and ``lra_edu.plots.experiments`` (the papers'
experiments). The plots take numbers and draw them; what they show is measured by
:mod:`lra_edu.diagnostics`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from lra_edu.backend import Array, to_numpy


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or the axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize)
    return new


def _floats(values: Any) -> list[float]:
    """The values of an array or sequence (either backend) as a flat list of host floats."""
    return [float(v) for v in to_numpy(values).ravel()]


def _along(xs: list[float], ys: Any, what: str, x_name: str = "x") -> list[float]:
    """``ys`` as host floats, one per value of ``xs``; else a ValueError naming ``what``."""
    values = _floats(ys)
    if len(values) != len(xs):
        raise ValueError(f"{what} has {len(values)} values but {x_name} has {len(xs)}")
    return values


def _finish(
    ax: Axes,
    xlabel: str,
    ylabel: str,
    title: str,
    logx: bool = False,
    logy: bool = False,
    legend_size: float | None = None,
) -> Axes:
    """Axis scales, labels, title and legend of a line plot; returns ``ax``."""
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=legend_size)
    return ax


def plot_lemma1_grid(
    records: Sequence[Mapping[str, Any]],
    ax: Axes | None = None,
    value: str = "worst_rel_diff",
    title: str = "Lemma 1: local vs backprop gradients",
) -> Axes:
    """Heat map of log10 of ``value`` over (unit, depth), from ``random_lemma1_worst`` records."""
    if not records:
        raise ValueError("plot_lemma1_grid needs at least one record")
    for r in records:
        missing = {"depth", "unit", value} - set(r)
        if missing:
            raise ValueError(
                f"each record needs keys 'depth', 'unit' and {value!r}; {r!r} lacks {sorted(missing)}"
            )
        if not float(r[value]) >= 0:
            raise ValueError(f"{value!r} must be a non-negative number, got {r[value]!r}")
    depths = sorted({int(r["depth"]) for r in records})
    units = list(dict.fromkeys(str(r["unit"]) for r in records))
    floor = 1e-18  # log10 of an exact zero would be -inf; show it at the floor instead
    grid = [[math.nan] * len(depths) for _ in units]
    for r in records:
        grid[units.index(str(r["unit"]))][depths.index(int(r["depth"]))] = math.log10(
            max(float(r[value]), floor)
        )
    ax = _axes(ax, (1.1 * len(depths) + 2.5, 0.5 * len(units) + 1.5))
    image = ax.imshow(grid, cmap="viridis", aspect="auto", vmin=-17, vmax=-9)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if not math.isnan(v):
                ax.text(
                    j,
                    i,
                    f"{10**v:.0e}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v < -13 else "black",
                )
    ax.set_xticks(range(len(depths)), [str(d) for d in depths])
    ax.set_yticks(range(len(units)), units)
    ax.set(xlabel="depth n (weight layers)", ylabel="hidden unit", title=title)
    ax.figure.colorbar(image, ax=ax, label=f"log10 {value}")
    return ax


def plot_sweep(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
    logx: bool = True,
    logy: bool = False,
) -> Axes:
    """Line plot of several named series against one shared ``x`` (a parameter sweep)."""
    xs = _floats(x)
    if not series:
        raise ValueError("plot_sweep needs at least one series")
    ax = _axes(ax, (5.5, 3.5))
    for name, ys in series.items():
        ax.plot(xs, _along(xs, ys, f"series {name!r}"), marker="o", markersize=3, label=name)
    return _finish(ax, xlabel, ylabel, title, logx, logy)


def plot_histograms(
    samples: Mapping[str, Array],
    ax: Axes | None = None,
    bounds: tuple[float, float] | None = None,
    bins: int = 60,
    xlabel: str = "",
    title: str = "",
) -> Axes:
    """Overlaid density histograms of named arrays; ``bounds`` shades a representable range."""
    if not samples:
        raise ValueError("plot_histograms needs at least one array")
    if bounds is not None and not bounds[0] < bounds[1]:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
    ax = _axes(ax, (5.5, 3.5))
    if bounds is not None:
        ax.axvspan(bounds[0], bounds[1], color="0.9", zorder=0, label="representable")
    for name, values in samples.items():
        ax.hist(to_numpy(values).ravel(), bins=bins, density=True, histtype="step", linewidth=1.5, label=name)
    ax.set(xlabel=xlabel, ylabel="density", title=title)
    ax.legend()
    return ax
