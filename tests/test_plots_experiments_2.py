"""The experiment-chapter plot helpers for E6-E9 and the report draw and reject bad input clearly."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy
import pytest
from matplotlib.axes import Axes

from lra_edu.experiments import experiment_report, get_experiment
from lra_edu.plots.experiments import (
    plot_embedding,
    plot_grouped_bars,
    plot_ours_vs_paper,
    plot_twin_curves,
    report_pairs,
)


def _result(cell=("curves", "LRA-E", "")):
    curves = [{"epoch": 0, "valid_loss": 2.3}] + [
        {"epoch": e, "valid_loss": 2.0 / e, "discrepancy": 0.1 * e} for e in (1, 2, 3)
    ]
    return {"cell": list(cell), "curves": curves}


def test_twin_curves_draw_both_keys_on_two_axes():
    ax = plot_twin_curves(_result(), "discrepancy", "valid_loss", right_label="output loss")
    assert isinstance(ax, Axes)
    twin = [a for a in ax.figure.axes if a is not ax]
    assert len(twin) == 1
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]  # epoch 0 has no discrepancy
    assert list(twin[0].lines[0].get_xdata()) == [0, 1, 2, 3]
    assert twin[0].get_ylabel() == "output loss"


def test_twin_curves_reject_a_missing_key():
    with pytest.raises(ValueError, match="angle"):
        plot_twin_curves(_result(), "angle", "valid_loss")


def test_grouped_bars_skip_missing_values():
    _, ax = plt.subplots()
    out = plot_grouped_bars({"BP": {"3": 10.0, "5": 12.0}, "EP": {"3": 20.0, "5": math.nan}}, ax=ax)
    assert out is ax
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [10.0, 12.0, 20.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["BP", "EP"]


@pytest.mark.parametrize("values", [{}, {"a": {}}])
def test_grouped_bars_reject_empty_input(values):
    with pytest.raises(ValueError, match="at least one"):
        plot_grouped_bars(values)


def test_embedding_colours_each_class():
    rng = numpy.random.default_rng(0)
    ax = plot_embedding(rng.normal(size=(30, 2)), numpy.arange(30) % 3, class_names=["a", "b", "c"])
    assert len(ax.collections) == 3
    assert [c.get_label() for c in ax.collections] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "points, labels, match",
    [(numpy.zeros((4, 3)), numpy.zeros(4), "shape"), (numpy.zeros((4, 2)), numpy.zeros(3), "labels")],
)
def test_embedding_rejects_bad_shapes(points, labels, match):
    with pytest.raises(ValueError, match=match):
        plot_embedding(points, labels)


def test_report_pairs_and_scatter_from_a_real_report():
    e8 = get_experiment("optimizers")
    adam = next(run for run in e8.runs("paper") if run.cell[2] == "Adam")
    result = {
        "run_id": adam.run_id,  # the report counts results of the spec's current runs only
        "experiment": e8.name,
        "dataset": "fashion-mnist",
        "scale": "paper",
        "cell": ["Table 3", "LRA-E", "Adam"],
        "best": {"train_error": 5.0, "test_error": 12.0},
        "status": "ok",
    }
    _, data = experiment_report(e8, [result])
    pairs = report_pairs(data)
    assert sorted(p[1] for p in pairs) == [
        "Table 3 / fashion-mnist / Adam test",
        "Table 3 / fashion-mnist / Adam train",
    ]
    assert ("fashion-mnist", "Table 3 / fashion-mnist / Adam test", 12.42, 12.0) in pairs
    assert report_pairs(data, scale="quick") == []
    ax = plot_ours_vs_paper({"E8": [(p[2], p[3]) for p in pairs]})
    assert len(ax.collections) == 1 and len(ax.lines) == 1


def test_ours_vs_paper_rejects_no_pairs():
    with pytest.raises(ValueError, match="at least one"):
        plot_ours_vs_paper({"E8": []})
