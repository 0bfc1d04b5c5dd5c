"""Equilibrium propagation's energy, and a step-by-step trace of its relaxation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lra_edu.algorithms.equil_prop import EquilProp
from lra_edu.backend import Array, xp_of
from lra_edu.mlp import MLP


def ep_energy(
    net: MLP, x: Array, states: Sequence[Array], beta: float = 0.0, t: Array | None = None
) -> float:
    """Batch mean of ``F = E + beta C`` of equilibrium propagation at ``states`` ([None, s_1..s_n]).

    ``E = sum_l 0.5||s_l||^2 - sum_l rho(s_{l-1}) W_l rho(s_l)^T - sum_l b_l rho(s_l)^T`` with
    ``rho(s_0) = x``, and ``C = 0.5||t - s_n||^2`` (see :mod:`lra_edu.algorithms.equil_prop`).
    """
    n = net.n_layers
    if len(states) != n + 1:
        raise ValueError(f"states must be [None, s_1, ..., s_{n}], got {len(states)} entries")
    rho = net.unit.f
    x = net.check_input(x)
    r = [x] + [rho(states[l]) for l in range(1, n + 1)]
    energy = 0.0
    for l in range(1, n + 1):
        energy = energy + 0.5 * (states[l] ** 2).sum(axis=-1)
        energy = energy - ((r[l - 1] @ net.W(l)) * r[l]).sum(axis=-1) - (net.b(l) * r[l]).sum(axis=-1)
    if beta:
        if t is None:
            raise ValueError("a nudged energy (beta > 0) needs the targets t")
        energy = energy + beta * 0.5 * ((t - states[n]) ** 2).sum(axis=-1)
    return float(energy.mean())


def relaxation_trace(algorithm: EquilProp, net: MLP, x: Array, t: Array) -> dict[str, list[Any]]:
    """Step through EP's free phase (``n_free`` steps) and nudged phase (``n_nudged``) one step
    at a time; return per step the energy ``E``, the total energy ``F = E + beta C`` and the
    largest state change, plus ``phase`` ("start", "free" or "nudged")."""
    x = net.check_input(x)
    xp = xp_of(net.W(1))
    lead = net.W(1).shape[:-2]
    states: list[Array] = [None] + [xp.zeros((*lead, x.shape[-2], k), dtype=net.dtype) for k in net.sizes[1:]]
    trace: dict[str, list[Any]] = {"phase": ["start"], "change": [math.nan]}
    trace["energy"] = [ep_energy(net, x, states)]
    trace["total"] = [ep_energy(net, x, states, algorithm.beta, t)]
    plan = [("free", 0.0)] * algorithm.n_free + [("nudged", algorithm.beta)] * algorithm.n_nudged
    for name, beta in plan:
        states, change = algorithm.relax(net, x, states, 1, beta, t)
        trace["phase"].append(name)
        trace["change"].append(change)
        trace["energy"].append(ep_energy(net, x, states))
        trace["total"].append(ep_energy(net, x, states, algorithm.beta, t))
    return trace
