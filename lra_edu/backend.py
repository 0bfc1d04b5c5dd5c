"""The one place where the array module is chosen: NumPy by default, CuPy on request.

Every other module gets its array functions from :func:`xp` (or :func:`xp_of` for an
existing array) and never imports ``numpy`` or ``cupy`` for array math. Choose the
backend with the environment variable ``LRA_EDU_BACKEND=cupy`` or with
:func:`set_backend`. An unusable ``LRA_EDU_BACKEND`` does not break ``import lra_edu``:
the first array operation (or :func:`check_backend`) raises its error, unless
:func:`set_backend` chose a backend first.

Random numbers for initial weights and fixed feedback matrices are drawn on the host
with NumPy and then transferred (:class:`RNG`), so both backends start from identical
numbers for the same seed.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy

BACKENDS = ("numpy", "cupy")

#: The type of an array on either backend (a NumPy or CuPy ndarray).
Array = Any

_current: dict[str, Any] = {"name": "numpy", "xp": numpy, "error": None}


def _load(name: str) -> ModuleType:
    """Import and check the array module ``name``; raise a clear error if unusable."""
    if name == "numpy":
        return numpy
    if name == "cupy":
        try:
            import cupy
        except ImportError as err:
            raise RuntimeError(
                "backend 'cupy' needs CuPy: install it with `pip install -e '.[gpu]'` "
                "(CUDA 12) on a machine with an NVIDIA GPU"
            ) from err
        try:
            available = cupy.cuda.is_available()
        except Exception:
            available = False
        if not available:
            raise RuntimeError(
                "backend 'cupy' was requested but no CUDA GPU is usable here; "
                "use the default backend 'numpy' (unset LRA_EDU_BACKEND)"
            )
        return cupy
    raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)}")


def set_backend(name: str) -> None:
    """Select the array backend for all later computation ('numpy' or 'cupy')."""
    _current["xp"] = _load(name)
    _current["name"] = name
    _current["error"] = None


def check_backend() -> None:
    """Raise the error of an unusable ``LRA_EDU_BACKEND`` (ValueError or RuntimeError), if any."""
    if _current["error"] is not None:
        kind, message = _current["error"]
        raise kind(message)


def get_backend() -> str:
    """Return the name of the active backend."""
    check_backend()
    return _current["name"]


def xp() -> ModuleType:
    """Return the active array module (``numpy`` or ``cupy``)."""
    if _current["error"] is not None:
        check_backend()
    return _current["xp"]


def xp_of(array: Any) -> ModuleType:
    """Return the array module that owns ``array`` (NumPy for host arrays)."""
    if isinstance(array, numpy.ndarray) or numpy.isscalar(array):
        return numpy
    if _current["name"] == "cupy":
        return _current["xp"].get_array_module(array)
    return numpy


def asarray(data: Any, dtype: Any = None) -> Any:
    """Move ``data`` onto the active backend (no copy when already there)."""
    return xp().asarray(data, dtype=dtype)


def to_numpy(array: Any) -> numpy.ndarray:
    """Return ``array`` as a host NumPy array (for plots, metrics and JSON)."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get"):
        return array.get()
    return numpy.asarray(array)


def dtype(name: str) -> Any:
    """Return the backend's dtype object for ``'float32'`` or ``'float64'``."""
    if name not in ("float32", "float64"):
        raise ValueError(f"unknown dtype {name!r}; valid dtypes: float32, float64")
    return getattr(xp(), name)


class RNG:
    """A seeded random source: draws on the host with NumPy, returns backend arrays.

    Parameters
    ----------
    seed : int
        Seed of the underlying ``numpy.random.Generator``.
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        self.host = numpy.random.default_rng(seed)

    def normal(self, shape: tuple[int, ...], std: float = 1.0, dtype: Any = "float32") -> Any:
        """Gaussian samples N(0, std^2) of ``shape``."""
        return asarray(self.host.normal(0.0, std, size=shape).astype(dtype))

    def uniform(
        self, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0, dtype: Any = "float32"
    ) -> Any:
        """Uniform samples on [low, high) of ``shape``."""
        return asarray(self.host.uniform(low, high, size=shape).astype(dtype))

    def permutation(self, n: int) -> numpy.ndarray:
        """A random permutation of range(n), on the host (used for batching)."""
        return self.host.permutation(n)

    def spawn(self) -> RNG:
        """An independent child RNG, deterministic given this one's state."""
        return RNG(int(self.host.integers(0, 2**63 - 1)))


def _from_environment() -> None:
    """Apply ``LRA_EDU_BACKEND``; keep its error for :func:`check_backend` instead of failing the import."""
    value = os.environ.get("LRA_EDU_BACKEND", "")
    if not value.strip():
        return
    try:
        set_backend(value.strip().lower())
    except (ValueError, RuntimeError) as err:
        _current["error"] = (type(err), f"LRA_EDU_BACKEND={value!r}: {err}")


_from_environment()
