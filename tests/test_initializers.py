"""Initializers: shapes, statistics, orthogonality and validation."""

import numpy as np
import pytest

from lra_edu.backend import RNG
from lra_edu.initializers import init_weight, parse_init


def test_zeros():
    assert not init_weight("zeros", RNG(0), 5, 3).any()


def test_gaussian_std():
    w = init_weight("gaussian:0.05", RNG(0), 400, 300, "float64")
    assert w.std() == pytest.approx(0.05, rel=0.02)
    assert abs(w.mean()) < 0.001


def test_uniform_fanin_and_glorot_bounds():
    w = init_weight("uniform_fanin", RNG(0), 100, 50, "float64")
    assert np.abs(w).max() <= 0.1 and np.abs(w).max() > 0.09
    g = init_weight("glorot", RNG(0), 100, 50, "float64")
    a = np.sqrt(6 / 150)
    assert np.abs(g).max() <= a and np.abs(g).max() > 0.95 * a


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 8), (10, 4), (4, 10)])
def test_orthogonal(n_in, n_out):
    w = init_weight("orthogonal:2", RNG(0), n_in, n_out, "float64")
    gram = w.T @ w if n_in >= n_out else w @ w.T
    np.testing.assert_allclose(gram, 4 * np.eye(min(n_in, n_out)), atol=1e-12)


def test_ensemble_leading_axis_and_seed():
    w = init_weight("gaussian:1", RNG(3), 4, 5, lead=(2,))
    assert w.shape == (2, 4, 5)
    np.testing.assert_array_equal(w, init_weight("gaussian:1", RNG(3), 4, 5, lead=(2,)))
    assert not np.array_equal(w[0], w[1])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("he", "unknown initializer"),
        ("gaussian", "needs a standard deviation"),
        ("gaussian:-1", ">= 0"),
        ("gaussian:abc", "must be a number"),
        ("glorot:2", "takes no parameter"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_init(spec)
