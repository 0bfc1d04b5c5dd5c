"""Normalize(D, c): bounded norms, identity below the cap, per-member for ensembles."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lra_edu.normalize import normalize


@given(d=arrays(np.float64, (4, 3), elements=st.floats(-100, 100)), c=st.floats(0.01, 50))
def test_norm_never_exceeds_cap_and_small_updates_pass(d, c):
    out = normalize(d, c)
    norm = np.linalg.norm(d)
    assert np.linalg.norm(out) <= c * (1 + 1e-12)
    if norm < c:
        np.testing.assert_array_equal(out, d)
    else:
        np.testing.assert_allclose(out * norm / c, d, rtol=1e-9, atol=1e-12)


def test_per_sample_and_ensemble_axes():
    d = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(normalize(d, 1.0, axes=(-1,)), [[0.6, 0.8], [0.3, 0.4]])
    ens = np.stack([np.eye(2) * 10, np.eye(2) * 0.1])
    out = normalize(ens, 1.0)
    np.testing.assert_allclose(np.linalg.norm(out, axis=(-2, -1)), [1.0, np.sqrt(2) * 0.1])


def test_none_disables_and_bad_cap():
    d = np.ones((2, 2)) * 100
    assert normalize(d, None) is d
    with pytest.raises(ValueError, match="positive"):
        normalize(d, -1.0)
