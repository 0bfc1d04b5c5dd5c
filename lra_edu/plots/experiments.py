"""Figures of the papers' experiments (E1-E9), drawn from stored run results.

A *result* is the JSON-ready dict that :func:`lra_edu.experiments.run_experiment` writes
(keys ``cell``, ``curves`` = per-epoch records, ``status``, ...). Every function takes
an optional ``ax`` and returns the ``Axes`` it drew on; arrays are moved to the host
with :func:`lra_edu.backend.to_numpy` before any plotting or host-side arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from lra_edu.backend import Array, to_numpy
from lra_edu.plots import _axes

Result = Mapping[str, Any]


def result_label(result: Result) -> str:
    """A short legend label for a stored result: the non-empty parts of its ``cell``."""
    cell = [str(p) for p in result.get("cell", ()) if p]
    return " ".join(cell[1:] or cell) or str(result.get("config", {}).get("algorithm", "run"))


def result_curve(result: Result, key: str, phase: int | None = None) -> tuple[list[int], list[float]]:
    """``(epochs, values)`` of ``key`` in a result's curves (or in ``phases[phase]``'s history)."""
    records = result["curves"] if phase is None else result["phases"][phase]["history"]
    pairs = [(int(r["epoch"]), float(r[key])) for r in records if r.get(key) is not None]
    if not pairs:
        raise ValueError(f"no record of the result {result_label(result)!r} has the key {key!r}")
    return [e for e, _ in pairs], [v for _, v in pairs]


def plot_result_curves(
    results: Sequence[Result],
    key: str = "test_error",
    ax: Axes | None = None,
    label: Callable[[Result], str] = result_label,
    phase: int | None = None,
    title: str = "",
    ylabel: str | None = None,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    legend: bool = True,
) -> Axes:
    """One line per stored result: ``key`` (e.g. ``test_error``, ``depth``, ``angle``) per epoch.

    Records without ``key`` (e.g. the epoch-0 record has no step diagnostics) are skipped.
    ``styles`` maps a label to extra keyword arguments of ``Axes.plot``.
    """
    if not results:
        raise ValueError("plot_result_curves needs at least one result")
    ax = _axes(ax, (5.5, 3.5))
    for r in results:
        name = label(r)
        epochs, values = result_curve(r, key, phase)
        kwargs = {"marker": "o", "markersize": 3, **dict((styles or {}).get(name, {}))}
        ax.plot(epochs, values, label=name, **kwargs)
    ax.set(xlabel="epoch", ylabel=ylabel if ylabel is not None else key.replace("_", " "), title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if legend:
        ax.legend(fontsize=8)
    return ax


def plot_filters(
    filters: Array,
    shape: tuple[int, int] = (28, 28),
    n: int = 16,
    ncols: int = 8,
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Tile the first ``n`` filters (rows, each reshaped to ``shape``) into one grey image."""
    f = numpy.asarray(to_numpy(filters), dtype=numpy.float64)
    if f.ndim != 2 or f.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"filters must have shape (count, {shape[0] * shape[1]}), got {f.shape}")
    n = min(n, f.shape[0])
    if n < 1:
        raise ValueError("plot_filters needs at least one filter")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    pad = 1
    tile = numpy.full((nrows * (shape[0] + pad) - pad, ncols * (shape[1] + pad) - pad), numpy.nan)
    for i in range(n):
        img = f[i].reshape(shape)
        scale = numpy.abs(img).max()
        img = img / scale if scale > 0 else img
        r, c = divmod(i, ncols)
        tile[
            r * (shape[0] + pad) : r * (shape[0] + pad) + shape[0],
            c * (shape[1] + pad) : c * (shape[1] + pad) + shape[1],
        ] = img
    ax = _axes(ax, (1.0 * ncols, 1.0 * nrows + 0.4))
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(numpy.ma.masked_invalid(tile), cmap=cmap, vmin=-1, vmax=1)
    ax.set(xticks=[], yticks=[], title=title)
    return ax


# ------------------------------------------------- E6-E9 and the reproduction report


def plot_twin_curves(
    result: Result,
    left: str,
    right: str,
    ax: Axes | None = None,
    left_label: str | None = None,
    right_label: str | None = None,
    title: str = "",
) -> Axes:
    """Two per-epoch keys of one stored result on twin y-axes (e.g. a discrepancy beside the output loss)."""
    ax = _axes(ax, (5.5, 3.5))
    names = (left_label or left.replace("_", " "), right_label or right.replace("_", " "))
    e_left, v_left = result_curve(result, left)
    e_right, v_right = result_curve(result, right)
    lines = ax.plot(e_left, v_left, color="C0", marker="o", markersize=3, label=names[0])
    twin = ax.twinx()
    lines += twin.plot(e_right, v_right, color="C1", marker="s", markersize=3, label=names[1])
    ax.set_ylabel(names[0], color="C0")
    twin.set_ylabel(names[1], color="C1")
    ax.set(xlabel="epoch", title=title)
    ax.legend(lines, [str(line.get_label()) for line in lines], fontsize=8)
    return ax


