"""Figures and helpers of the LRA-E, initialization and recurrent-LRA chapters."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lra_edu import MLP, RNG, make_algorithm, one_hot
from lra_edu.plots.lra_e import (
    accuracy_by_context,
    distinct_units,
    error_weight_angles,
    init_dashboard,
    layer_update_norms,
    lra_e_dashboard,
    memoryless_accuracy,
    plot_band,
    plot_discrepancy,
    plot_layer_norms,
    plot_matmul_counts,
    train_rnn_curve,
)
from lra_edu.rnn import ElmanRNN, draw_error_weights, pattern_sequences


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_error_weight_angles_zero_for_transposed_weights_and_checked_input():
    net = MLP((5, 4, 4, 3), "tanh", "gaussian:0.5", seed=0, dtype="float64")
    algo = make_algorithm("lra_e")
    algo.setup(net, RNG(0))
    angles = error_weight_angles(net, algo)
    assert len(angles) == 2 and all(0 < a < 180 for a in angles)
    algo.params = {f"E{l}": net.W(l).T.copy() for l in (2, 3)}
    assert error_weight_angles(net, algo) == pytest.approx([0.0, 0.0], abs=1e-5)
    with pytest.raises(ValueError, match="no learned error weights"):
        error_weight_angles(net, make_algorithm("bp"))
    with pytest.raises(ValueError, match="single network"):
        error_weight_angles(MLP((5, 4, 3), ensemble=2), algo)


def test_layer_update_norms_and_distinct_units():
    grads = {"W1": numpy.full((2, 2), 1.0), "W2": numpy.zeros((2, 1))}
    assert layer_update_norms(grads, 3) == [2.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        layer_update_norms(grads, 0)
    W = numpy.array([[1.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    assert distinct_units(W) == 2
    assert distinct_units(numpy.zeros((3, 4))) == 1
    assert distinct_units(W + numpy.array([0, 1e-7, 0])) == 2  # rounding-sized differences
    assert distinct_units(W + numpy.array([0, 1e-3, 0])) == 3
    with pytest.raises(ValueError, match="2-D"):
        distinct_units(numpy.zeros(3))


def test_zero_init_backprop_keeps_units_identical():
    net = MLP((6, 5, 5, 3), "sigmoid", "zeros", seed=0, dtype="float64")
    bp = make_algorithm("bp")
    rng = numpy.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(size=(8, 6))
        t = one_hot(rng.integers(0, 3, 8), 3, "float64")
        for k, g in bp.step(net, x, t).grads.items():
            net.params[k] -= 0.5 * g
    assert [distinct_units(net.W(l)) for l in (1, 2)] == [1, 1]


def test_memoryless_accuracy_of_the_0121_pattern_is_three_quarters():
    x, y = pattern_sequences(64, 40, noise=0.0, seed=0)
    assert memoryless_accuracy(x, y, x, y) == pytest.approx(0.75, abs=0.02)
    with pytest.raises(ValueError, match="one-hot sequences"):
        memoryless_accuracy(x[0], y[0], x, y)


def test_accuracy_by_context_and_train_rnn_curve():
    x, y = pattern_sequences(32, 8, noise=0.0, seed=0)
    rnn = ElmanRNN(3, 6, 3, seed=0)
    at, other = accuracy_by_context(rnn, x, y, symbol=1)
    assert 0.0 <= at <= 1.0 and 0.0 <= other <= 1.0
    with pytest.raises(ValueError, match="some but not all"):
        accuracy_by_context(rnn, x, y, symbol=7)
    E = draw_error_weights(rnn, 1.0, 3)
    curve = train_rnn_curve(rnn, x, y, x, y, "lra", epochs=2, seed=3)
    assert {k: len(v) for k, v in curve.items()} == {"loss": 3, "accuracy": 3, "u_angle": 3}
    assert curve["accuracy"][-1] == rnn.accuracy(x, y)
    assert 0 <= curve["u_angle"][0] <= 180 and E.shape == (3, 6)
    assert "u_angle" not in train_rnn_curve(ElmanRNN(3, 6, 3), x, y, x, y, "bptt", epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        train_rnn_curve(rnn, x, y, x, y, epochs=-1)


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
