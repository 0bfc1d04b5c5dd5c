"""What a layer's units respond to: filters of a linearized network and how noisy they look."""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from lra_edu.backend import Array, to_numpy


def linearized_filters(weights: Sequence[Array]) -> numpy.ndarray:
    """Filters of the top layer of a linearized network: rows of ``(W_1 W_2 ... W_k)^T``.

    Dropping the nonlinearities, unit ``j`` of layer ``k`` computes ``x @ P[:, j]`` with
    ``P = W_1 @ ... @ W_k``; the unit-norm input that maximizes it (activation maximization)
    is ``P[:, j] / ||P[:, j]||``. Returns an array of shape ``(n_k, n_0)``, each row of unit norm.
    """
    if not weights:
        raise ValueError("linearized_filters needs at least one weight matrix")
    product = numpy.asarray(to_numpy(weights[0]), dtype=numpy.float64)
    for w in weights[1:]:
        product = product @ numpy.asarray(to_numpy(w), dtype=numpy.float64)
    norms = numpy.linalg.norm(product, axis=0, keepdims=True)
    return (product / numpy.where(norms > 0, norms, 1.0)).T


def filter_roughness(filters: Array, shape: tuple[int, int] = (28, 28)) -> float:
    """How noisy filters look: neighbour-pixel difference energy over 4x the energy (noise ~1, smooth ~0)."""
    f = numpy.asarray(to_numpy(filters), dtype=numpy.float64)
    if f.ndim != 2 or f.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"filters must have shape (count, {shape[0] * shape[1]}), got {f.shape}")
    img = f.reshape(-1, *shape)
    dx = ((img[:, :, 1:] - img[:, :, :-1]) ** 2).sum(axis=(1, 2))
    dy = ((img[:, 1:, :] - img[:, :-1, :]) ** 2).sum(axis=(1, 2))
    energy = (img**2).sum(axis=(1, 2))
    keep = energy > 0
    if not keep.any():
        raise ValueError("all filters are zero")
    return float(((dx + dy)[keep] / (4.0 * energy[keep])).mean())
