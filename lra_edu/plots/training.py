"""Figures of training runs: per-epoch curves of Histories, LRA's inner walk, units' outputs.

Every plotting function draws on an existing ``Axes`` when given one (``ax=...``) and
otherwise makes a new figure, and returns the ``Axes``. Arrays may live on either
backend; they reach matplotlib through :func:`lra_edu.backend.to_numpy`. The numbers
come from :mod:`lra_edu.diagnostics` (e.g. :func:`~lra_edu.diagnostics.walk_losses`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from lra_edu.backend import Array, to_numpy
from lra_edu.plots import _axes
from lra_edu.train import History


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
    """Local loss against the inner step k, optionally relative to k=0.

    The losses come from :func:`lra_edu.diagnostics.walk_losses`.
    """
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
