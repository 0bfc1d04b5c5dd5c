"""The experiment-chapter plot helpers and result selection (E1-E5 part of lra_edu.plots.experiments)."""

from __future__ import annotations

import numpy
import pytest
from matplotlib.axes import Axes

from lra_edu.plots.experiments import (
    plot_filters,
    plot_result_curves,
    result_curve,
    result_label,
    select_results,
)


def _result(row: str, col: str = "", status: str = "ok", errors=(90.0, 50.0, 40.0)) -> dict:
    curves = [{"epoch": 0, "test_error": errors[0]}]
    curves += [{"epoch": e, "test_error": v, "depth": 9.0 - e} for e, v in enumerate(errors[1:], 1)]
    return {"cell": ["Table", row, col], "status": status, "curves": curves, "phases": [{"history": curves}]}


def test_result_label_and_curve():
    r = _result("LRA-fdbk", "tanh 0")
    assert result_label(r) == "LRA-fdbk tanh 0"
    assert result_label({"cell": ["curves", "BP", ""]}) == "BP"
    assert result_curve(r, "test_error") == ([0, 1, 2], [90.0, 50.0, 40.0])
    # Records lacking the key (epoch 0 has no step diagnostics) are skipped.
    assert result_curve(r, "depth") == ([1, 2], [8.0, 7.0])
    assert result_curve(r, "depth", phase=0) == ([1, 2], [8.0, 7.0])
    with pytest.raises(ValueError, match="angle"):
        result_curve(r, "angle")


def test_plot_result_curves_draws_one_line_per_result():
    results = [_result("BP"), _result("LRA", errors=(90.0, 30.0, 20.0))]
    ax = plot_result_curves(results, styles={"BP": {"linestyle": "--"}}, title="t")
    assert isinstance(ax, Axes) and len(ax.lines) == 2
    assert [line.get_label() for line in ax.lines] == ["BP", "LRA"]
    assert ax.lines[0].get_linestyle() == "--"
    assert list(ax.lines[1].get_ydata()) == [90.0, 30.0, 20.0]
    with pytest.raises(ValueError):
        plot_result_curves([])


def test_select_results_filters_by_cell_and_status():
    results = [
        _result("BP", "tanh 0", "no_symmetry_breaking"),
        _result("BP", "sig .1"),
        _result("LRA-fdbk", "tanh 0"),
    ]
    assert len(select_results(results, row="BP")) == 2
    assert len(select_results(results, column="tanh 0")) == 2
    assert select_results(results, row="BP", status="ok") == [results[1]]


def test_plot_filters_tiles_images_and_checks_shape():
    filters = numpy.random.default_rng(0).normal(size=(10, 16))
    ax = plot_filters(filters, shape=(4, 4), n=6, ncols=3, title="f")
    image = ax.images[0].get_array()
    assert image.shape == (2 * 4 + 1, 3 * 4 + 2)
    assert ax.get_title() == "f"
    with pytest.raises(ValueError, match="shape"):
        plot_filters(filters, shape=(3, 3))


