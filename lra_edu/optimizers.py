"""Optimizers that apply update directions in place: SGD, Adam, RMSprop.

A learning rate may be a list with one rate per member of an ensemble (leading axis).
An optimizer receives the parameter dict and a dict of *gradient-like* directions for
some of its keys (an algorithm that halts early leaves keys out) and moves each
parameter against its direction: ``p <- p - lr * step(g)``. Named by strings such as
``"sgd:0.01"``, ``"adam:0.001"``, ``"rmsprop:0.001"``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from lra_edu.backend import xp, xp_of

Array = Any

OPTIMIZERS = ("sgd", "adam", "rmsprop")


class Optimizer(ABC):
    """Base class: per-key state, in-place updates, and validated learning rate."""

    name = "optimizer"

    def __init__(self, lr: float | Sequence[float]) -> None:
        rates = list(lr) if isinstance(lr, (list, tuple)) else [lr]
        for r in rates:
            if not (isinstance(r, (int, float)) and math.isfinite(r) and r > 0):
                raise ValueError(f"the learning rate must be a positive number, got {r!r}")
        self.lr: Any = float(rates[0]) if not isinstance(lr, (list, tuple)) else xp().asarray(rates)
        self.state: dict[str, dict[str, Array]] = {}

    def rate(self, g: Array) -> Any:
        """The learning rate, shaped to broadcast over ``g`` (one rate per ensemble member)."""
        if isinstance(self.lr, float):
            return self.lr
        return self.lr.reshape(self.lr.shape + (1,) * (g.ndim - 1)).astype(g.dtype)

    def update(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Move ``params[k]`` against ``grads[k]`` for every key in ``grads``."""
        for key, g in grads.items():
            params[key] -= self._step(key, g).astype(params[key].dtype, copy=False)

    @abstractmethod
    def _step(self, key: str, g: Array) -> Array:
        """The amount to subtract from the parameter for direction ``g``."""

    def __repr__(self) -> str:
        return f"{self.name}:{self.lr:g}" if isinstance(self.lr, float) else f"{self.name}:{list(self.lr)}"


class SGD(Optimizer):
    """Plain stochastic gradient descent, with optional (heavy-ball) momentum."""

    name = "sgd"

    def __init__(self, lr: float | Sequence[float] = 0.01, momentum: float = 0.0) -> None:
        super().__init__(lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum

    def _step(self, key: str, g: Array) -> Array:
        if not self.momentum:
            return self.rate(g) * g
        s = self.state.setdefault(key, {"v": xp_of(g).zeros_like(g)})
        s["v"] = self.momentum * s["v"] + g
        return self.rate(g) * s["v"]


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction."""

    name = "adam"

    def __init__(
        self, lr: float | Sequence[float] = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _step(self, key: str, g: Array) -> Array:
        xp = xp_of(g)
        s = self.state.setdefault(key, {"m": xp.zeros_like(g), "v": xp.zeros_like(g), "t": 0})
        s["t"] += 1
        s["m"] = self.beta1 * s["m"] + (1 - self.beta1) * g
        s["v"] = self.beta2 * s["v"] + (1 - self.beta2) * g * g
        m_hat = s["m"] / (1 - self.beta1 ** s["t"])
        v_hat = s["v"] / (1 - self.beta2 ** s["t"])
        return self.rate(g) * m_hat / (xp.sqrt(v_hat) + self.eps)


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012): divide by a running RMS of the gradient."""

    name = "rmsprop"

    def __init__(self, lr: float | Sequence[float] = 0.001, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho, self.eps = rho, eps

    def _step(self, key: str, g: Array) -> Array:
        xp = xp_of(g)
        s = self.state.setdefault(key, {"v": xp.zeros_like(g)})
        s["v"] = self.rho * s["v"] + (1 - self.rho) * g * g
        return self.rate(g) * g / (xp.sqrt(s["v"]) + self.eps)


_CLASSES = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get_optimizer(spec: str | Optimizer) -> Optimizer:
    """Build an optimizer from ``"name"`` or ``"name:lr"`` (e.g. ``"adam:0.001"``)."""
    if isinstance(spec, Optimizer):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"an optimizer is named by a string such as 'sgd:0.01'; got {spec!r}")
    name, _, lr = spec.strip().lower().partition(":")
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    if not lr:
        return _CLASSES[name]()
    try:
        value = float(lr)
    except ValueError:
        raise ValueError(f"learning rate must be a number, got {lr!r} in {spec!r}") from None
    return _CLASSES[name](value)
