"""Activation functions f (differentiable) and discrete/stochastic units g.

A hidden layer computes ``z = f(h)`` and feeds ``z* = g(z)`` upward ([LRA18] §2.3.2).
For ordinary units g is the identity. A unit is named ``"f"`` or ``"f+g"``, e.g.
``"tanh"``, ``"tanh+sign"``, ``"sigmoid+bernoulli"``; see :func:`get_unit`.

Choices where the papers are ambiguous (documented here and in the book):

* ``sign`` is the three-valued signum -1/0/+1 of [LRA18] §2.3.2; ``heaviside`` is the
  0/1 step ``1 if v >= 0 else 0`` of the paper's footnote 6.
* ``lwta`` (Srivastava et al. 2013): blocks of 4 consecutive units; the largest keeps
  its value, the others output 0; ties go to the lowest index.
* ``slwta`` is the soft version: each unit is scaled by the softmax of its block,
  ``z * softmax_block(z)`` (deterministic).
* ``bernoulli`` samples ``S(p) ~ B(1, p)`` with ``p = f(h)``; it needs ``f = sigmoid``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lra_edu.backend import RNG, Array, xp_of

LWTA_BLOCK = 4


def _sigmoid(h: Array) -> Array:
    xp = xp_of(h)
    return 0.5 * (1.0 + xp.tanh(0.5 * h))


@dataclass(frozen=True)
class Activation:
    """A differentiable elementwise function ``f`` with its derivative ``f'``.

    ``df_z``, when given, is the same derivative written through the output
    ``z = f(h)`` (``1 - z**2`` for tanh): a backward sweep that stored ``z`` then
    skips a second transcendental pass over ``h``.
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array], Array]
    df_z: Callable[[Array], Array] | None = None

    def __call__(self, h: Array) -> Array:
        """Apply f to the pre-activation ``h``."""
        return self.f(h)

    def derivative(self, h: Array, z: Array) -> Array:
        """``f'(h)`` given both ``h`` and ``z = f(h)`` (cheaper from ``z`` where possible)."""
        return self.df(h) if self.df_z is None else self.df_z(z)

    def __reduce__(self) -> Any:
        # Pickled by name (checkpoints); its functions are lambdas, which pickle cannot store.
        if ACTIVATIONS.get(self.name) is not self:
            raise TypeError(f"only the library's activations can be pickled, not a custom {self.name!r}")
        return get_activation, (self.name,)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _tanh(h: Array) -> Array:
    return xp_of(h).tanh(h)


def _dtanh(h: Array) -> Array:
    return 1.0 - xp_of(h).tanh(h) ** 2


def _dsigmoid(h: Array) -> Array:
    s = _sigmoid(h)
    return s * (1.0 - s)


def _relu(h: Array) -> Array:
    return xp_of(h).maximum(h, 0.0)


def _relu6(h: Array) -> Array:
    return xp_of(h).clip(h, 0.0, 6.0)


def _softsign(h: Array) -> Array:
    return h / (1.0 + abs(h))


def _softplus(h: Array) -> Array:
    return xp_of(h).logaddexp(0.0, h)


def _hard_tanh(h: Array) -> Array:
    return xp_of(h).clip(h, -1.0, 1.0)


def _hard_sigmoid(h: Array) -> Array:
    # Scellier & Bengio (2017)'s rho: clip(h, 0, 1) (not Keras's clip(0.2 h + 0.5, 0, 1))
    return xp_of(h).clip(h, 0.0, 1.0)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", lambda h: h, lambda h: xp_of(h).ones_like(h)),
        Activation("sigmoid", _sigmoid, _dsigmoid, lambda z: z * (1.0 - z)),
        Activation("tanh", _tanh, _dtanh, lambda z: 1.0 - z * z),
        Activation("relu", _relu, lambda h: (h > 0).astype(h.dtype)),
        Activation("relu6", _relu6, lambda h: ((h > 0) & (h < 6)).astype(h.dtype)),
        Activation("softsign", _softsign, lambda h: 1.0 / (1.0 + abs(h)) ** 2),
        Activation("softplus", _softplus, _sigmoid),
        Activation("hard_tanh", _hard_tanh, lambda h: (abs(h) < 1).astype(h.dtype)),
        # derivative 1 on the closed [0, 1] (a valid subgradient at the kinks), so that an
        # equilibrium-propagation state sitting at 0 or 1 can move back inside
        Activation("hard_sigmoid", _hard_sigmoid, lambda h: ((h >= 0) & (h <= 1)).astype(h.dtype)),
    ]
}


@dataclass(frozen=True)
class Discrete:
    """A non-differentiable or stochastic unit ``g``; it has no derivative by design."""

    name: str
    g: Callable[[Array, RNG | None], Array]
    stochastic: bool = False

    def __call__(self, z: Array, rng: RNG | None = None) -> Array:
        """Apply g to the layer output ``z`` (``rng`` is used by stochastic units)."""
        return self.g(z, rng)

    def __reduce__(self) -> Any:
        if DISCRETE.get(self.name) is not self:
            raise TypeError(f"only the library's discrete units can be pickled, not a custom {self.name!r}")
        return get_discrete, (self.name,)

    def __repr__(self) -> str:
        return f"Discrete({self.name!r})"


