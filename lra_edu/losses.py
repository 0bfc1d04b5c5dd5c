"""Local losses L(z, y) with their error units e = dL/dz, and the output loss.

Each local loss compares a layer's output ``z`` with its target ``y``; values are per
sample, summed over units (see the book's notation chapter, ``book/notation.md``). The
*error unit* of a layer is ``e = dL/dz``. Each algorithm reduces over the batch itself:
backprop and its relatives average, the LRA family sums by default (``reduction``).

The output layer uses softmax + categorical negative log-likelihood on the logits
``h_n``; its derivative with respect to the logits is ``softmax(h_n) - t``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lra_edu.backend import Array, xp_of


@dataclass(frozen=True)
class LocalLoss:
    """A local loss: ``value(z, y)`` per sample and its error unit ``error(z, y) = dL/dz``."""

    name: str
    _value: Callable[[Array], Array]
    _error: Callable[[Array], Array]

    def value(self, z: Array, y: Array) -> Array:
        """Per-sample loss, summed over units (shape: all but the last axis)."""
        return self._value(z - y).sum(axis=-1)

    def error(self, z: Array, y: Array) -> Array:
        """The error unit ``dL/dz`` (same shape as ``z``)."""
        return self._error(z - y)

    def __reduce__(self) -> Any:
        # Pickled by name (checkpoints); its functions are lambdas, which pickle cannot store.
        if LOSSES.get(self.name) is not self:
            raise TypeError(f"only the library's local losses can be pickled, not a custom {self.name!r}")
        return get_loss, (self.name,)

    def __repr__(self) -> str:
        return f"LocalLoss({self.name!r})"


def _log1p_sq(d: Array) -> Array:
    # log(1 + d^2) rather than log1p(d^2): NumPy vectorizes log but not log1p, and the
    # two differ only where d^2 is below float precision, where the loss is ~d^2 anyway.
    return xp_of(d).log(1.0 + d * d)


LOSSES: dict[str, LocalLoss] = {
    loss.name: loss
    for loss in [
        # 0.5 * sum((y - z)^2), e = z - y
        LocalLoss("l2", lambda d: 0.5 * d * d, lambda d: d),
        # [LRA19]'s Gaussian with variance 1/2: sum((y - z)^2), e = 2 (z - y)
        LocalLoss("gaussian", lambda d: d * d, lambda d: 2.0 * d),
        # sum(|y - z|), e = sign(z - y)
        LocalLoss("l1", lambda d: abs(d), lambda d: xp_of(d).sign(d)),
        # log-penalty / Cauchy: sum(log(1 + (y - z)^2)), e = 2 (z - y) / (1 + (y - z)^2)
        LocalLoss("cauchy", _log1p_sq, lambda d: 2.0 * d / (1.0 + d * d)),
    ]
}


def get_loss(name: str | LocalLoss) -> LocalLoss:
    """Return the local loss called ``name`` (l2, gaussian, l1, cauchy)."""
    if isinstance(name, LocalLoss):
        return name
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown local loss {name!r}; valid losses: {', '.join(LOSSES)}") from None


def softmax(h: Array) -> Array:
    """Softmax over the last axis, stabilised by subtracting the row maximum."""
    xp = xp_of(h)
    e = xp.exp(h - h.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(h: Array) -> Array:
    """Log-softmax over the last axis."""
    xp = xp_of(h)
    s = h - h.max(axis=-1, keepdims=True)
    return s - xp.log(xp.exp(s).sum(axis=-1, keepdims=True))


def nll(h: Array, t: Array) -> Array:
    """Per-sample categorical NLL of one-hot targets ``t`` under ``softmax(h)``."""
    return -(t * log_softmax(h)).sum(axis=-1)


def nll_delta(h: Array, t: Array) -> Array:
    """``d nll / d h = softmax(h) - t``: the output layer's pre-activation error."""
    return softmax(h) - t


def nll_error(z: Array, t: Array) -> Array:
    """[LRA19]'s output error unit w.r.t. the probabilities: ``-t / z``."""
    return -t / z
