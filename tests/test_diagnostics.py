"""lra_edu.diagnostics measures what it claims: exact identities where they exist."""

from __future__ import annotations

import itertools

import numpy
import numpy as np
import pytest
from helpers import batch

import lra_edu as lra
from lra_edu import MLP, RNG, make_algorithm, one_hot
from lra_edu.algorithms import BP
from lra_edu.algorithms.lra import LRADiff, LRAFdbk
from lra_edu.diagnostics import (
    AlignmentLog,
    accuracy_by_context,
    add_internal_discrepancy,
    class_separation,
    displacement_angles,
    distinct_units,
    ep_energy,
    error_weight_angles,
    estimator_moments,
    feedback_angles,
    filter_roughness,
    internal_discrepancy,
    layer_angles,
    layer_cosines,
    layer_update_norms,
    linearized_filters,
    memoryless_accuracy,
    output_ranks,
    relaxation_trace,
    subgraph_loss,
    train_rnn_curve,
    tsne_embedding,
    walk_losses,
)
from lra_edu.metrics import angle, cosine
from lra_edu.rnn import ElmanRNN, draw_error_weights, pattern_sequences


def small_problem(unit: str = "tanh", seed: int = 0):
    net = MLP((6, 8, 8, 4), unit, "gaussian:0.5", seed=seed, dtype="float64")
    x, t = batch(6, 4, 10, seed)
    return net, x, t


# --------------------------------------------------------------------------- alignment


def test_layer_cosines_equal_the_cosine_of_each_weight_matrix():
    net, x, t = small_problem()
    g = BP().step(net, x, t).grads
    h = LRADiff(K=1).step(net, x, t).grads
    assert layer_cosines(g, h, 3) == [cosine({"W": g[f"W{l}"]}, {"W": h[f"W{l}"]}) for l in (1, 2, 3)]


def test_angle_and_cosine_take_plain_arrays_as_one_parameter():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert angle(a, b) == angle({"W": a}, {"W": b})
    assert cosine(a, b) == cosine({"W": a}, {"W": b})
    with pytest.raises(TypeError, match="two arrays or two dictionaries"):
        angle(a, {"W": b})
    with pytest.raises(ValueError, match="shapes"):
        cosine(a, b.T)


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


def test_linearized_filters_are_unit_columns_of_the_weight_product():
    net = lra.MLP((12, 5, 4, 3, 2), "tanh", init="gaussian:0.5", seed=0, dtype="float64")
    filters = linearized_filters([net.W(1), net.W(2), net.W(3)])
    product = numpy.asarray(net.W(1)) @ numpy.asarray(net.W(2)) @ numpy.asarray(net.W(3))
    assert filters.shape == (3, 12)
    numpy.testing.assert_allclose(numpy.linalg.norm(filters, axis=1), 1.0)
    # Each filter is the unit input maximizing the linearized unit: x @ P[:, j] = ||P[:, j]||.
    numpy.testing.assert_allclose(numpy.diag(filters @ product), numpy.linalg.norm(product, axis=0))
    # A zero column stays zero instead of dividing by zero.
    assert numpy.all(linearized_filters([numpy.zeros((4, 2))]) == 0)
    with pytest.raises(ValueError):
        linearized_filters([])


def test_tsne_and_class_separation():
    rng = numpy.random.default_rng(0)
    labels = numpy.repeat([0, 1, 2], 20)
    separated = rng.normal(size=(60, 5)) * 0.1 + 5.0 * labels[:, None]
    points = tsne_embedding(separated, seed=0, perplexity=10)
    assert points.shape == (60, 2) and numpy.isfinite(points).all()
    assert class_separation(points, labels) > 0.8
    mixed = rng.normal(size=(60, 2))
    assert class_separation(mixed, labels) < 0.2
    assert class_separation(numpy.zeros((6, 2)), labels[:6]) == 0.0
    with pytest.raises(ValueError):
        tsne_embedding(numpy.zeros((2, 3)))


# --------------------------------------------------------------------------- discrepancy, units


def test_internal_discrepancy_is_discrepancy_minus_loss_and_skips_epoch_0():
    records = [
        {"epoch": 0, "test_error": 90.0},
        {"epoch": 1, "discrepancy": 3.5, "loss": 1.25},
        {"epoch": 2, "discrepancy": 2.0, "loss": 0.5},
    ]
    assert internal_discrepancy(records) == ([1, 2], [2.25, 1.5])
    with pytest.raises(ValueError, match="discrepancy"):
        internal_discrepancy(records[:1])
    results = add_internal_discrepancy([{"curves": records}])
    assert [r.get("internal_discrepancy") for r in results[0]["curves"]] == [None, 2.25, 1.5]


def test_internal_discrepancy_of_a_training_run_matches_its_history():
    data = lra.load_dataset("digits", train_subset=100)
    net = MLP((64, 8, 8, 10), "tanh", seed=0)
    history = lra.train(net, make_algorithm("lra_e"), data, "sgd:0.01", epochs=2, progress=False)
    epochs, values = internal_discrepancy(history.records)
    assert epochs == [1, 2]
    assert values == [r["discrepancy"] - r["loss"] for r in history.records[1:]]


def test_output_ranks_count_independent_hidden_features():
    net = MLP((5, 4, 3, 2), "identity", "gaussian:1", seed=0, dtype="float64")
    x = np.random.default_rng(0).normal(size=(20, 5))
    assert output_ranks(net, x) == [4, 3]
    zero = MLP((5, 4, 3, 2), "tanh", "zeros", seed=0, dtype="float64")
    assert output_ranks(zero, x) == [0, 0]
    with pytest.raises(ValueError, match="single network"):
        output_ranks(MLP((5, 4, 2), ensemble=2), x)


def test_filter_roughness_is_zero_for_constant_filters_and_one_for_a_checkerboard():
    flat = np.ones((2, 16))
    assert filter_roughness(flat, shape=(4, 4)) == 0.0
    checker = np.indices((4, 4)).sum(axis=0) % 2 * 2.0 - 1.0
    # every one of the 24 neighbour pairs differs by 2: (24 * 4) / (4 * 16) = 1.5
    assert filter_roughness(checker.reshape(1, 16), shape=(4, 4)) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="all filters are zero"):
        filter_roughness(np.zeros((1, 16)), shape=(4, 4))
