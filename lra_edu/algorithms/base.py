"""The interface every learning algorithm implements.

An algorithm maps a mini-batch and the network's parameters to *update directions*
(gradient-like: the optimizer moves each parameter against its direction) plus
per-step diagnostics. It never changes the network itself; the training loop hands
the directions to an optimizer. Algorithms that learn their own parameters (error
weights, inverse/decoder weights) keep them in ``self.params`` and return their
directions in ``Step.own_grads``; the training loop gives those their own optimizer.

Diagnostics every algorithm reports (cheap enough to leave on):

* ``depth`` — credit-assignment depth: how many layers received an update.
* ``discrepancy`` — total discrepancy: the sum of the local losses (for backprop,
  the output loss alone).
* ``loss`` — the output loss (mean NLL over the batch).

Each diagnostic is a number for a single network and, for an ensemble (a network with a
leading member axis), one number per member (:func:`per_member`), so that every member
reports what it would report trained alone.
"""

from __future__ import annotations

import inspect
import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lra_edu.backend import RNG, Array, to_numpy
from lra_edu.mlp import MLP


@dataclass
class Step:
    """The result of one algorithm step on one mini-batch."""

    grads: dict[str, Array]
    own_grads: dict[str, Array] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)


class Algorithm(ABC):
    """Base class: hyperparameter validation, optional set-up, and ``step``."""

    name: ClassVar[str] = "algorithm"
    #: Algorithms that need derivatives of every unit (backprop and friends).
    needs_derivatives: ClassVar[bool] = True
    #: Posterior samples averaged at evaluation when the hidden units are stochastic.
    samples: int = 1
    #: Hyperparameters stored under another attribute name (e.g. one that would shadow a method).
    stored_as: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}

    def setup(self, net: MLP, rng: RNG) -> None:
        """Prepare for training ``net`` (draw feedback matrices etc.). Default: check units."""
        if self.needs_derivatives and not net.unit.differentiable:
            raise ValueError(
                f"{self.name} needs the derivative of every unit, but {net.unit.name!r} "
                f"contains the non-differentiable {net.unit.g.name!r}; train it with "
                f"lra_fdbk, or with an f-only unit such as {net.unit.f.name!r}"
            )

    def predict_proba(self, net: MLP, x: Array) -> Array:
        """Class probabilities used for evaluation; algorithms with their own inference
        (equilibrium settling, their own sampling) override this. Stochastic units are
        averaged over ``self.samples`` posterior draws."""
        return net.predict_proba(x, self.samples)

    @abstractmethod
    def step(self, net: MLP, x: Array, t: Array) -> Step:
        """Compute update directions for the batch ``x`` with one-hot targets ``t``."""

    @classmethod
    def hyperparameters(cls) -> list[str]:
        """Names of the keyword arguments this algorithm's constructor accepts."""
        chain: list[list[inspect.Parameter]] = []
        for klass in cls.__mro__:
            if "__init__" in vars(klass):
                chain.append(list(inspect.signature(klass.__init__).parameters.values())[1:])
                if not any(p.kind is p.VAR_KEYWORD for p in chain[-1]):
                    break  # a constructor that takes **options hands them on to its parent's
        names: list[str] = []
        for params in reversed(chain):
            names += [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in names]
        return names

    def hyperparameter_values(self) -> dict[str, Any]:
        """The value of every hyperparameter, keyed by its constructor name (for reports and JSON)."""
        names = {k: self.stored_as.get(k, k) for k in self.hyperparameters()}
        return {k: getattr(self, attr) for k, attr in names.items() if hasattr(self, attr)}

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameter_values().items())
        return f"{type(self).__name__}({hp})"


def check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    """Validate a real hyperparameter (NumPy scalars included): finite and > 0 (or >= 0)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def check_int(name: str, value: int, minimum: int = 1) -> int:
    """Validate an integer hyperparameter ``>= minimum`` (NumPy integers included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def batch_size(x: Array) -> int:
    """Number of samples in a batch (the second-to-last axis)."""
    return x.shape[-2]


def per_member(value: Array) -> Any:
    """A diagnostic: a float for a 0-d ``value`` (one network), else one float per ensemble member."""
    if value.ndim == 0:
        return float(value)
    return to_numpy(value).astype("float64")


def batch_mean(values: Array) -> Any:
    """The batch mean of per-sample ``values`` (last axis), per ensemble member (:func:`per_member`)."""
    return per_member(values.mean(axis=-1))
