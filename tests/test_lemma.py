"""Lemma 1: local gradients from gradient targets equal backprop's (float64)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lra_edu.lemma import (
    fd_targets,
    lemma1_check,
    lemma1_fd_check,
    lemma1_targets,
    random_lemma1_worst,
)
from lra_edu.mlp import MLP


@given(
    depth=st.integers(2, 8),
    unit=st.sampled_from(["tanh", "sigmoid", "softsign", "softplus", "relu", "hard_tanh"]),
    width=st.integers(2, 12),
    batch=st.integers(1, 6),
    std=st.floats(0.1, 1.5),
    seed=st.integers(0, 10_000),
)
def test_local_gradients_equal_backprop(depth, unit, width, batch, std, seed):
    rng = np.random.default_rng(seed)
    sizes = (5,) + (width,) * (depth - 1) + (4,)
    net = MLP(sizes, unit, init=f"gaussian:{std}", seed=seed, dtype="float64")
    x = rng.normal(size=(batch, 5))
    t = np.eye(4)[rng.integers(0, 4, batch)]
    result = lemma1_check(net, x, t)
    # Backprop's gradients can vanish (e.g. dead relu layers); compare where they do not.
    meaningful = {k: v for k, v in result.rel_diff.items() if np.linalg.norm(result.backprop[k]) > 1e-150}
    assert meaningful
    # A layer recovers its error as z - (z - g): rounding leaves eps * |z| / |g| of relative error,
    # which is large only when the gradient g is tiny next to the activations z.
    fw = net.forward(x)
    y = lemma1_targets(net, fw, t)
    ratio = max(
        np.linalg.norm(fw.z[l]) / max(np.linalg.norm(fw.z[l] - y[l]), 1e-300) for l in range(1, depth)
    )
    assert max(meaningful.values()) < 1e-9 + 1e3 * np.finfo(float).eps * ratio, (meaningful, ratio)


def test_top_target_is_the_label_and_targets_move_against_gradient():
    net = MLP((3, 4, 2), "tanh", init="gaussian:0.5", dtype="float64")
    x = np.ones((2, 3))
    t = np.eye(2)
    fw = net.forward(x)
    y = lemma1_targets(net, fw, t)
    assert y[2] is t
    assert y[1].shape == fw.z[1].shape and not np.allclose(y[1], fw.z[1])


def test_random_grid_is_within_threshold():
    records = random_lemma1_worst(depths=(2, 5, 8), units=("tanh", "sigmoid"))
    assert len(records) == 6
    assert max(r["worst_rel_diff"] for r in records) < 1e-9


def test_lemma_refuses_discrete_units():
    with pytest.raises(ValueError, match="differentiable"):
        lemma1_check(MLP((3, 4, 2), "tanh+sign"), np.ones((1, 3)), np.eye(2)[:1])


@settings(max_examples=25, deadline=None)
@given(
    depth=st.integers(2, 5),
    unit=st.sampled_from(["tanh", "sigmoid", "softsign", "softplus", "relu"]),
    width=st.integers(2, 8),
    batch=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_finite_difference_targets_give_backprop_gradients(depth, unit, width, batch, seed):
    # Targets and local gradients from loss values alone (no derivative formula) agree
    # with backprop to the accuracy of central differences.
    rng = np.random.default_rng(seed)
    net = MLP((5,) + (width,) * (depth - 1) + (4,), unit, init="gaussian:0.5", seed=seed, dtype="float64")
    x = rng.normal(size=(batch, 5))
    t = np.eye(4)[rng.integers(0, 4, batch)]
    fw = net.forward(x)
    # Central differences are only valid away from a kink (relu's is at h = 0).
    assume(min(float(np.abs(fw.h[l]).min()) for l in range(1, depth + 1)) > 1e-4)
    result = lemma1_fd_check(net, x, t)
    meaningful = [k for k in result.backprop if np.linalg.norm(result.backprop[k]) > 1e-8]
    assume(meaningful)
    assert max(result.rel_diff[k] for k in meaningful) < 1e-6, result.rel_diff


def test_finite_difference_targets_equal_the_algebraic_targets():
    rng = np.random.default_rng(0)
    net = MLP((5, 6, 6, 3), "tanh", init="gaussian:0.5", seed=0, dtype="float64")
    x, t = rng.normal(size=(4, 5)), np.eye(3)[[0, 1, 2, 0]]
    fw = net.forward(x)
    y = fd_targets(net, fw, t)
    exact = lemma1_targets(net, fw, t)
    assert y[3] is t
    for l in (1, 2):
        assert np.abs(y[l] - exact[l]).max() < 1e-8
        assert np.abs(fw.z[l] - exact[l]).max() > 1e-3  # the targets are not the outputs


def test_finite_difference_check_needs_float64():
    with pytest.raises(ValueError, match="float64"):
        lemma1_fd_check(MLP((3, 4, 2), "tanh"), np.ones((1, 3)), np.eye(2)[:1])
