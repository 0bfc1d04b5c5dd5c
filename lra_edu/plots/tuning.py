"""Figures of the tuning studies: validation error against each unstated constant.

The numbers come from :func:`lra_edu.experiments.tuning.sensitivity`; this module only
draws them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: How a constant is written on an axis (library name -> the book's symbol).
SYMBOLS = {
    "std": "initial weight std",
    "gamma": r"error-weight rate $\gamma$",
    "lr": "learning rate",
    "init": "initialization",
    "beta": r"target step $\beta$",
    "c1": "update cap $c_1$",
    "c2": "displacement cap $c_2$",
    "sigma_e": r"feedback scale $\sigma_E$",
    "rate_ratio": "per-layer rate ratio",
    "n_free": "free steps",
    "zeta": r"EP's nudge $\zeta$",
    "eps": r"halting threshold $\epsilon$",
}


def _label(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value.replace("gaussian:", "N(0, std²), std ")
    return f"{value:g}"


def plot_sensitivity(
    slices: Mapping[str, Sequence[Mapping[str, Any]]],
    chosen: Mapping[str, Any],
    title: str = "",
    symbols: Mapping[str, str] | None = None,
) -> Figure:
    """One panel per constant: validation error (%) per value, one line per context.

    ``slices`` is :func:`~lra_edu.experiments.tuning.sensitivity`'s result; ``chosen`` maps
    each constant to its chosen value, which is marked on every panel. Seeds are drawn as
    dots around each context's mean.
    """
    if not slices:
        raise ValueError("plot_sensitivity needs at least one constant with stored trials")
    names = {**SYMBOLS, **(symbols or {})}
    fig, axes = plt.subplots(1, len(slices), figsize=(3.4 * len(slices), 3.2), squeeze=False, sharey=True)
    for ax, (constant, points) in zip(axes[0], slices.items()):
        labels = [_label(p["value"]) for p in points]
        contexts = list(dict.fromkeys(c for p in points for c in p["scores"]))
        for i, context in enumerate(contexts):
            means = []
            for x, p in enumerate(points):
                seeds = p["scores"].get(context, [])
                ax.scatter([x] * len(seeds), seeds, s=10, color=f"C{i}", alpha=0.5)
                means.append(statistics.fmean(seeds) if seeds else math.nan)
            ax.plot(range(len(points)), means, "-o", color=f"C{i}", label=context, markersize=4)
        pick = labels.index(_label(chosen[constant]))
        ax.axvline(pick, color="k", linestyle=":", linewidth=1)
        ax.set_xticks(range(len(points)), labels, rotation=30 if len(labels) > 3 else 0)
        ax.set_xlabel(names.get(constant, constant))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("best validation error (%)")
    axes[0][-1].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
