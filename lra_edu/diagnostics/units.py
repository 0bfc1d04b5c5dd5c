"""How many different hidden units a network has: symmetric starts (zero weights) keep them equal.

Two measures, of two different things:

* :func:`distinct_units` counts the different columns of one weight matrix (units whose
  incoming weights differ);
* :func:`output_ranks` gives the numerical rank of each hidden layer's outputs on some
  inputs (how many independent features the layer computes).
"""

from __future__ import annotations

import numpy

from lra_edu.backend import Array, to_numpy
from lra_edu.mlp import MLP


def distinct_units(W: Array, rtol: float = 1e-5) -> int:
    """Number of different columns (units) of ``W``: columns within ``rtol`` times the largest
    entry of each other (max norm) count as one, so rounding differences do not count."""
    w = to_numpy(W)
    if w.ndim != 2:
        raise ValueError(f"distinct_units takes one weight matrix (2-D), got shape {w.shape}")
    tol = rtol * float(numpy.abs(w).max())
    representatives: list[numpy.ndarray] = []
    for j in range(w.shape[1]):
        if not any(float(numpy.abs(w[:, j] - r).max()) <= tol for r in representatives):
            representatives.append(w[:, j])
    return len(representatives)


def output_ranks(net: MLP, x: Array, tol: float = 1e-4) -> list[int]:
    """Numerical rank (singular values above ``tol``) of each hidden layer's output ``z*`` on ``x``."""
    if net.ensemble is not None:
        raise ValueError("output_ranks takes a single network; use member_network for ensembles")
    fw = net.forward(x)
    return [int(numpy.linalg.matrix_rank(to_numpy(fw.zs[l]), tol=tol)) for l in range(1, net.n_layers)]
