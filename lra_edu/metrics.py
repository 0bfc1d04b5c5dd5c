"""Metrics: classification error, output loss, and angles between update directions."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from lra_edu.backend import Array, to_numpy, xp_of
from lra_edu.mlp import MLP


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
    for name, a in (("x", x), ("labels", labels)):
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            raise TypeError(f"{name} must be an array (numpy.asarray(...)), got {type(a).__name__}")
    if x.shape[0] != labels.shape[0]:
        raise ValueError(f"x has {x.shape[0]} samples but labels has {labels.shape[0]}")
    if x.shape[0] == 0:
        raise ValueError("x and labels are empty; evaluate needs at least one sample")
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integer class indices 0..{net.sizes[-1] - 1}, got dtype {labels.dtype}"
        )
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


Update = Array | Mapping[str, Array]


def _as_parts(a: Update, b: Update) -> tuple[dict[str, Array], dict[str, Array]]:
    """Both updates as dictionaries of parameters: a plain array becomes one unnamed parameter."""
    if isinstance(a, Mapping) != isinstance(b, Mapping):
        raise TypeError("compare two arrays or two dictionaries of parameters, not one of each")
    if isinstance(a, Mapping):
        return dict(a), dict(b)
    return {"": a}, {"": b}


def _flat_norms(a: dict[str, Array], b: dict[str, Array]) -> tuple[list[str], float, float]:
    keys = sorted(set(a) & set(b))
    if not keys:
        raise ValueError("the two updates share no parameters")
    for k in keys:
        if a[k].shape != b[k].shape:
            raise ValueError(f"parameter {k or 'array'!r} has shapes {a[k].shape} and {b[k].shape}")
    xp = xp_of(a[keys[0]])
    na = math.sqrt(sum(float(xp.vdot(a[k].ravel(), a[k].ravel())) for k in keys))
    nb = math.sqrt(sum(float(xp.vdot(b[k].ravel(), b[k].ravel())) for k in keys))
    return keys, na, nb


def cosine(a: Update, b: Update) -> float:
    """Cosine between two update directions: two arrays, or two dictionaries of parameters
    with all shared parameters flattened together."""
    a, b = _as_parts(a, b)
    keys, na, nb = _flat_norms(a, b)
    if na == 0 or nb == 0:
        return float("nan")
    xp = xp_of(a[keys[0]])
    return sum(float(xp.vdot(a[k].ravel(), b[k].ravel())) for k in keys) / (na * nb)


def angle(a: Update, b: Update) -> float:
    """Angle in degrees between two update directions (arrays or dictionaries, see :func:`cosine`).

    Computed as ``2 atan2(|u - v|, |u + v|)`` of the unit vectors, which stays accurate
    for nearly parallel updates where ``acos`` of the cosine loses precision.
    """
    a, b = _as_parts(a, b)
    keys, na, nb = _flat_norms(a, b)
    if na == 0 or nb == 0:
        return float("nan")
    diff = sum(float(((a[k] / na - b[k] / nb) ** 2).sum()) for k in keys)
    both = sum(float(((a[k] / na + b[k] / nb) ** 2).sum()) for k in keys)
    return math.degrees(2.0 * math.atan2(math.sqrt(diff), math.sqrt(both)))