def _blocks(z: Array) -> Array:
    n = z.shape[-1]
    if n % LWTA_BLOCK:
        raise ValueError(
            f"LWTA/SLWTA units compete in blocks of {LWTA_BLOCK}; a layer of {n} units "
            f"is not a multiple of {LWTA_BLOCK} (choose hidden sizes divisible by 4)"
        )
    return z.reshape(z.shape[:-1] + (n // LWTA_BLOCK, LWTA_BLOCK))


def _lwta(z: Array, rng: RNG | None = None) -> Array:
    xp = xp_of(z)
    zb = _blocks(z)
    winner = xp.argmax(zb, axis=-1)[..., None]
    mask = xp.arange(LWTA_BLOCK) == winner
    return (zb * mask).reshape(z.shape)


def _slwta(z: Array, rng: RNG | None = None) -> Array:
    xp = xp_of(z)
    zb = _blocks(z)
    p = xp.exp(zb - zb.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return (zb * p).reshape(z.shape)


def _bernoulli(z: Array, rng: RNG | None) -> Array:
    if rng is None:
        raise ValueError("the bernoulli unit samples: pass an RNG")
    u = rng.uniform(z.shape, dtype=z.dtype.name if hasattr(z.dtype, "name") else z.dtype)
    return (u < z).astype(z.dtype)


DISCRETE: dict[str, Discrete] = {
    d.name: d
    for d in [
        Discrete("sign", lambda z, rng=None: xp_of(z).sign(z)),
        Discrete("heaviside", lambda z, rng=None: (z >= 0).astype(z.dtype)),
        Discrete("lwta", _lwta),
        Discrete("slwta", _slwta),
        Discrete("bernoulli", _bernoulli, stochastic=True),
    ]
}

ALIASES = {
    "lwta1": "tanh+lwta",
    "lwta2": "hard_tanh+lwta",
    "slwta1": "tanh+slwta",
    "slwta2": "hard_tanh+slwta",
}


@dataclass(frozen=True)
class Unit:
    """A hidden unit: differentiable ``f`` and optional discrete/stochastic ``g``.

    ``z = f(h)`` is what targets are set on; ``z* = g(z)`` is what the next layer sees.
    """

    f: Activation
    g: Discrete | None = None

    @property
    def name(self) -> str:
        """The unit's name, ``"f"`` or ``"f+g"``."""
        return self.f.name if self.g is None else f"{self.f.name}+{self.g.name}"

    @property
    def differentiable(self) -> bool:
        """True when the whole unit has a derivative (g is the identity)."""
        return self.g is None

    @property
    def stochastic(self) -> bool:
        """True when g samples (needs an RNG in the forward pass)."""
        return self.g is not None and self.g.stochastic

    def __call__(self, h: Array, rng: RNG | None = None) -> tuple[Array, Array]:
        """Return ``(z, z*)`` for pre-activation ``h``."""
        z = self.f(h)
        return z, (z if self.g is None else self.g(z, rng))


def get_activation(name: str) -> Activation:
    """Return the differentiable activation called ``name``."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; valid activations: {', '.join(ACTIVATIONS)}"
        ) from None


def get_discrete(name: str) -> Discrete:
    """Return the discrete/stochastic unit g called ``name``."""
    try:
        return DISCRETE[name]
    except KeyError:
        raise ValueError(f"unknown discrete unit {name!r}; valid: {', '.join(DISCRETE)}") from None


def get_unit(spec: str | Unit) -> Unit:
    """Parse a unit name such as ``"tanh"``, ``"tanh+sign"`` or ``"lwta1"``."""
    if isinstance(spec, Unit):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"a unit is named by a string such as 'tanh'; got {spec!r}")
    name = ALIASES.get(spec.strip().lower(), spec.strip().lower())
    f_name, plus, g_name = name.partition("+")
    if plus and not g_name:
        raise ValueError(
            f"unit {spec!r} ends with '+': name a discrete g after it, one of {', '.join(DISCRETE)} "
            f"(e.g. '{f_name}+sign'), or drop the '+'"
        )
    if f_name in DISCRETE and not g_name:
        raise ValueError(
            f"{f_name!r} has no derivative, so it is used as the g of an f+g unit; write e.g. 'tanh+{f_name}'"
        )
    if f_name not in ACTIVATIONS:
        raise ValueError(
            f"unknown unit {spec!r}; valid: {', '.join(ACTIVATIONS)}, an 'f+g' pair with g one of "
            f"{', '.join(DISCRETE)} (e.g. 'tanh+sign'), or {', '.join(ALIASES)}"
        )
    f = ACTIVATIONS[f_name]
    if not g_name:
        return Unit(f)
    if g_name not in DISCRETE:
        raise ValueError(f"unknown discrete unit {g_name!r} in {spec!r}; valid: {', '.join(DISCRETE)}")
    if g_name == "bernoulli" and f_name != "sigmoid":
        raise ValueError(
            "the bernoulli unit samples with probability f(h) in [0, 1]: use 'sigmoid+bernoulli'"
        )
    return Unit(f, DISCRETE[g_name])
