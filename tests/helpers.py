"""Small helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import numpy as np

from lra_edu.metrics import one_hot


def batch(n_in: int = 6, n_out: int = 4, size: int = 8, seed: int = 0, dtype: str = "float64"):
    """A random input batch ``x`` (standard normal) and one-hot targets ``t`` of ``n_out`` classes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, n_in)).astype(dtype)
    return x, one_hot(rng.integers(0, n_out, size=size), n_out, dtype)
