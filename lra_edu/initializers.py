"""Weight initializers, named by strings such as ``"gaussian:0.05"`` or ``"glorot"``.

* ``zeros`` — all weights 0 (the papers' null initialization).
* ``gaussian:STD`` — N(0, STD^2) (STD is a standard deviation, not a variance).
* ``uniform_fanin`` — U(-1/sqrt(n_in), 1/sqrt(n_in)) ([LRA18] §3.1).
* ``glorot`` — Glorot/Xavier uniform, U(-a, a) with a = sqrt(6 / (n_in + n_out)).
* ``orthogonal[:GAIN]`` — a (semi-)orthogonal matrix times GAIN (default 1).

Biases always start at 0. Numbers are drawn on the host (see :class:`lra_edu.backend.RNG`).
"""

from __future__ import annotations

import math

import numpy

from lra_edu.backend import RNG, Array, asarray

INITIALIZERS = ("zeros", "gaussian:STD", "uniform_fanin", "glorot", "orthogonal[:GAIN]")


def parse_init(spec: str) -> tuple[str, float | None]:
    """Split and validate an initializer spec into ``(name, parameter)``."""
    if not isinstance(spec, str):
        raise TypeError(f"an initializer is named by a string such as 'glorot'; got {spec!r}")
    name, _, arg = spec.strip().lower().partition(":")
    needs = {"gaussian": True, "zeros": False, "uniform_fanin": False, "glorot": False}
    if name not in needs and name != "orthogonal":
        raise ValueError(f"unknown initializer {spec!r}; valid: {', '.join(INITIALIZERS)}")
    if needs.get(name) and not arg:
        raise ValueError(f"initializer {name!r} needs a standard deviation, e.g. 'gaussian:0.05'")
    if arg and needs.get(name) is False:
        raise ValueError(f"initializer {name!r} takes no parameter (got {spec!r})")
    value = None
    if arg:
        try:
            value = float(arg)
        except ValueError:
            raise ValueError(f"initializer parameter must be a number, got {arg!r} in {spec!r}") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"initializer parameter must be finite and >= 0, got {value} in {spec!r}")
    return name, value


def init_weight(
    spec: str, rng: RNG, n_in: int, n_out: int, dtype: str = "float32", lead: tuple[int, ...] = ()
) -> Array:
    """Draw one weight matrix of shape ``lead + (n_in, n_out)`` by ``spec``."""
    name, arg = parse_init(spec)
    shape = lead + (n_in, n_out)
    if name == "zeros":
        w = numpy.zeros(shape)
    elif name == "gaussian":
        w = rng.host.normal(0.0, arg, size=shape)
    elif name == "uniform_fanin":
        a = 1.0 / math.sqrt(n_in)
        w = rng.host.uniform(-a, a, size=shape)
    elif name == "glorot":
        a = math.sqrt(6.0 / (n_in + n_out))
        w = rng.host.uniform(-a, a, size=shape)
    else:  # orthogonal
        gain = 1.0 if arg is None else arg
        flat = rng.host.normal(size=(math.prod(lead),) + (max(n_in, n_out), min(n_in, n_out)))
        q, r = numpy.linalg.qr(flat)
        q = q * numpy.sign(numpy.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
        if n_in < n_out:
            q = q.swapaxes(-1, -2)
        w = gain * q.reshape(shape)
    return asarray(w.astype(dtype))
