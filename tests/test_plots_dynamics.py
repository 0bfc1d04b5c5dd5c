"""How runs learn: the figures of the LRA-E, initialization and recurrent-LRA chapters."""

from __future__ import annotations

import numpy
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lra_edu.plots.dynamics import (
    init_dashboard,
    lra_e_dashboard,
    plot_band,
    plot_discrepancy,
    plot_layer_norms,
    plot_matmul_counts,
)


def test_plot_band_draws_mean_and_band_and_rejects_bad_input():
    ax = plot_band({"a": [[1, 2, 3], [3, 4, 5]], "b": [numpy.array([0.0, 1.0, 2.0])]}, logy=True)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2 and len(ax.collections) == 1  # one band: only "a" has several runs
    numpy.testing.assert_allclose(ax.lines[0].get_ydata(), [2, 3, 4])
    with pytest.raises(ValueError, match="at least one group"):
        plot_band({})
    with pytest.raises(ValueError, match="x has"):
        plot_band({"a": [[1, 2]]}, x=[1, 2, 3])


def test_plot_discrepancy_twin_axes():
    ax = plot_discrepancy({"run": [3.0, 2.0, 1.0]}, {"run": [2.3, 1.0, 0.5, 0.4]})
    assert len(ax.lines) == 1 and len(ax.figure.axes) == 2
    with pytest.raises(ValueError, match="same"):
        plot_discrepancy({"a": [1.0]}, {"b": [1.0]})


def test_plot_matmul_counts_and_layer_norms():
    ax = plot_matmul_counts([3, 4], {"m": [5, 7]}, {"c": [6, 8]})
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="depths"):
        plot_matmul_counts([3, 4], {"m": [5]}, {})
    ax = plot_layer_norms({"bp": [0.0, 1e-3, 1.0]})
    assert ax.get_yscale() == "log" and len(ax.lines) == 2  # the curve and the hollow zero marker
    with pytest.raises(ValueError, match="negative or NaN"):
        plot_layer_norms({"bp": [float("nan")]})
    with pytest.raises(ValueError, match="floor"):
        plot_layer_norms({"bp": [1.0]}, floor=0.0)


def test_dashboards_return_figures():
    fig = lra_e_dashboard([90, 50, 20], [90, 80, 70], [60, 65], [0.02, 0.01], title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    fig = init_dashboard([90, 80], {"BP": [0.0, 1.0], "LRA": [5.0, 5.0]})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
