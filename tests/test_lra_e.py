"""LRA-E ([LRA19] Algorithm 1): formulas, presets, the sign of the E update, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import batch

from lra_edu import MLP, make_algorithm, one_hot, train
from lra_edu.algorithms import BP
from lra_edu.algorithms.lra_e import LRAE, PRESETS
from lra_edu.backend import RNG
from lra_edu.diagnostics import error_weight_angles
from lra_edu.losses import softmax
from lra_edu.metrics import angle, cosine
from lra_edu.optimizers import get_optimizer


def test_official_code_preset_matches_the_authors_formulas() -> None:
    # A direct transcription of the authors' TensorFlow step (batch-first, batch sum):
    # e4 = z4 - y, y3 = tanh(h3 - beta e4 E4), e3 = z3 - y3, ..., dW = z_{l-1}^T e_l.
    net = MLP((6, 5, 5, 5, 4), "tanh", "gaussian:0.5", seed=1, dtype="float64")
    x, t = batch(seed=1)
    algo = LRAE(preset="official_code")
    algo.setup(net, RNG(1))
    step = algo.step(net, x, t)
    W = [None] + [net.W(l) for l in range(1, 5)]
    b = [None] + [net.b(l) for l in range(1, 5)]
    h, z = [None] * 5, [x] + [None] * 4
    for l in range(1, 5):
        h[l] = z[l - 1] @ W[l] + b[l]
        z[l] = np.tanh(h[l]) if l < 4 else softmax(h[l])
    e = {4: z[4] - t}
    for l in (4, 3, 2):
        y = np.tanh(h[l - 1] - 0.1 * (e[l] @ algo.params[f"E{l}"]))
        e[l - 1] = z[l - 1] - y
    for l in range(1, 5):
        np.testing.assert_allclose(step.grads[f"W{l}"], z[l - 1].T @ e[l], rtol=1e-12)
        if l > 1:
            np.testing.assert_allclose(step.own_grads[f"E{l}"], (z[l - 1].T @ e[l]).T, rtol=1e-12)
    assert not any(k.startswith("b") for k in step.grads)  # the authors' code learns no biases


def test_paper_preset_uses_v1_and_the_gaussian_error() -> None:
    net = MLP((6, 5, 5, 4), "tanh", "gaussian:0.5", seed=2, dtype="float64")
    x, t = batch(seed=2)
    algo = LRAE()
    algo.setup(net, RNG(2))
    step = algo.step(net, x, t)
    fw = net.forward(x)
    e3 = fw.z[3] - t
    y2 = np.tanh(fw.h[2] - 0.1 * (e3 @ algo.params["E3"]))
    e2 = 2.0 * (fw.z[2] - y2)  # Gaussian with variance 1/2: e = -2 (y - z)
    delta2 = e2 * (1.0 - np.tanh(fw.h[2]) ** 2)  # V1 keeps f'(h)
    np.testing.assert_allclose(step.grads["W2"], fw.z[1].T @ delta2, rtol=1e-12)
    np.testing.assert_allclose(step.grads["b2"], delta2.sum(axis=0), rtol=1e-12)
    gamma = PRESETS["paper"]["gamma"]
    np.testing.assert_allclose(step.own_grads["E3"], gamma * step.grads["W3"].T, rtol=1e-12)
    assert set(step.own_grads) == {"E2", "E3"}
    assert {k: v.shape for k, v in step.own_grads.items()} == {k: v.shape for k, v in algo.params.items()}


def test_with_transposed_forward_weights_the_targets_point_downhill() -> None:
    # If E_l = W_l^T the target step is a gradient step on the layer above, so every
    # layer's update points the way backprop's does.
    net = MLP((6, 8, 8, 8, 4), "tanh", "gaussian:0.3", seed=3, dtype="float64")
    x, t = batch(seed=3)
    algo = LRAE(beta=0.01)
    algo.setup(net, RNG(3))
    algo.params = {f"E{l}": net.W(l).T.copy() for l in range(2, 5)}
    lra, bp = algo.step(net, x, t).grads, BP().step(net, x, t).grads
    for l in range(1, 5):
        assert cosine(lra[f"W{l}"], bp[f"W{l}"]) > 0.95


def run_and_measure_e_alignment(digits, flip_sign: bool) -> tuple[list[float], list[float], list[float]]:
    net = MLP((64, 32, 32, 10), "tanh", "gaussian:0.2236", seed=0)
    algo = LRAE()
    algo.setup(net, RNG(0))
    before = error_weight_angles(net, algo)
    opt, own_opt = get_optimizer("sgd:0.05"), get_optimizer("sgd:0.05")
    bp_angles = []
    rng = np.random.default_rng(0)
    for _ in range(250):
        idx = rng.choice(len(digits.y_train), 50, replace=False)
        x, t = digits.x_train[idx], one_hot(digits.y_train[idx], 10)
        step = algo.step(net, x, t)
        bp_angles.append(angle(step.grads, BP().step(net, x, t).grads))
        own = {k: -g if flip_sign else g for k, g in step.own_grads.items()}
        opt.update(net.params, step.grads)
        own_opt.update(algo.params, own)
    return before, error_weight_angles(net, algo), bp_angles


def test_error_weights_drift_toward_forward_weights_transposed(digits) -> None:
    before, after, bp_angles = run_and_measure_e_alignment(digits, flip_sign=False)
    assert all(a < b for a, b in zip(after, before)), (before, after)
    assert max(bp_angles) < 90.0
    # the literal reading of the paper's sign (E moves against W^T) does the opposite
    before_f, after_f, _ = run_and_measure_e_alignment(digits, flip_sign=True)
    assert all(a > b for a, b in zip(after_f, before_f)), (before_f, after_f)


def test_lra_e_trains_digits_with_angle_below_90(digits) -> None:
    net = MLP((64, 32, 32, 10), "tanh", "gaussian:0.05", seed=0)
    history = train(
        net, LRAE(), digits, "adam:0.01", epochs=10, batch_size=50, progress=False, track_angle=True
    )
    assert history.records[-1]["test_error"] < 15.0, history.curve("test_error")
    assert max(history.curve("angle")[1:]) < 90.0


def test_lra_e_trains_a_discrete_unit_without_its_derivative(digits) -> None:
    # targets are set on z = f(h) and only f' is used, so sign units train (BP refuses them)
    net = MLP((64, 64, 64, 10), "tanh+sign", "gaussian:0.05", seed=0)
    with pytest.raises(ValueError, match="derivative"):
        BP().setup(net, RNG(0))
    history = train(net, LRAE(), digits, "adam:0.01", epochs=5, batch_size=50, progress=False)
    assert history.records[-1]["test_error"] < 20.0, history.curve("test_error")


def test_ensemble_step_equals_each_member_alone() -> None:
    sizes = (6, 5, 5, 4)
    ens = MLP(sizes, "tanh", "gaussian:0.5", seed=7, dtype="float64", ensemble=3)
    x, t = batch(seed=7)
    algo = LRAE()
    algo.setup(ens, RNG(7))
    step = algo.step(ens, x, t)
    for r in range(3):
        single = MLP(sizes, "tanh", "gaussian:0.5", seed=0, dtype="float64")
        single.params = {k: v[r].copy() for k, v in ens.params.items()}
        alone = LRAE()
        alone.params = {k: v[r].copy() for k, v in algo.params.items()}
        want = alone.step(single, x, t)
        for k in want.grads:
            np.testing.assert_allclose(step.grads[k][r], want.grads[k], rtol=1e-12, atol=1e-15)
        for k in want.own_grads:
            np.testing.assert_allclose(step.own_grads[k][r], want.own_grads[k], rtol=1e-12, atol=1e-15)


def test_explicit_keywords_override_the_preset() -> None:
    algo = LRAE(preset="official_code", update="v1", gamma=0.25, local_loss="cauchy", sigma_e=0.3)
    assert (algo.update, algo.gamma, algo.local_loss, algo.sigma_e) == ("v1", 0.25, "cauchy", 0.3)
    assert LRAE().update == PRESETS["paper"]["update"]
    assert LRAE().sigma_e == PRESETS["paper"]["sigma_e"]
    assert math.isclose(LRAE(preset="paper_variance").sigma_e, math.sqrt(0.05))
    assert LRAE(preset="paper_variance").gamma == 0.5


@pytest.mark.parametrize(
    "hp",
    [
        {"update": "v3"},
        {"preset": "tf"},
        {"local_loss": "huber"},
        {"beta": 0.0},
        {"gamma": -0.1},
        {"sigma_e": -1.0},
        {"K": 3},
    ],
)
def test_bad_hyperparameters_raise(hp: dict) -> None:
    with pytest.raises(ValueError):
        make_algorithm("lra_e", **hp)


def test_step_before_setup_is_a_clear_error() -> None:
    net = MLP((6, 5, 4), "tanh", seed=0)
    with pytest.raises(RuntimeError, match="setup"):
        LRAE().step(net, *batch(dtype="float32"))


def test_mean_reduction_is_the_sum_over_the_batch_size() -> None:
    net = MLP((6, 5, 5, 4), "tanh", "gaussian:0.5", seed=3, dtype="float64")
    x, t = batch(seed=3)
    steps = {}
    for reduction in ("sum", "mean"):
        algo = LRAE(reduction=reduction)
        algo.setup(net, RNG(3))
        steps[reduction] = algo.step(net, x, t)
    for k, g in steps["sum"].grads.items():
        np.testing.assert_allclose(steps["mean"].grads[k] * len(x), g, rtol=1e-12)
    with pytest.raises(ValueError, match="reduction"):
        LRAE(reduction="max")
