"""Multilayer perceptron: parameters and the forward pass that every algorithm shares.

Notation (batch-first, as in the book's notation chapter, ``book/notation.md``):
``z_0 = x``, ``h_l = z*_{l-1} @ W_l + b_l``, ``z_l = f(h_l)``, ``z*_l = g(z_l)`` (g, the
book's psi, is the identity for ordinary units), and the
output ``z_n = softmax(h_n)``. ``W_l`` has shape ``(n_{l-1}, n_l)``.

All array code accepts an optional leading *ensemble* axis: with ``ensemble=R`` the
weights have shape ``(R, n_in, n_out)``, biases ``(R, n_out)`` (broadcast as
``(R, 1, n_out)``), and activations ``(R, B, n)``; inputs of shape ``(B, n)`` are
broadcast to every member.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lra_edu.activations import Unit, get_unit
from lra_edu.backend import RNG, Array, asarray, xp, xp_of
from lra_edu.initializers import init_weight, parse_init
from lra_edu.losses import softmax


def ensemble_axes(ensemble: int | None) -> tuple[int, ...]:
    """The leading shape of every parameter: ``()`` for one network, ``(R,)`` for an ensemble of R."""
    return () if ensemble is None else (ensemble,)


def over_batch(bias: Array) -> Array:
    """A bias shaped to broadcast over the batch axis: ``(n,)`` as it is, ``(R, n)`` as ``(R, 1, n)``."""
    return bias if bias.ndim == 1 else bias[..., None, :]


def _is_int(value: Any) -> bool:
    """True for Python and NumPy integers, False for booleans."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass
class Forward:
    """What a forward pass stores: lists indexed by layer, ``[0]`` being the input.

    ``h[l]`` pre-activations (``h[0]`` is None), ``z[l] = f(h[l])``, ``zs[l] = g(z[l])``
    (what layer l+1 sees). ``z[n]`` is the softmax output.
    """

    h: list[Array]
    z: list[Array]
    zs: list[Array]

    @property
    def logits(self) -> Array:
        """The output pre-activation ``h_n``."""
        return self.h[-1]


