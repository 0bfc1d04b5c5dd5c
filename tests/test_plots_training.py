"""Figures of training runs (lra_edu.plots.training)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes

from lra_edu import MLP, load_dataset, train
from lra_edu.algorithms import BP
from lra_edu.plots.training import (
    plot_curves,
    plot_unit_values,
    plot_walk,
)
from lra_edu.train import History


def test_plot_curves_draws_mean_and_band_from_ensembles_and_single_runs():
    data = load_dataset("digits", train_subset=100)
    runs = []
    for seed in (0, 1):
        net = MLP((64, 8, 10), "tanh", seed=seed)
        runs.append(train(net, BP(), data, "sgd:0.1", epochs=2, batch_size=50, seed=seed, progress=False))
    ax = plot_curves({"two seeds": runs, "one": runs[0]}, styles={"one": {"linestyle": "--"}})
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2 and len(ax.collections) == 1
    assert list(ax.lines[0].get_xdata()) == [0, 1, 2]
    ax2 = plot_curves({"one": runs[0]}, key="depth", skip_epoch0=True)
    assert list(ax2.lines[0].get_xdata()) == [1, 2]
    ax3 = plot_curves({"two seeds": runs}, band=False)
    assert len(ax3.lines) == 1 and len(ax3.collections) == 0


def test_plot_curves_rejects_empty_input_and_missing_diagnostics():
    with pytest.raises(ValueError, match="at least one run"):
        plot_curves({})
    with pytest.raises(ValueError, match="at least one History"):
        plot_curves({"none": []})
    h = History(records=[{"epoch": 0, "test_error": 90.0}])
    with pytest.raises(ValueError, match="no 'angle' values"):
        plot_curves({"run": h}, key="angle")


def test_plot_walk_relative_and_absolute():
    ax = plot_walk({"a": [2.0, 1.0, 0.5], "b": np.array([1.0, 0.9])})
    assert len(ax.lines) == 2
    assert list(ax.lines[0].get_ydata()) == [1.0, 0.5, 0.25]
    ax = plot_walk({"a": [2.0, 1.0]}, relative=False)
    assert list(ax.lines[0].get_ydata()) == [2.0, 1.0]
    with pytest.raises(ValueError, match="positive start"):
        plot_walk({"a": [0.0, 1.0]})
    with pytest.raises(ValueError, match="finite"):
        plot_walk({"a": [1.0, float("nan")]})
    with pytest.raises(ValueError, match="at least one"):
        plot_walk({})


def test_plot_unit_values_bars_for_discrete_and_histogram_for_continuous():
    ax = plot_unit_values(np.array([-1.0, 0.0, 0.0, 1.0]))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1", "0", "1"]
    assert any("zeros: 50%" in t.get_text() for t in ax.texts)
    ax = plot_unit_values(np.linspace(-1, 1, 200), bins=10)
    assert len(ax.patches) == 10
    with pytest.raises(ValueError, match="finite"):
        plot_unit_values(np.array([]))
