"""Metrics: classification error, output loss, and angles between update directions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lra_edu.backend import to_numpy, xp_of
from lra_edu.losses import nll
from lra_edu.mlp import MLP

Array = Any


def one_hot(labels: Array, n_classes: int, dtype: str = "float32") -> Array:
    """One-hot encode integer ``labels`` on the labels' backend."""
    xp = xp_of(labels)
    return (labels[..., None] == xp.arange(n_classes)).astype(dtype)


def evaluate(
    net: MLP,
    x: Array,
    labels: Array,
    batch: int = 5000,
    predict_proba: Callable[[Array], Array] | None = None,
) -> tuple[float, float]:
    """Return ``(error %, mean NLL)`` of ``net`` on ``(x, labels)``; per member for ensembles.

    ``predict_proba`` replaces ``net.predict_proba`` (e.g. an algorithm's own inference).
    """
    predict = net.predict_proba if predict_proba is None else predict_proba
    if x.shape[0] != labels.shape[0]:
        raise ValueError(f"x has {x.shape[0]} samples but labels has {labels.shape[0]}")
    wrong = 0.0
    total_nll = 0.0
    xp = xp_of(net.W(1))
    for i in range(0, x.shape[0], batch):
        xb = xp.asarray(x[i : i + batch])
        lb = xp.asarray(labels[i : i + batch])
        p = predict(xb)
        wrong = wrong + (p.argmax(axis=-1) != lb).sum(axis=-1)
        t = one_hot(lb, net.sizes[-1], net.dtype)
        total_nll = total_nll + (-(t * xp.log(xp.maximum(p, 1e-30))).sum(axis=-1)).sum(axis=-1)
    n = x.shape[0]
    err, loss = to_numpy(100.0 * wrong / n), to_numpy(total_nll / n)
    if err.ndim == 0:
        return float(err), float(loss)
    return err.tolist(), loss.tolist()


def batch_nll(logits: Array, t: Array) -> float:
    """Mean output NLL of one batch."""
    return float(nll(logits, t).mean())


def _flat_norms(a: dict[str, Array], b: dict[str, Array]) -> tuple[list[str], float, float]:
    keys = sorted(set(a) & set(b))
    if not keys:
        raise ValueError("the two updates share no parameters")
    xp = xp_of(a[keys[0]])
    na = math.sqrt(sum(float(xp.vdot(a[k].ravel(), a[k].ravel())) for k in keys))
    nb = math.sqrt(sum(float(xp.vdot(b[k].ravel(), b[k].ravel())) for k in keys))
    return keys, na, nb


def cosine(a: dict[str, Array], b: dict[str, Array]) -> float:
    """Cosine between two update directions, all shared parameters flattened together."""
    keys, na, nb = _flat_norms(a, b)
    if na == 0 or nb == 0:
        return float("nan")
    xp = xp_of(a[keys[0]])
    return sum(float(xp.vdot(a[k].ravel(), b[k].ravel())) for k in keys) / (na * nb)


def angle(a: dict[str, Array], b: dict[str, Array]) -> float:
    """Angle in degrees between two update directions (see :func:`cosine`).

    Computed as ``2 atan2(|u - v|, |u + v|)`` of the unit vectors, which stays accurate
    for nearly parallel updates where ``acos`` of the cosine loses precision.
    """
    keys, na, nb = _flat_norms(a, b)
    if na == 0 or nb == 0:
        return float("nan")
    diff = sum(float(((a[k] / na - b[k] / nb) ** 2).sum()) for k in keys)
    both = sum(float(((a[k] / na + b[k] / nb) ** 2).sum()) for k in keys)
    return math.degrees(2.0 * math.atan2(math.sqrt(diff), math.sqrt(both)))
