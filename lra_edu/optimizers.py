"""Optimizers that apply update directions in place: SGD, Adam, RMSprop.

A learning rate may be a list with one rate per member of an ensemble (leading axis).
An optimizer receives the parameter dict and a dict of *gradient-like* directions for
some of its keys (an algorithm that halts early leaves keys out) and moves each
parameter against its direction: ``p <- p - lr * step(g)``. Named by strings such as
``"sgd:0.01"``, ``"adam:0.001"``, ``"rmsprop:0.001"``.

Every update runs in place: each elementary operation writes into the optimizer state
or into per-key scratch buffers (``out=``), so no temporary array is allocated. The
operations, their operands and their order are those of the textbook formulas as
written (e.g. ``m <- b1*m + (1-b1)*g`` is ``m *= b1; a = g*(1-b1); m += a``), so every
result is rounded exactly as the formula evaluated term by term would be: for a fixed
seed, the numbers are bit-identical to that straightforward evaluation. On the host
the arrays are walked in blocks of :attr:`Optimizer.block` elements, every operation of
the update running over one block while it is in cache; elementwise operations do not
depend on the blocking, so this changes speed only. Adam skips its bias-correction
divisions once ``1 - beta^t`` rounds to 1 in the array's dtype (``x / 1`` is ``x``
exactly), again without changing a bit.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from lra_edu.backend import Array, to_numpy, xp, xp_of

OPTIMIZERS = ("sgd", "adam", "rmsprop")


def _real(name: str, value: Any) -> float:
    """``value`` as a Python float when it is a finite real number (NumPy scalars included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _in_unit_interval(name: str, value: Any) -> float:
    """``value`` as a float when it lies in [0, 1); a ValueError naming ``name`` otherwise."""
    v = _real(name, value)
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return v


def _positive(name: str, value: Any) -> float:
    """``value`` as a float when it is > 0; a ValueError naming ``name`` otherwise."""
    v = _real(name, value)
    if not v > 0.0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def _descend(p: Array, step: Array) -> None:
    """``p -= step``, rounding ``step`` to the parameter's dtype first."""
    p -= step if step.dtype == p.dtype else step.astype(p.dtype)


class Scratch:
    """An optimizer's work buffers: reused between updates, never saved with it.

    ``blocks`` holds, per dtype, the buffers of one block (host arrays are updated block
    by block, so these stay in cache); ``buffers`` holds whole-array buffers per key, for
    arrays that are not walked in blocks (GPU arrays, non-contiguous host arrays).
    """

    def __init__(self) -> None:
        self.blocks: dict[str, list[Array]] = {}
        self.buffers: dict[str, list[Array]] = {}


class Optimizer(ABC):
    """Base class: per-key state, scratch buffers, in-place updates, validated learning rate."""

    name = "optimizer"
    #: Elements per block when updating host arrays (2**16 and 2**17 were the fastest of
    #: 2**13 ... 2**17 for E3's 1.9 M-parameter Adam update here; results do not depend on it).
    block = 2**16
    #: Scratch buffers the update needs, each shaped like the piece being updated.
    n_scratch = 1

    def __init__(self, lr: float | Sequence[float]) -> None:
        rates = list(lr) if isinstance(lr, (list, tuple)) else [lr]
        for r in rates:
            if isinstance(r, bool) or not (isinstance(r, numbers.Real) and math.isfinite(r) and r > 0):
                raise ValueError(f"the learning rate must be a positive number, got {r!r}")
        rates = [float(r) for r in rates]
        self.lr: Any = rates[0] if not isinstance(lr, (list, tuple)) else xp().asarray(rates)
        self.state: dict[str, dict[str, Array]] = {}
        self._scratch = Scratch()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the scratch buffers (they hold nothing between updates)."""
        return {k: v for k, v in self.__dict__.items() if k != "_scratch"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled optimizer; scratch buffers are allocated again on first use."""
        self.__dict__.update(state)
        self._scratch = Scratch()

    def rate(self, g: Array) -> Any:
        """The learning rate, shaped to broadcast over ``g`` (one rate per ensemble member)."""
        if isinstance(self.lr, float):
            return self.lr
        return self.lr.reshape(self.lr.shape + (1,) * (g.ndim - 1)).astype(g.dtype)

    def update(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Move ``params[k]`` against ``grads[k]`` for every key in ``grads``, in place."""
        for key, g in grads.items():
            slots = self._slots(key, g)
            scalars = tuple(g.dtype.type(c) for c in self._scalars(key))
            module = xp_of(g)
            for views, lr in self._pieces(key, [params[key], g, *slots], g):
                self._apply(module, *views, lr, *scalars)

    def _whole(self, key: str, g: Array) -> list[Array]:
        """Whole-array scratch buffers for ``key``, (re)allocated when ``g``'s shape or dtype changes."""
        bufs = self._scratch.buffers.get(key)
        if bufs is None or bufs[0].shape != g.shape or bufs[0].dtype != g.dtype:
            bufs = [xp_of(g).empty(g.shape, g.dtype) for _ in range(self.n_scratch)]
            self._scratch.buffers[key] = bufs
        return bufs

    def _block(self, g: Array) -> list[Array]:
        """One block's scratch buffers for ``g``'s dtype (shared by all keys)."""
        bufs = self._scratch.blocks.get(g.dtype.str)
        if bufs is None or bufs[0].size != self.block:
            bufs = [xp_of(g).empty(self.block, g.dtype) for _ in range(self.n_scratch)]
            self._scratch.blocks[g.dtype.str] = bufs
        return bufs

    def _pieces(self, key: str, arrays: list[Array], g: Array) -> Iterator[tuple[list[Array], Any]]:
        """Views that cover ``arrays`` (parameter, direction, state), with scratch and rate.

        On the host: one row per ensemble member (with that member's rate as a scalar of
        ``g``'s dtype) cut into blocks of :attr:`block` elements; on a GPU: the whole
        arrays at once, with the rates broadcast over the member axis.
        """
        if xp_of(g).__name__ != "numpy":
            yield [*arrays, *self._whole(key, g)], self.rate(g)
            return
        if not g.flags.c_contiguous:
            arrays[1] = xp_of(g).ascontiguousarray(g)
        host = [self.lr] if isinstance(self.lr, float) else to_numpy(self.lr).tolist()
        rates = [g.dtype.type(r) for r in host]
        if len(rates) == 1:
            rows = [(arrays, rates[0], slice(None))]
        else:
            if g.ndim == 0 or g.shape[0] != len(rates):
                raise ValueError(
                    f"{len(rates)} learning rates need a leading (member) axis of {len(rates)}, "
                    f"got an array of shape {g.shape}"
                )
            rows = [([a[i : i + 1] for a in arrays], r, slice(i, i + 1)) for i, r in enumerate(rates)]
        for row, lr, member in rows:
            if not all(a.flags.c_contiguous for a in row):
                yield [*row, *(s[member] for s in self._whole(key, g))], lr
                continue
            flat = [a.reshape(-1) for a in row]
            work = self._block(g)
            size = flat[0].size
            for start in range(0, size, self.block):
                n = min(self.block, size - start)
                yield [*(f[start : start + n] for f in flat), *(w[:n] for w in work)], lr

    def _slots(self, key: str, g: Array) -> list[Array]:
        """The state arrays of ``key`` that the update changes (created as zeros)."""
        return []

    def _scalars(self, key: str) -> tuple[float, ...]:
        """The scalars of this update of ``key`` (advancing its step count where there is one)."""
        return ()

    @abstractmethod
    def _apply(self, xp: ModuleType, p: Array, g: Array, *rest: Any) -> None:
        """Update ``p`` (and the state) in place on one piece: ``*rest`` = slots, scratch, lr, scalars."""

    def __repr__(self) -> str:
        return f"{self.name}:{self.lr:g}" if isinstance(self.lr, float) else f"{self.name}:{list(self.lr)}"


class SGD(Optimizer):
    """Plain stochastic gradient descent, with optional (heavy-ball) momentum.

    ``v <- momentum * v + g``, ``p <- p - lr * v`` (``v = g`` without momentum).
    """

    name = "sgd"

    def __init__(self, lr: float | Sequence[float] = 0.01, momentum: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = _in_unit_interval("momentum", momentum)

    def _slots(self, key: str, g: Array) -> list[Array]:
        if not self.momentum:
            return []
        if key not in self.state:
            self.state[key] = {"v": xp_of(g).zeros_like(g)}
        return [self.state[key]["v"]]

    def _scalars(self, key: str) -> tuple[float, ...]:
        return (self.momentum,) if self.momentum else ()

    def _apply(self, xp: ModuleType, p: Array, g: Array, *rest: Any) -> None:
        if self.momentum:
            v, a, lr, momentum = rest
            v *= momentum
            v += g
            xp.multiply(v, lr, out=a)
        else:
            a, lr = rest
            xp.multiply(g, lr, out=a)
        _descend(p, a)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction.

    ``m <- b1*m + (1-b1)*g``, ``v <- b2*v + (1-b2)*g*g``,
    ``p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``.
    """

    name = "adam"
    n_scratch = 2

    def __init__(
        self, lr: float | Sequence[float] = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1 = _in_unit_interval("beta1", beta1)
        self.beta2 = _in_unit_interval("beta2", beta2)
        self.eps = _positive("eps", eps)

    def _slots(self, key: str, g: Array) -> list[Array]:
        if key not in self.state:
            self.state[key] = {"m": xp_of(g).zeros_like(g), "v": xp_of(g).zeros_like(g), "t": 0}
        return [self.state[key]["m"], self.state[key]["v"]]

    def _scalars(self, key: str) -> tuple[float, ...]:
        s = self.state[key]
        s["t"] += 1
        b1, b2 = self.beta1, self.beta2
        return b1, 1 - b1, b2, 1 - b2, 1 - b1 ** s["t"], 1 - b2 ** s["t"], self.eps

    def _apply(self, xp: ModuleType, p: Array, g: Array, *rest: Any) -> None:
        m, v, a, b, lr, b1, one_minus_b1, b2, one_minus_b2, c1, c2, eps = rest
        m *= b1
        xp.multiply(g, one_minus_b1, out=a)
        m += a
        v *= b2
        xp.multiply(g, one_minus_b2, out=a)
        a *= g
        v += a
        if c1 == 1:  # once b1^t is below half an ulp of 1, m / c1 is m exactly
            xp.multiply(m, lr, out=a)
        else:
            xp.divide(m, c1, out=a)
            a *= lr
        if c2 == 1:
            xp.sqrt(v, out=b)
        else:
            xp.divide(v, c2, out=b)
            xp.sqrt(b, out=b)
        b += eps
        a /= b
        _descend(p, a)


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012): divide by a running RMS of the gradient.

    ``v <- rho*v + (1-rho)*g*g``, ``p <- p - lr * g / (sqrt(v) + eps)``.
    """

    name = "rmsprop"
    n_scratch = 2

    def __init__(self, lr: float | Sequence[float] = 0.001, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho = _in_unit_interval("rho", rho)
        self.eps = _positive("eps", eps)

    def _slots(self, key: str, g: Array) -> list[Array]:
        if key not in self.state:
            self.state[key] = {"v": xp_of(g).zeros_like(g)}
        return [self.state[key]["v"]]

    def _scalars(self, key: str) -> tuple[float, ...]:
        return self.rho, 1 - self.rho, self.eps

    def _apply(self, xp: ModuleType, p: Array, g: Array, *rest: Any) -> None:
        v, a, b, lr, rho, one_minus_rho, eps = rest
        v *= rho
        xp.multiply(g, one_minus_rho, out=a)
        a *= g
        v += a
        xp.sqrt(v, out=b)
        b += eps
        xp.multiply(g, lr, out=a)
        a /= b
        _descend(p, a)


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