class MLP:
    """A fully connected network with one hidden unit type and a softmax output.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``(784, 256, 256, 256, 10)``.
    unit : str or Unit
        Hidden unit, e.g. ``"tanh"`` or ``"tanh+sign"`` (see :func:`get_unit`).
    init : str
        Weight initializer, e.g. ``"gaussian:0.05"`` (see :mod:`lra_edu.initializers`).
    seed : int
        Seed for the initial weights and for the sampling of stochastic units.
    dtype : {"float32", "float64"}
    ensemble : int or None
        If given, hold R independent networks along a leading axis.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        unit: str | Unit = "tanh",
        init: str = "gaussian:0.05",
        seed: int = 0,
        dtype: str = "float32",
        ensemble: int | None = None,
    ) -> None:
        sizes = tuple(sizes)
        if len(sizes) < 2 or not all(_is_int(n) and n >= 1 for n in sizes):
            raise ValueError(
                f"sizes must list at least an input and an output width, all positive integers; got {sizes}"
            )
        sizes = tuple(int(n) for n in sizes)
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if ensemble is not None and (not _is_int(ensemble) or ensemble < 1):
            raise ValueError(f"ensemble must be a positive integer or None, got {ensemble!r}")
        ensemble = None if ensemble is None else int(ensemble)
        parse_init(init)
        self.sizes = sizes
        self.unit = get_unit(unit)
        self.init = init
        self.seed = seed
        self.dtype = dtype
        self.ensemble = ensemble
        lead = ensemble_axes(ensemble)
        rng = RNG(seed)
        self.params: dict[str, Array] = {}
        for l in range(1, len(sizes)):
            self.params[f"W{l}"] = init_weight(init, rng, sizes[l - 1], sizes[l], dtype, lead)
            self.params[f"b{l}"] = xp().zeros(lead + (sizes[l],), dtype=dtype)
        self.noise = RNG(None if seed is None else seed + 1)

    @property
    def lead(self) -> tuple[int, ...]:
        """The leading shape of the parameters: ``()``, or ``(R,)`` for an ensemble of R networks."""
        return ensemble_axes(self.ensemble)

    @property
    def n_layers(self) -> int:
        """Number of weight layers n (hidden layers + output)."""
        return len(self.sizes) - 1

    def W(self, l: int) -> Array:
        """Weight matrix of layer ``l`` (1-based, as in the papers)."""
        return self.params[f"W{l}"]

    def b(self, l: int) -> Array:
        """Bias of layer ``l``, shaped to broadcast over the batch axis."""
        return over_batch(self.params[f"b{l}"])

    def check_input(self, x: Array) -> Array:
        """Validate an input batch and move it to the backend in the net's dtype."""
        x = asarray(x, self.dtype)
        if x.ndim not in (2, 3) or x.shape[-1] != self.sizes[0]:
            raise ValueError(
                f"expected inputs of shape (batch, {self.sizes[0]}) "
                f"(or (ensemble, batch, {self.sizes[0]})), got {tuple(x.shape)}"
            )
        return x

    def layer(self, l: int, z_below: Array) -> tuple[Array, Array, Array]:
        """Run layer ``l`` on the (discretized) output of the layer below: ``(h, z, z*)``."""
        h = z_below @ self.W(l)
        h += self.b(l)  # in place: one (batch, n_l) array per layer, not two
        if l == self.n_layers:
            z = softmax(h)
            return h, z, z
        z, zs = self.unit(h, self.noise)
        return h, z, zs

    def forward(self, x: Array) -> Forward:
        """Forward pass storing ``h_l``, ``z_l`` and ``z*_l`` for every layer."""
        x = self.check_input(x)
        h: list[Array] = [None]
        z: list[Array] = [x]
        zs: list[Array] = [x]
        for l in range(1, self.n_layers + 1):
            hl, zl, zsl = self.layer(l, zs[-1])
            h.append(hl)
            z.append(zl)
            zs.append(zsl)
        return Forward(h, z, zs)

    def logits(self, x: Array) -> Array:
        """Output pre-activations ``h_n`` for a batch."""
        return self._logits_from(self._first_layer(x))

    def _first_layer(self, x: Array) -> Array:
        """``h_1`` for a batch, or ``f(h_1)`` when there are hidden layers: no sample is drawn yet."""
        h = self.check_input(x) @ self.W(1) + self.b(1)
        return h if self.n_layers == 1 else self.unit.f(h)

    def _logits_from(self, first: Array) -> Array:
        """``h_n`` from :meth:`_first_layer`'s output, drawing the samples of every hidden layer."""
        if self.n_layers == 1:
            return first
        a = first if self.unit.g is None else self.unit.g(first, self.noise)
        for l in range(2, self.n_layers + 1):
            h = a @ self.W(l) + self.b(l)
            if l < self.n_layers:
                a = self.unit(h, self.noise)[1]
        return h

    def predict_proba(self, x: Array, samples: int = 1) -> Array:
        """Class probabilities; stochastic units average ``samples`` posterior draws.

        The first layer's ``f(h_1)`` depends on the input only, so it is computed once and
        every draw starts from it (the samples are the same as drawing whole passes).
        """
        if samples < 1:
            raise ValueError(f"samples must be >= 1, got {samples}")
        if not self.unit.stochastic:
            samples = 1
        first = self._first_layer(x)
        p = softmax(self._logits_from(first))
        for _ in range(samples - 1):
            p = p + softmax(self._logits_from(first))
        return p / samples

    def predict(self, x: Array, samples: int = 1) -> Array:
        """Predicted class indices."""
        return xp_of(self.W(1)).argmax(self.predict_proba(x, samples), axis=-1)

    def copy(self) -> MLP:
        """A deep copy (parameters copied, same configuration)."""
        new = MLP.__new__(MLP)
        new.__dict__.update(self.__dict__)
        new.params = {k: v.copy() for k, v in self.params.items()}
        new.noise = RNG(None if self.seed is None else self.seed + 1)
        return new

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        ens = "" if self.ensemble is None else f", ensemble={self.ensemble}"
        return f"MLP({arch}, unit={self.unit.name!r}, init={self.init!r}{ens})"
