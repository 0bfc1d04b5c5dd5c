"""The Relatives chapters' plots draw what they are given and reject bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.axes import Axes

from lra_edu.plots.relatives import (
    plot_estimator_bands,
    plot_layer_curves,
    plot_relaxation,
    plot_sigma_log,
)


def test_plot_layer_curves_colours_by_layer_and_checks_lengths():
    ax = plot_layer_curves([0, 1, 2], {1: [90, 80, 70], 2: np.array([88.0, 60.0, 50.0])}, title="t")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3  # two layers and the 90-degree reference
    plot_layer_curves([0, 1, 2], {1: [1, 2, 3]}, ax=ax, style="--", label="layer {l}, other", hline=None)
    assert ax.lines[0].get_color() == ax.lines[-1].get_color()
    assert ax.lines[-1].get_label() == "layer 1, other"
    with pytest.raises(ValueError, match="layer 1 has 2 values but epochs has 3"):
        plot_layer_curves([0, 1, 2], {1: [1, 2]})
    with pytest.raises(ValueError, match="at least one layer"):
        plot_layer_curves([0], {})


def test_plot_sigma_log_of_a_constant_level_draws_without_warning():
    ax = plot_sigma_log([{"sigma_2": 0.001}] * 4, floor=0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax.figure.canvas.draw()
    assert ax.get_ylim() == pytest.approx((0.0005, 0.002))


def test_plot_sigma_log_draws_each_layer_and_the_floor():
    log = [{"sigma_1": 0.001, "sigma_2": 0.01}, {"sigma_1": 0.004, "sigma_2": 0.01}]
    ax = plot_sigma_log(log, floor=0.001, steps_per_epoch=2)
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    assert list(ax.lines[0].get_xdata()) == [0.5, 1.0]
    with pytest.raises(ValueError, match="empty"):
        plot_sigma_log([])


def test_plot_estimator_bands():
    ax = plot_estimator_bands(
        [0.1, 0.5, 0.9], [0.0, -0.2, 0.0], {"a": ([0, -0.1, 0], [0.1, 0.2, 0.1])}, xlabel="p"
    )
    assert len(ax.lines) == 2 and len(ax.collections) == 1
    with pytest.raises(ValueError, match="2 means"):
        plot_estimator_bands([0, 1, 2], [0, 0, 0], {"a": ([0, 1], [0, 1, 2])})
    with pytest.raises(ValueError, match="at least one"):
        plot_estimator_bands([0], [0], {})


def test_plot_relaxation_draws_the_free_and_the_nudged_phase():
    trace = {
        "phase": ["start", "free", "free", "nudged"],
        "energy": [1.0, 0.5, 0.25, 0.3],
        "total": [1.2, 0.7, 0.45, 0.4],
        "change": [float("nan"), 0.5, 0.25, 0.1],
    }
    ax = plot_relaxation(trace)
    assert [list(line.get_xdata()) for line in ax.lines] == [[0, 1, 2], [2, 3]]
    assert list(ax.lines[1].get_ydata()) == [0.45, 0.4]
    with pytest.raises(ValueError, match="empty"):
        plot_relaxation({"phase": []})
