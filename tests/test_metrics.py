"""Metrics: angle/cosine between updates, error rates."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lra_edu.metrics import angle, cosine, evaluate, one_hot
from lra_edu.mlp import MLP

vec = arrays(np.float64, (5,), elements=st.floats(-10, 10)).filter(lambda v: np.linalg.norm(v) > 1e-3)


@given(a=vec, b=vec, s=st.floats(0.1, 10))
def test_angle_properties(a, b, s):
    da, db = {"W": a}, {"W": b}
    assert angle(da, da) == pytest.approx(0, abs=1e-5)
    assert angle(da, {"W": -a}) == pytest.approx(180, abs=1e-5)
    assert angle(da, db) == pytest.approx(angle({"W": s * a}, db), abs=1e-6)
    assert angle(da, db) == pytest.approx(angle(db, da))


def test_angle_flattens_all_shared_keys():
    a = {"W1": np.array([1.0, 0.0]), "W2": np.array([0.0])}
    b = {"W1": np.array([0.0, 0.0]), "W2": np.array([1.0]), "W3": np.array([5.0])}
    assert angle(a, b) == pytest.approx(90)
    assert math.isnan(cosine({"W": np.zeros(2)}, {"W": np.ones(2)}))
    with pytest.raises(ValueError, match="share no parameters"):
        angle({"a": np.ones(1)}, {"b": np.ones(1)})


def test_evaluate_error_rate():
    net = MLP((2, 2), init="zeros", dtype="float64")
    net.params["b1"][:] = [1.0, 0.0]
    err, loss = evaluate(net, np.zeros((4, 2)), np.array([0, 0, 0, 1]))
    assert err == pytest.approx(25.0)
    assert loss > 0
    np.testing.assert_array_equal(one_hot(np.array([1, 0]), 3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="samples"):
        evaluate(net, np.zeros((4, 2)), np.array([0, 1]))
