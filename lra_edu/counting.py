"""Count the matrix multiplications an algorithm's step spends, by phase, measured from the code.

[LRA19] claims that computing targets costs LRA-E ``2(L-1)`` matrix multiplications
and DTP/DTP-σ ``4(L-3)+L``. Rather than assert such numbers, :func:`count_matmuls`
runs one real ``algorithm.step`` on a copy of the network whose parameters are
wrapped in :class:`CountingArray`, a ``numpy.ndarray`` subclass whose
``__array_ufunc__`` records every ``numpy.matmul`` (the ``@`` operator) that touches
it or anything computed from it. Each multiplication is filed under one phase:

* ``"updates"`` — it contracts the batch axis (``A^T @ delta``): a weight update;
* ``"forward"`` — it happens inside ``net.forward`` (the initial feedforward pass);
* the innermost :func:`phase` an algorithm declared, e.g. DTP's ``"inverse"`` for the
  noise-corrupted encode/decode pass that trains its decoders;
* ``"targets"`` — everything else: carrying errors or targets between layers.

The classification of updates is structural, so it needs a batch size different from
every layer width; :func:`count_matmuls` checks that. Algorithms need no hook beyond an
optional ``with phase(...)`` around a block whose purpose the structure cannot tell.

This module is instrumentation of the NumPy backend: unlike the rest of the library it
imports ``numpy`` directly (counting under CuPy is not supported). :func:`phase` itself
is pure Python and costs nothing when no count is running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy

from lra_edu.backend import RNG, get_backend
from lra_edu.mlp import MLP, Forward

if TYPE_CHECKING:  # the algorithms import phase() from here: no runtime import back
    from lra_edu.algorithms.base import Algorithm

_PHASES: list[str] = []
_RECORD: dict[str, Any] = {"log": None, "batch": None}


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Declare that the matmuls in this block belong to phase ``name`` (when counted)."""
    _PHASES.append(name)
    try:
        yield
    finally:
        _PHASES.pop()


def _plain(a: Any) -> Any:
    """Strip the counting subclass from an operand (a plain view, no copy)."""
    return a.view(numpy.ndarray) if isinstance(a, CountingArray) else a


class CountingArray(numpy.ndarray):
    """An ndarray that records every matmul it takes part in while a count is running."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """Record ``np.matmul`` calls, then compute on plain arrays and re-wrap the result."""
        log = _RECORD["log"]
        if ufunc is numpy.matmul and method == "__call__" and log is not None:
            a, b = inputs[0], inputs[1]
            if numpy.shape(a)[-1] == _RECORD["batch"]:
                kind = "updates"
            else:
                kind = _PHASES[-1] if _PHASES else "targets"
            log.append((kind, tuple(numpy.shape(a)), tuple(numpy.shape(b))))
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(o) for o in kwargs["out"])
        result = getattr(ufunc, method)(*(_plain(i) for i in inputs), **kwargs)
        if isinstance(result, tuple):
            return tuple(r.view(CountingArray) if isinstance(r, numpy.ndarray) else r for r in result)
        return result.view(CountingArray) if isinstance(result, numpy.ndarray) else result


@dataclass
class MatmulCount:
    """Matmuls of one step: ``by_phase`` counts, the ``calls`` (phase, shape a, shape b), and
    the ``grads`` the counted step returned (as plain arrays)."""

    by_phase: Counter = field(default_factory=Counter)
    calls: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    grads: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        """Number of matmuls in phase ``key`` (0 if none)."""
        return self.by_phase.get(key, 0)

    @property
    def total(self) -> int:
        """All matmuls of the step."""
        return sum(self.by_phase.values())


def count_matmuls(algorithm: Algorithm, net: MLP, x: Any, t: Any, setup: bool = True) -> MatmulCount:
    """Run one ``algorithm.step(net, x, t)`` and count its matrix multiplications by phase.

    Parameters
    ----------
    algorithm : Algorithm
        The algorithm; :meth:`Algorithm.setup` is called first when ``setup`` is true.
    net : MLP
        The network; it is copied, never changed.
    x, t : array
        One batch (NumPy arrays); its size must differ from every layer width so that a
        weight update (which contracts the batch axis) can be told apart.
    setup : bool
        Call ``algorithm.setup(copy, RNG(0))`` before stepping.
    """
    if get_backend() != "numpy":
        raise RuntimeError("count_matmuls instruments NumPy arrays; run it with the numpy backend")
    batch = numpy.shape(x)[-2]
    if batch in net.sizes:
        raise ValueError(
            f"use a batch size different from every layer width {net.sizes} (got {batch}) so that "
            f"weight updates can be recognised"
        )
    counted = net.copy()
    counted.params = {k: numpy.asarray(v).view(CountingArray) for k, v in counted.params.items()}

    def forward(inputs: Any) -> Forward:
        with phase("forward"):
            return MLP.forward(counted, inputs)

    counted.forward = forward  # type: ignore[method-assign]
    if setup:
        algorithm.setup(counted, RNG(0))
    saved = dict(algorithm.params)
    algorithm.params.update({k: numpy.asarray(v).view(CountingArray) for k, v in saved.items()})
    result = MatmulCount()
    _RECORD.update(log=result.calls, batch=batch)
    try:
        step = algorithm.step(
            counted, numpy.asarray(x).view(CountingArray), numpy.asarray(t).view(CountingArray)
        )
    finally:
        _RECORD.update(log=None, batch=None)
        algorithm.params.update(saved)
    result.by_phase.update(kind for kind, _, _ in result.calls)
    result.grads = {k: _plain(v) for k, v in step.grads.items()}
    return result


def lra19_claim(algorithm: str, n_layers: int) -> int:
    """[LRA19]'s stated matmul count for target computation, with ``L = n_layers + 1`` levels.

    ``L`` counts the layers of activity including the input (z_0..z_n). What the code does
    (measured by :func:`count_matmuls`, checked in ``tests/test_counting.py``) for n
    weight layers:

    * DTP/DTP-σ: n forward, 1 + 2(n-2) targets (top step, two decodes per decoder),
      2(n-2) corrupted encode/decode passes, 2n-2 updates. Forward + targets + corrupted
      passes = 5n - 7 = ``4(L-3)+L`` exactly, at every depth.
    * LRA-E: n forward, n-1 targets, n updates. Forward + targets = 2n - 1, one less than
      the paper's ``2(L-1)``; the targets alone are n - 1 = L - 2.
    """
    levels = n_layers + 1
    if algorithm in ("dtp", "dtp_sigma"):
        return 4 * (levels - 3) + levels
    if algorithm == "lra_e":
        return 2 * (levels - 1)
    raise ValueError(f"[LRA19] states matmul counts for dtp, dtp_sigma and lra_e only, not {algorithm!r}")
