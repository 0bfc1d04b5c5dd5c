"""Optimizers: exact first steps and validation."""

import numpy as np
import pytest

from lra_edu.optimizers import Adam, RMSprop, get_optimizer


def test_sgd_step_is_lr_times_direction():
    p = {"W": np.ones(3)}
    get_optimizer("sgd:0.5").update(p, {"W": np.array([1.0, -2.0, 0.0])})
    np.testing.assert_allclose(p["W"], [0.5, 2.0, 1.0])


def test_sgd_momentum_accumulates():
    p = {"W": np.zeros(1)}
    opt = get_optimizer("sgd:1")
    opt.momentum = 0.5
    opt.update(p, {"W": np.ones(1)})
    opt.update(p, {"W": np.ones(1)})
    np.testing.assert_allclose(p["W"], [-(1 + 1.5)])


def test_adam_first_step_is_lr_times_sign():
    p = {"W": np.zeros(3)}
    Adam(0.1).update(p, {"W": np.array([3.0, -0.01, 2.0])})
    np.testing.assert_allclose(p["W"], [-0.1, 0.1, -0.1], rtol=1e-6)


def test_rmsprop_first_step():
    p = {"W": np.zeros(1)}
    RMSprop(0.01, rho=0.9).update(p, {"W": np.array([2.0])})
    np.testing.assert_allclose(p["W"], [-0.01 * 2.0 / np.sqrt(0.1 * 4.0)], rtol=1e-6)


def test_missing_keys_are_left_alone():
    p = {"W1": np.ones(2), "W2": np.ones(2)}
    get_optimizer("adam").update(p, {"W2": np.ones(2)})
    np.testing.assert_array_equal(p["W1"], np.ones(2))


def test_in_place_keeps_dtype():
    p = {"W": np.ones(2, dtype=np.float32)}
    get_optimizer("rmsprop:0.1").update(p, {"W": np.ones(2, dtype=np.float32)})
    assert p["W"].dtype == np.float32


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sgdx", "valid optimizers: sgd, adam, rmsprop"),
        ("sgd:-1", "positive"),
        ("adam:x", "must be a number"),
        ("sgd:nan", "positive"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        get_optimizer(spec)
