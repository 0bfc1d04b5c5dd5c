"""Local losses: error units are the derivatives of the values; softmax/NLL identities."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lra_edu.losses import LOSSES, get_loss, log_softmax, nll, nll_delta, nll_error, softmax

vals = arrays(np.float64, (3, 5), elements=st.floats(-3, 3))


@pytest.mark.parametrize("name", sorted(LOSSES))
@given(z=vals, y=vals)
def test_error_unit_is_derivative_of_value(name, z, y):
    loss = get_loss(name)
    if name == "l1":
        z = np.where(np.abs(z - y) < 1e-3, y + 1e-2, z)
    eps = 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += eps
        zm[idx] -= eps
        numeric[idx] = (loss.value(zp, y)[idx[0]] - loss.value(zm, y)[idx[0]]) / (2 * eps)
    np.testing.assert_allclose(loss.error(z, y), numeric, rtol=1e-5, atol=1e-7)


def test_values_at_known_points():
    z, y = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    assert get_loss("l2").value(z, y)[0] == pytest.approx(2.5)
    assert get_loss("gaussian").value(z, y)[0] == pytest.approx(5.0)
    assert get_loss("l1").value(z, y)[0] == pytest.approx(3.0)
    assert get_loss("cauchy").value(z, y)[0] == pytest.approx(np.log(2) + np.log(5))


@given(h=vals)
def test_nll_delta_is_derivative_of_nll(h):
    t = np.eye(5)[[0, 3, 4]]
    eps = 1e-6
    numeric = np.zeros_like(h)
    for idx in np.ndindex(h.shape):
        hp, hm = h.copy(), h.copy()
        hp[idx] += eps
        hm[idx] -= eps
        numeric[idx] = (nll(hp, t)[idx[0]] - nll(hm, t)[idx[0]]) / (2 * eps)
    np.testing.assert_allclose(nll_delta(h, t), numeric, rtol=1e-5, atol=1e-7)


@given(h=vals)
def test_softmax_properties(h):
    p = softmax(h)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(np.log(p), log_softmax(h), atol=1e-12)


def test_nll_error_chained_through_softmax_gives_delta():
    h = np.array([[0.2, -1.0, 0.5]])
    t = np.array([[0.0, 1.0, 0.0]])
    p = softmax(h)
    jac = np.diag(p[0]) - np.outer(p[0], p[0])
    np.testing.assert_allclose(nll_error(p, t) @ jac, nll_delta(h, t))


def test_softmax_is_stable():
    assert np.isfinite(softmax(np.array([[1000.0, -1000.0]]))).all()


def test_unknown_loss():
    with pytest.raises(ValueError, match="valid losses: l2, gaussian, l1, cauchy"):
        get_loss("huber")
