"""How runs learn: seed bands, internal discrepancy, update norms, matmuls per step.

The figures of the LRA-E, initialization and recurrent-LRA chapters.

Plot functions follow :mod:`lra_edu.plots`: they draw on ``ax`` when given (else a new
figure) and return the ``Axes``; dashboards return a whole ``Figure`` (for
:func:`lra_edu.widgets.explore`). Arrays are moved to the host with
:func:`lra_edu.backend.to_numpy` before matplotlib sees them. The numbers they draw come
from :mod:`lra_edu.diagnostics`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lra_edu.backend import to_numpy
from lra_edu.plots import _axes, _finish


def plot_band(
    runs: Mapping[str, Sequence[Sequence[float]]],
    ax: Axes | None = None,
    x: Sequence[float] | None = None,
    xlabel: str = "epoch",
    ylabel: str = "",
    title: str = "",
    logy: bool = False,
) -> Axes:
    """Mean curve and min-max band of each named group of equally long runs."""
    if not runs:
        raise ValueError("plot_band needs at least one group of runs")
    ax = _axes(ax, (5.5, 3.5))
    for name, group in runs.items():
        a = numpy.asarray([[float(v) for v in to_numpy(r).ravel()] for r in group], dtype=float)
        if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
            raise ValueError(f"group {name!r} must hold at least one non-empty run, all of one length")
        xs = numpy.arange(a.shape[1]) if x is None else numpy.asarray(to_numpy(x), dtype=float).ravel()
        if len(xs) != a.shape[1]:
            raise ValueError(f"group {name!r} has runs of length {a.shape[1]} but x has {len(xs)} values")
        (line,) = ax.plot(xs, a.mean(axis=0), label=name)
        if a.shape[0] > 1:
            ax.fill_between(xs, a.min(axis=0), a.max(axis=0), color=line.get_color(), alpha=0.2)
    return _finish(ax, xlabel, ylabel, title, logy=logy)


def plot_discrepancy(
    internal: Mapping[str, Sequence[float]],
    output_loss: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    title: str = "internal discrepancy and output loss",
) -> Axes:
    """Internal discrepancy (solid, left axis) and output loss (dashed, right axis) per epoch.

    Both mappings share their keys (one run each); curves start at epoch 1 for the
    discrepancy (a training-time mean) and epoch 0 for the loss (evaluated before training).
    """
    if not internal or set(internal) != set(output_loss):
        raise ValueError("internal and output_loss must name the same, non-empty set of runs")
    ax = _axes(ax, (5.5, 3.5))
    right = ax.twinx()
    for name in internal:
        d = [float(v) for v in internal[name]]
        lo = [float(v) for v in output_loss[name]]
        (line,) = ax.plot(range(1, len(d) + 1), d, label=f"{name}: internal discrepancy")
        right.plot(range(len(lo)), lo, linestyle="--", color=line.get_color(), label=f"{name}: output loss")
    ax.set(xlabel="epoch", ylabel="internal discrepancy (sum of hidden local losses)", title=title)
    right.set_ylabel("output loss (validation NLL), dashed")
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8)
    return ax


def plot_matmul_counts(
    n_layers: Sequence[int],
    measured: Mapping[str, Sequence[float]],
    claimed: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    title: str = "matrix multiplications per step",
) -> Axes:
    """Measured counts (solid, markers) and the paper's formulas (dashed) against depth."""
    ns = [int(n) for n in n_layers]
    if not measured:
        raise ValueError("plot_matmul_counts needs at least one measured series")
    ax = _axes(ax, (5.5, 3.5))
    for name, values in {**measured, **claimed}.items():
        if len(values) != len(ns):
            raise ValueError(f"series {name!r} has {len(values)} values but there are {len(ns)} depths")
    for name, values in measured.items():
        ax.plot(ns, values, marker="o", label=f"{name} (measured)")
    for name, values in claimed.items():
        ax.plot(ns, values, linestyle="--", marker="x", label=f"{name} (paper's formula)")
    ax.set(xlabel="weight layers n", ylabel="matmuls", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_layer_norms(
    norms: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    floor: float = 1e-20,
    title: str = "size of each layer's update",
) -> Axes:
    """Per-layer update norms on a log scale; exact zeros sit at ``floor`` as hollow markers."""
    if not norms:
        raise ValueError("plot_layer_norms needs at least one series")
    if not floor > 0:
        raise ValueError(f"floor must be positive, got {floor}")
    ax = _axes(ax, (5.5, 3.5))
    for name, values in norms.items():
        v = [float(a) for a in values]
        if any(a < 0 or math.isnan(a) for a in v):
            raise ValueError(f"series {name!r} has a negative or NaN norm")
        layers = range(1, len(v) + 1)
        (line,) = ax.plot(layers, [max(a, floor) for a in v], marker="o", label=name)
        zeros = [(l, floor) for l, a in zip(layers, v) if a == 0.0]
        if zeros:
            ax.plot(
                *zip(*zeros),
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                color=line.get_color(),
                markersize=9,
            )
    ax.set_yscale("log")
    ax.set(xlabel="layer l", ylabel=r"$\|\Delta W_l\|$ (hollow: exactly 0)", title=title)
    ax.legend(fontsize=8)
    return ax


def lra_e_dashboard(
    test_error: Sequence[float],
    e_angles: Sequence[float],
    bp_angle: Sequence[float],
    internal: Sequence[float],
    title: str = "",
) -> Figure:
    """Three panels of one LRA-E run: test error; angles to W^T and to backprop; discrepancy."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    axes[0].plot(range(len(test_error)), [float(v) for v in test_error])
    axes[0].set(xlabel="epoch", ylabel="test error (%)", title="test error", ylim=(0, 100))
    e_label = r"$\angle(\tilde E_l, W_l^\top)$, mean"
    axes[1].plot(range(len(e_angles)), [float(v) for v in e_angles], label=e_label)
    axes[1].plot(range(1, len(bp_angle) + 1), [float(v) for v in bp_angle], label="update vs backprop")
    axes[1].axhline(90, color="0.6", linestyle=":")
    axes[1].set(xlabel="epoch", ylabel="degrees", title="angles", ylim=(0, 100))
    axes[1].legend(fontsize=8)
    axes[2].plot(range(1, len(internal) + 1), [float(v) for v in internal])
    axes[2].set(xlabel="epoch", ylabel="sum of hidden local losses", title="internal discrepancy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def init_dashboard(
    test_error: Sequence[float],
    norms: Mapping[str, Sequence[float]],
    title: str = "",
) -> Figure:
    """Two panels: a run's test error per epoch, and per-layer update norms at initialization."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    axes[0].plot(range(len(test_error)), [float(v) for v in test_error], marker=".")
    axes[0].axhline(90, color="0.6", linestyle=":", label="chance (90%)")
    axes[0].set(xlabel="epoch", ylabel="test error (%)", title="test error", ylim=(0, 100))
    axes[0].legend(fontsize=8)
    plot_layer_norms(norms, ax=axes[1], title="update of each layer at the first step")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