def plot_grouped_bars(
    values: Mapping[str, Mapping[str, float | None]],
    ax: Axes | None = None,
    ylabel: str = "",
    title: str = "",
    annotate: bool = True,
) -> Axes:
    """Grouped bars: one group per outer key, one bar per inner key (None or NaN: no bar)."""
    if not values:
        raise ValueError("plot_grouped_bars needs at least one group")
    bars = list(dict.fromkeys(k for inner in values.values() for k in inner))
    if not bars:
        raise ValueError("plot_grouped_bars needs at least one value in some group")
    ax = _axes(ax, (max(5.5, 0.9 * len(values) * len(bars) / 2 + 2), 3.5))
    width = 0.8 / len(bars)
    for j, bar in enumerate(bars):
        xs, heights = [], []
        for i, inner in enumerate(values.values()):
            v = inner.get(bar)
            if v is not None and numpy.isfinite(float(v)):
                xs.append(i - 0.4 + width * (j + 0.5))
                heights.append(float(v))
        drawn = ax.bar(xs, heights, width=width, label=bar)
        if annotate:
            ax.bar_label(drawn, fmt="%.0f", fontsize=7)
    ax.set_xticks(range(len(values)), list(values))
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return ax


def plot_embedding(
    points: Array,
    labels: Array,
    ax: Axes | None = None,
    title: str = "",
    class_names: Sequence[str] | None = None,
    size: float = 6.0,
) -> Axes:
    """Scatter of 2-D points (e.g. a t-SNE embedding) coloured by their integer class label."""
    p = numpy.asarray(to_numpy(points), dtype=numpy.float64)
    y = numpy.asarray(to_numpy(labels)).astype(int).ravel()
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {p.shape}")
    if len(y) != len(p):
        raise ValueError(f"{len(p)} points but {len(y)} labels")
    ax = _axes(ax, (4.0, 4.0))
    cmap = plt.get_cmap("tab10")
    for c in numpy.unique(y):
        mask = y == c
        name = class_names[c] if class_names is not None and 0 <= c < len(class_names) else str(c)
        ax.scatter(p[mask, 0], p[mask, 1], s=size, color=cmap(int(c) % 10), label=name)
    ax.set(xticks=[], yticks=[], title=title)
    return ax


def report_pairs(
    report: Mapping[str, Any], scale: str | None = "paper"
) -> list[tuple[str, str, float, float]]:
    """``(dataset, "table / row / column", paper, ours)`` per numeric cell of a report JSON with both."""
    pairs = []
    for table in report.get("tables", []):
        if scale is not None and table.get("scale") != scale:
            continue
        for row, cols in table["rows"].items():
            for col, cell in cols.items():
                paper, ours = cell.get("paper"), cell.get("ours")
                if not isinstance(paper, (int, float)) or ours is None or ours.get("mean") is None:
                    continue
                label = f"{table['table']} / {row} / {col}"
                pairs.append((table["dataset"], label, float(paper), float(ours["mean"])))
    return pairs


def plot_ours_vs_paper(
    groups: Mapping[str, Sequence[tuple[float, float]]],
    ax: Axes | None = None,
    title: str = "",
    unit: str = "%",
) -> Axes:
    """Scatter of ``(paper, ours)`` value pairs, one colour per named group, with the line ours = paper."""
    if not any(len(v) for v in groups.values()):
        raise ValueError("plot_ours_vs_paper needs at least one (paper, ours) pair")
    ax = _axes(ax, (4.5, 4.5))
    everything = [float(v) for pts in groups.values() for pair in pts for v in pair]
    low, high = min(everything + [0.0]), max(everything)
    ax.plot([low, high], [low, high], color="0.6", linestyle="--", linewidth=1, label="ours = paper")
    for name, pts in groups.items():
        if len(pts):
            arr = numpy.asarray(pts, dtype=numpy.float64)
            ax.scatter(arr[:, 0], arr[:, 1], s=18, label=name)
    ax.set(xlabel=f"paper ({unit})", ylabel=f"ours ({unit})", title=title)
    ax.legend(fontsize=8)
    return ax


# ------------------------------------------------- selecting results (E1-E5)


def select_results(
    results: Sequence[Result],
    row: str | None = None,
    column: str | None = None,
    status: str | None = None,
) -> list[Result]:
    """The results whose ``cell`` row (and column) contain the given text, optionally of one ``status``."""
    out = []
    for r in results:
        cell = list(r.get("cell", ())) + ["", "", ""]
        if row is not None and row not in str(cell[1]):
            continue
        if column is not None and column not in str(cell[2]):
            continue
        if status is not None and r.get("status") != status:
            continue
        out.append(r)
    return out
