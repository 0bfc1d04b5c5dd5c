"""Figures and measurements of the LRA chapters (lra_edu.plots.lra)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from lra_edu import MLP, load_dataset, one_hot, train
from lra_edu.algorithms import BP
from lra_edu.algorithms.lra import LRADiff, LRAFdbk
from lra_edu.backend import RNG
from lra_edu.plots.lra import (
    displacement_angles,
    layer_cosines,
    plot_curves,
    plot_unit_values,
    plot_walk,
    subgraph_loss,
    walk_losses,
)
from lra_edu.train import History


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def small_problem(unit: str = "tanh", seed: int = 0):
    rng = np.random.default_rng(seed)
    net = MLP((6, 8, 8, 4), unit, "gaussian:0.5", seed=seed, dtype="float64")
    x = rng.normal(size=(10, 6))
    t = one_hot(rng.integers(0, 4, size=10), 4, "float64")
    return net, x, t


def test_layer_cosines_are_one_for_equal_updates_and_minus_one_for_opposite():
    net, x, t = small_problem()
    g = BP().step(net, x, t).grads
    assert np.allclose(layer_cosines(g, g, 3), 1.0)
    assert np.allclose(layer_cosines(g, {k: -v for k, v in g.items()}, 3), -1.0)


def test_walk_losses_fall_for_lra_diff_and_match_the_forward_pass_at_k0():
    net, x, t = small_problem()
    fw = net.forward(x)
    losses = walk_losses(net, fw, 3, t, 8, lambda k: LRADiff(K=k, beta=0.1, c2=None))
    assert len(losses) == 9
    assert losses[0] == pytest.approx(subgraph_loss(net, LRADiff(), 3, fw.z[2], t))
    assert losses[-1] < losses[1] < losses[0]
    # a hidden subgraph, with the target the top subgraph hands down
    y2 = LRADiff(K=3, beta=0.1).target_below(net, fw, 3, t)
    hidden = walk_losses(net, fw, 2, y2, 5, lambda k: LRADiff(K=k, beta=0.1, c2=None))
    assert hidden[-1] < hidden[0]


def test_walk_losses_accept_feedback_algorithms_and_reject_bad_layers():
    net, x, t = small_problem()
    fw = net.forward(x)

    def make(k: int) -> LRAFdbk:
        algo = LRAFdbk(K=k)
        algo.setup(net, RNG(0))
        return algo

    assert len(walk_losses(net, fw, 3, t, 3, make)) == 4
    for l, K in ((1, 3), (4, 3), (3, 0)):
        with pytest.raises(ValueError, match="subgraph"):
            walk_losses(net, fw, l, t, K, make)


def test_subgraph_loss_applies_the_discrete_unit_before_the_layer():
    net, x, t = small_problem("tanh+sign")
    fw = net.forward(x)
    # feeding z (not z*) must give the same as the forward pass, which fed sign(z)
    assert subgraph_loss(net, LRADiff(), 3, fw.z[2], t) == pytest.approx(
        float(-(t * np.log(fw.z[3])).sum(axis=-1).mean())
    )


def test_displacement_angles_zero_for_the_same_algorithm_and_bounded_for_feedback():
    net, x, t = small_problem()
    fw = net.forward(x)
    diff = LRADiff(K=1)
    same = displacement_angles(net, fw, t, diff, diff)
    assert sorted(same) == [2, 3] and max(same.values()) < 1e-6
    fdbk = LRAFdbk()
    fdbk.setup(net, RNG(1))
    other = displacement_angles(net, fw, t, fdbk, diff)
    assert all(0.0 <= a <= 180.0 for a in other.values())


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
