"""The Relatives chapters' helpers measure what they claim and their plots draw."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

import lra_edu as lra
from lra_edu.backend import RNG
from lra_edu.plots.relatives import (
    AlignmentLog,
    ep_energy,
    estimator_moments,
    feedback_angles,
    layer_angles,
    plot_estimator_bands,
    plot_layer_curves,
    plot_relaxation,
    plot_sigma_log,
    relaxation_trace,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def batch(n_in, n_out, size, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(size, n_in)), np.eye(n_out)[rng.integers(0, n_out, size)]


def test_feedback_angles_are_zero_for_transposed_weights_and_about_90_for_random():
    net = lra.MLP((6, 30, 30, 4), "tanh", init="glorot", seed=0, dtype="float64")
    fa = lra.make_algorithm("fa")
    fa.setup(net, RNG(0))
    random = feedback_angles(net, fa)
    assert set(random) == {2, 3}
    assert all(60 < a < 120 for a in random.values())
    fa.B = {l: net.W(l).T.copy() for l in fa.B}
    assert all(a < 1e-6 for a in feedback_angles(net, fa).values())
    fa.B = {l: -net.W(l).T for l in fa.B}
    assert all(abs(a - 180) < 1e-6 for a in feedback_angles(net, fa).values())


def test_feedback_angles_refuse_algorithms_without_fa_feedback():
    net = lra.MLP((4, 5, 5, 3), "tanh", seed=0)
    with pytest.raises(ValueError, match="feedback matrices"):
        feedback_angles(net, lra.make_algorithm("bp"))
    dfa = lra.make_algorithm("dfa")
    dfa.setup(net, RNG(0))
    dfa.B = {2: dfa.B[2]}  # (3, 5) is not W_2^T's (5, 5)
    with pytest.raises(ValueError, match="not FA's feedback"):
        feedback_angles(net, dfa)


def test_layer_angles_per_layer():
    net = lra.MLP((4, 5, 5, 3), "tanh", init="glorot", seed=1, dtype="float64")
    x, t = batch(4, 3, 6)
    bp = lra.make_algorithm("bp").step(net, x, t).grads
    same = layer_angles(bp, bp, 3)
    assert set(same) == {1, 2, 3} and all(a < 1e-6 for a in same.values())
    flipped = dict(bp, W1=-bp["W1"], b1=-bp["b1"])
    assert abs(layer_angles(flipped, bp, 3)[1] - 180) < 1e-6
    with pytest.raises(ValueError, match="layer 4"):
        layer_angles(bp, bp, 4)


def test_alignment_log_records_each_epoch_without_changing_the_algorithm():
    data = lra.load_dataset("digits", train_subset=200)
    xv, yv = data.split("valid")
    net = lra.MLP((64, 16, 16, 10), "tanh", init="glorot", seed=0)
    fa = lra.make_algorithm("fa")
    log = AlignmentLog(net, fa, xv[:40], lra.one_hot(yv[:40], 10))
    lra.train(net, fa, data, "sgd:0.1", epochs=2, progress=False, callback=log, splits=("test",))
    assert log.epochs == [0, 1, 2]
    assert set(log.weight) == {2, 3} and set(log.update) == {1, 2, 3}
    assert all(len(v) == 3 for v in [*log.weight.values(), *log.update.values()])
    assert all(v < 1e-3 for v in log.update[3])  # the output layer is exact in FA
    # DTP: probing leaves its sigma log and the net's noise stream untouched
    dnet = lra.MLP((64, 16, 16, 16, 10), "tanh", init="glorot", seed=0)
    dtp = lra.make_algorithm("dtp_sigma")
    dtp.setup(dnet, RNG(0))
    probe = AlignmentLog(dnet, dtp, xv[:40], lra.one_hot(yv[:40], 10))
    state = repr(dnet.noise.host.bit_generator.state)
    probe({"epoch": 0})
    assert dtp.sigma_log == [] and probe.weight == {} and set(probe.update) == {1, 2, 3, 4}
    assert repr(dnet.noise.host.bit_generator.state) == state


def test_plot_layer_curves_colours_by_layer_and_checks_lengths():
    ax = plot_layer_curves([0, 1, 2], {1: [90, 80, 70], 2: np.array([88.0, 60.0, 50.0])}, title="t")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3  # two layers and the 90-degree reference
    plot_layer_curves([0, 1, 2], {1: [1, 2, 3]}, ax=ax, style="--", label="layer {l}, other", hline=None)
    assert ax.lines[0].get_color() == ax.lines[-1].get_color()
    assert ax.lines[-1].get_label() == "layer 1, other"
    with pytest.raises(ValueError, match="2 values but there are 3 epochs"):
        plot_layer_curves([0, 1, 2], {1: [1, 2]})
    with pytest.raises(ValueError, match="at least one layer"):
        plot_layer_curves([0], {})


def test_plot_sigma_log_draws_each_layer_and_the_floor():
    log = [{"sigma_1": 0.001, "sigma_2": 0.01}, {"sigma_1": 0.004, "sigma_2": 0.01}]
    ax = plot_sigma_log(log, floor=0.001, steps_per_epoch=2)
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    assert list(ax.lines[0].get_xdata()) == [0.5, 1.0]
    with pytest.raises(ValueError, match="empty"):
        plot_sigma_log([])


def test_ep_energy_matches_its_definition_and_relaxation_lowers_it():
    rng = np.random.default_rng(0)
    net = lra.MLP((3, 4, 2), "hard_sigmoid", init="gaussian:0.5", seed=0, dtype="float64")
    x, t = rng.uniform(size=(5, 3)), np.eye(2)[rng.integers(0, 2, 5)]
    s = [None, rng.uniform(size=(5, 4)), rng.uniform(size=(5, 2))]
    rho = [x, np.clip(s[1], 0, 1), np.clip(s[2], 0, 1)]
    want = 0.5 * (s[1] ** 2).sum(-1) + 0.5 * (s[2] ** 2).sum(-1)
    for l in (1, 2):
        want = want - ((rho[l - 1] @ net.W(l)) * rho[l]).sum(-1) - (net.params[f"b{l}"] * rho[l]).sum(-1)
    assert ep_energy(net, x, s) == pytest.approx(want.mean(), rel=1e-12)
    nudge = 0.5 * 0.3 * ((t - s[2]) ** 2).sum(-1)
    assert ep_energy(net, x, s, 0.3, t) == pytest.approx((want + nudge).mean(), rel=1e-12)
    with pytest.raises(ValueError, match="needs the targets"):
        ep_energy(net, x, s, 0.3)
    with pytest.raises(ValueError, match="states must be"):
        ep_energy(net, x, s[:2])
    algo = lra.make_algorithm("equil_prop", n_free=15, n_nudged=5)
    trace = relaxation_trace(algo, net, x, t)
    assert len(trace["energy"]) == 21 and trace["phase"].count("nudged") == 5
    free = trace["energy"][:16]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(free))
    assert plot_relaxation(trace).lines


def test_estimator_moments_are_exact_for_one_unit():
    net = lra.MLP((1, 1, 2), "sigmoid+bernoulli", seed=0, dtype="float64")
    net.params.update(W1=np.array([[0.7]]), b1=np.array([-0.2]), W2=np.array([[1.5, -1.0]]), b2=np.zeros(2))
    x, t = np.array([[1.0]]), np.eye(2)[[0]]
    p = 1 / (1 + np.exp(-0.5))

    def loss(s):
        return float(lra.losses.nll(s * net.W(2) + net.params["b2"], t)[0])

    exact = (loss(1.0) - loss(0.0)) * p * (1 - p)
    mean, std = estimator_moments(lra.make_algorithm("reinforce"), net, x, t)
    assert float(mean[0, 0]) == pytest.approx(exact, rel=1e-9)
    # two outcomes: the spread is |g(1) - g(0)| sqrt(p (1 - p)); g(s) = L(s) (s - p)
    assert float(std[0, 0]) == pytest.approx(abs(loss(1.0) * (1 - p) + loss(0.0) * p) * np.sqrt(p * (1 - p)))
    st_mean, st_std = estimator_moments(lra.make_algorithm("st_pass"), net, x, t, key="W2")
    assert st_mean.shape == (1, 2) and st_std.shape == (1, 2)
    # a Monte Carlo estimate agrees with the exact moments
    algo = lra.make_algorithm("st_sigmoid")
    algo.setup(net, RNG(0))
    draws = [float(algo.step(net, x, t).grads["W1"][0, 0]) for _ in range(4000)]
    m, s = estimator_moments(algo, net, x, t)
    assert np.mean(draws) == pytest.approx(float(m[0, 0]), abs=4 * float(s[0, 0]) / np.sqrt(4000))
    assert np.std(draws) == pytest.approx(float(s[0, 0]), rel=0.1)


def test_estimator_moments_refuse_what_they_cannot_enumerate():
    algo = lra.make_algorithm("reinforce")
    with pytest.raises(ValueError, match="one hidden layer"):
        estimator_moments(algo, lra.MLP((2, 2, 2, 2), "sigmoid+bernoulli"), np.ones((1, 2)), np.eye(2)[[0]])
    with pytest.raises(ValueError, match="too many"):
        estimator_moments(algo, lra.MLP((2, 13, 2), "sigmoid+bernoulli"), np.ones((1, 2)), np.eye(2)[[0]])
    with pytest.raises(ValueError, match="one sample"):
        three = np.eye(2)[[0, 1, 0]]
        estimator_moments(algo, lra.MLP((2, 2, 2), "sigmoid+bernoulli"), np.ones((3, 2)), three)


def test_plot_estimator_bands():
    ax = plot_estimator_bands(
        [0.1, 0.5, 0.9], [0.0, -0.2, 0.0], {"a": ([0, -0.1, 0], [0.1, 0.2, 0.1])}, xlabel="p"
    )
    assert len(ax.lines) == 2 and len(ax.collections) == 1
    with pytest.raises(ValueError, match="2 means"):
        plot_estimator_bands([0, 1, 2], [0, 0, 0], {"a": ([0, 1], [0, 1, 2])})
    with pytest.raises(ValueError, match="at least one"):
        plot_estimator_bands([0], [0], {})
