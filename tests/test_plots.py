"""The book's plotting helpers draw without error and reject bad input clearly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy
import pytest
from matplotlib.axes import Axes

from lra_edu.lemma import random_lemma1_worst
from lra_edu.plots import plot_histograms, plot_lemma1_grid, plot_sweep


def test_lemma1_grid_draws_from_library_records():
    records = random_lemma1_worst(depths=(2, 3), units=("tanh", "relu"), width=4, batch=3)
    ax = plot_lemma1_grid(records)
    assert isinstance(ax, Axes)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tanh", "relu"]
    assert len(ax.texts) == 4


def test_lemma1_grid_handles_exact_zero_and_given_axes():
    _, ax = plt.subplots()
    out = plot_lemma1_grid([{"depth": 2, "unit": "identity", "worst_rel_diff": 0.0}], ax=ax)
    assert out is ax


@pytest.mark.parametrize(
    "records, match",
    [
        ([], "at least one record"),
        ([{"depth": 2, "unit": "tanh"}], "lacks"),
        ([{"depth": 2, "unit": "tanh", "worst_rel_diff": float("nan")}], "non-negative"),
    ],
)
def test_lemma1_grid_rejects_bad_records(records, match):
    with pytest.raises(ValueError, match=match):
        plot_lemma1_grid(records)


def test_sweep_draws_each_series():
    ax = plot_sweep([0.1, 1, 10], {"a": [0, 0.5, 1], "b": numpy.array([1.0, 0.5, 0.0])}, xlabel="eta")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2
    assert ax.get_xscale() == "log"


def test_sweep_rejects_mismatched_lengths_and_empty():
    with pytest.raises(ValueError, match="has 2 values but x has 3"):
        plot_sweep([1, 2, 3], {"a": [1, 2]})
    with pytest.raises(ValueError, match="at least one series"):
        plot_sweep([1, 2, 3], {})


def test_histograms_draw_with_bounds():
    rng = numpy.random.default_rng(0)
    ax = plot_histograms({"x": rng.normal(size=(10, 5)), "y": rng.normal(size=50)}, bounds=(-1, 1))
    assert isinstance(ax, Axes)
    assert len(ax.patches) >= 3  # the shaded band and two step histograms


def test_histograms_reject_bad_input():
    with pytest.raises(ValueError, match="at least one array"):
        plot_histograms({})
    with pytest.raises(ValueError, match="low < high"):
        plot_histograms({"x": [0.0, 1.0]}, bounds=(1, -1))
