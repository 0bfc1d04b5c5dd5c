"""Exact moments of a stochastic network's gradient estimator, by enumerating the hidden states."""

from __future__ import annotations

import itertools

from lra_edu.algorithms.stochastic import Sample, StochasticEstimator
from lra_edu.backend import Array, asarray, xp_of
from lra_edu.mlp import MLP


def estimator_moments(
    algorithm: StochasticEstimator, net: MLP, x: Array, t: Array, key: str = "W1"
) -> tuple[Array, Array]:
    """Exact mean and standard deviation of an estimator's ``key`` update for one sample.

    ``net`` must have a single hidden layer of stochastic binary units, narrow enough
    (at most 12 units) to enumerate every configuration ``s`` of the hidden layer;
    ``x`` and ``t`` are one sample (shape (1, n)). Each configuration gets its
    probability under ``p = f(m h)`` (``m`` the estimator's slope) and the estimator's
    update for that forced sample (:meth:`StochasticEstimator.estimate`); the moments
    are their weighted mean and spread. No state of the estimator changes.
    """
    if net.n_layers != 2:
        raise ValueError(f"estimator_moments needs one hidden layer, the net has {net.n_layers - 1}")
    width = net.sizes[1]
    if width > 12:
        raise ValueError(f"{width} hidden units are too many configurations to enumerate (at most 12)")
    x = net.check_input(x)
    t = asarray(t, net.dtype)
    if x.shape[-2] != 1:
        raise ValueError(f"estimator_moments takes one sample, got a batch of {x.shape[-2]}")
    xp = xp_of(x)
    h1 = x @ net.W(1) + net.b(1)
    p = net.unit.f(algorithm.slope() * h1)
    first = second = None
    for bits in itertools.product((0.0, 1.0), repeat=width):
        s = xp.asarray([list(bits)], dtype=net.dtype)
        weight = float(xp.prod(xp.where(s > 0, p, 1.0 - p)))
        smp = Sample(h=[None, h1, s @ net.W(2) + net.b(2)], p=[None, p], s=[x, s])
        g = algorithm.estimate(net, smp, t)[key]
        first = weight * g if first is None else first + weight * g
        second = weight * g**2 if second is None else second + weight * g**2
    variance = xp.maximum(second - first**2, 0.0)
    return first, xp.sqrt(variance)
