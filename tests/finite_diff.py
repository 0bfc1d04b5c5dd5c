"""Central finite differences shared by the gradient tests."""

from collections.abc import Callable

import numpy as np


def central_difference(p: np.ndarray, f: Callable[[], float], eps: float = 1e-6) -> np.ndarray:
    """d f / d p by central differences, perturbing the array ``p`` in place (restored after)."""
    numeric = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        old = p[idx]
        p[idx] = old + eps
        up = f()
        p[idx] = old - eps
        down = f()
        p[idx] = old
        numeric[idx] = (up - down) / (2 * eps)
    return numeric
