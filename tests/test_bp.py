"""Backprop: exact gradients (finite differences) of the mean output NLL."""

import numpy as np
import pytest
from finite_diff import central_difference

from lra_edu.algorithms import make_algorithm
from lra_edu.losses import nll
from lra_edu.mlp import MLP

UNITS = ["sigmoid", "tanh", "relu", "relu6", "softsign", "softplus", "hard_tanh", "identity"]


def mean_nll(net, x, t):
    return float(nll(net.forward(x).logits, t).mean())


@pytest.mark.parametrize("unit", UNITS)
def test_bp_matches_finite_differences(unit):
    rng = np.random.default_rng(0)
    net = MLP((4, 5, 5, 3), unit, init="gaussian:0.7", seed=1, dtype="float64")
    for k in net.params:
        if k.startswith("b"):
            net.params[k] += rng.normal(size=net.params[k].shape) * 0.3 + 0.5
    x = rng.normal(size=(6, 4))
    t = np.eye(3)[rng.integers(0, 3, 6)]
    grads = make_algorithm("bp").step(net, x, t).grads
    for key, g in grads.items():
        numeric = central_difference(net.params[key], lambda: mean_nll(net, x, t))
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8, err_msg=key)


def test_bp_diagnostics():
    net = MLP((4, 3, 2), seed=0, dtype="float64")
    step = make_algorithm("bp").step(net, np.ones((2, 4)), np.eye(2))
    assert step.diagnostics["depth"] == 2
    assert step.diagnostics["loss"] == pytest.approx(mean_nll(net, np.ones((2, 4)), np.eye(2)))


def test_bp_refuses_non_differentiable_units():
    net = MLP((4, 4, 2), "tanh+sign")
    with pytest.raises(ValueError, match="non-differentiable 'sign'"):
        make_algorithm("bp").setup(net, None)


def test_bp_on_ensemble_equals_members():
    ens = MLP((4, 3, 2), "tanh", init="gaussian:0.5", ensemble=2, dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 4))
    t = np.eye(2)[[0, 1, 1, 0, 1]]
    g = make_algorithm("bp").step(ens, x, t).grads
    for r in range(2):
        single = MLP((4, 3, 2), "tanh", dtype="float64")
        single.params = {k: v[r] for k, v in ens.params.items()}
        gr = make_algorithm("bp").step(single, x, t).grads
        for k in gr:
            np.testing.assert_allclose(g[k][r], gr[k], rtol=1e-12, atol=1e-15)


def test_unknown_algorithm_and_hyperparameter():
    with pytest.raises(ValueError, match="valid algorithms: bp"):
        make_algorithm("backprop")
    with pytest.raises(ValueError, match="bp does not take K"):
        make_algorithm("bp", K=3)
    assert make_algorithm("bp", samples=7).samples == 7
    with pytest.raises(ValueError, match="samples must be an integer >= 1"):
        make_algorithm("bp", samples=0)
