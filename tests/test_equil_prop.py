"""Equilibrium propagation: its update tends to the true gradient as the nudge vanishes."""

import numpy as np
import pytest
from finite_diff import central_difference
from hypothesis import given
from hypothesis import strategies as st

from lra_edu import MLP, load_dataset, make_algorithm, train
from lra_edu.algorithms.equil_prop import PRESETS


def problem(seed=0):
    rng = np.random.default_rng(seed)
    net = MLP((3, 4, 4, 2), "sigmoid", init="gaussian:0.5", seed=seed + 1, dtype="float64")
    x = rng.uniform(size=(5, 3))
    t = np.eye(2)[rng.integers(0, 2, 5)]
    return net, x, t


def objective(net, x, t):
    """J = mean 0.5 ||t - s_n||^2 at the settled free phase: what EP differentiates."""
    s, residual = make_algorithm("equil_prop", n_free=200).free_phase(net, x)
    assert residual < 1e-12
    return float((0.5 * ((t - s[-1]) ** 2).sum(-1)).mean())


def flat(g):
    return np.concatenate([g[k].ravel() for k in sorted(g)])


@pytest.fixture(scope="module")
def true_gradient():
    """dJ/dtheta by central differences; the exact gradient that backprop through the
    settled network (recurrent backprop / implicit differentiation) would return."""
    net, x, t = problem()
    grads = {key: central_difference(p, lambda: objective(net, x, t)) for key, p in net.params.items()}
    return flat(grads)


def ep_error(beta, reference):
    net, x, t = problem()
    g = flat(make_algorithm("equil_prop", beta=beta, n_free=200, n_nudged=200).step(net, x, t).grads)
    return np.linalg.norm(g - reference) / np.linalg.norm(reference)


def test_ep_update_tends_to_the_gradient_as_the_nudge_vanishes(true_gradient):
    errors = {beta: ep_error(beta, true_gradient) for beta in (0.5, 0.05, 0.005, 0.0005)}
    assert errors[0.0005] < 2e-3
    # first-order in beta: each tenfold smaller nudge shrinks the error about tenfold
    for big, small in ((0.5, 0.05), (0.05, 0.005), (0.005, 0.0005)):
        assert 5 < errors[big] / errors[small] < 20


def test_too_few_relaxation_steps_break_the_correspondence(true_gradient):
    net, x, t = problem()
    g = flat(make_algorithm("equil_prop", beta=0.0005, n_free=3, n_nudged=3).step(net, x, t).grads)
    assert np.linalg.norm(g - true_gradient) / np.linalg.norm(true_gradient) > 0.05


@given(seed=st.integers(0, 1000), hidden=st.integers(1, 3))
def test_hard_sigmoid_states_stay_in_unit_interval_and_probabilities_normalise(seed, hidden):
    net = MLP((6, *([5] * hidden), 4), "hard_sigmoid", init="gaussian:1.0", seed=seed, dtype="float64")
    x = np.random.default_rng(seed).uniform(size=(3, 6))
    algo = make_algorithm("equil_prop", n_free=10)
    s, _ = algo.free_phase(net, x)
    for layer in s[1:]:
        assert layer.min() >= 0.0 and layer.max() <= 1.0
    p = algo.predict_proba(net, x)
    np.testing.assert_allclose(p.sum(-1), 1.0)
    assert (p > 0).all()
    np.testing.assert_array_equal(p.argmax(-1), s[-1].argmax(-1))


def test_ensemble_members_are_independent():
    ens = MLP((3, 4, 2), "sigmoid", init="gaussian:0.5", ensemble=2, seed=0, dtype="float64")
    x, t = problem()[1:]
    got = make_algorithm("equil_prop").step(ens, x, t).grads
    for r in range(2):
        member = MLP((3, 4, 2), "sigmoid", dtype="float64")
        member.params = {k: v[r].copy() for k, v in ens.params.items()}
        want = make_algorithm("equil_prop").step(member, x, t).grads
        for k in want:
            np.testing.assert_allclose(got[k][r], want[k], rtol=1e-12, err_msg=k)


def test_equil_prop_learns_digits_with_one_hidden_layer():
    data = load_dataset("digits")
    net = MLP((64, 64, 10), "hard_sigmoid", init="glorot", seed=0)
    hist = train(
        net, make_algorithm("equil_prop"), data, "sgd:0.3", epochs=5, progress=False, splits=("test",)
    )
    assert hist.curve("test_error")[0] > 70
    assert hist.final["test_error"] < 30
    assert set(PRESETS) == {"book", "scellier2017"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"beta": 0.0},
        {"beta": -0.5},
        {"n_free": 0},
        {"n_nudged": 1.5},
        {"step": 0.0},
        {"step": 1.5},
        {"n_free": True},
    ],
)
def test_bad_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError):
        make_algorithm("equil_prop", **kwargs)


def test_equil_prop_refuses_discrete_units():
    from lra_edu.backend import RNG

    with pytest.raises(ValueError, match="non-differentiable"):
        make_algorithm("equil_prop").setup(MLP((4, 4, 2), "hard_sigmoid+heaviside"), RNG(0))


def test_rate_ratio_scales_each_layer_by_its_power_and_one_is_the_plain_rule():
    net, x, t = problem()
    one = make_algorithm("equil_prop").step(net, x, t).grads
    plain = make_algorithm("equil_prop", rate_ratio=1.0).step(net, x, t).grads
    four = make_algorithm("equil_prop", rate_ratio=4.0).step(net, x, t).grads
    n = net.n_layers
    for key in one:
        assert np.array_equal(plain[key], one[key])  # ratio 1 is exactly the single-rate rule
        np.testing.assert_allclose(four[key], one[key] * 4.0 ** (n - int(key[1:])), rtol=1e-12)
    with pytest.raises(ValueError, match="rate_ratio"):
        make_algorithm("equil_prop", rate_ratio=0.0)
