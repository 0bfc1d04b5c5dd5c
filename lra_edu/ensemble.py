"""Train R networks in one pass along a leading ensemble axis.

The members share an architecture, a unit and an algorithm, and may differ in seed,
initializer and learning rate. Every array in the library accepts the leading axis
(weights ``(R, n_in, n_out)``, activations ``(R, B, n)``), so one step of the ensemble
is one step of each member, computed by batched matrix products.

Training goes through the same loop as a single network (:func:`lra_edu.train.fit`),
and each member's result equals training it alone with :func:`lra_edu.train.train` (to
float tolerance) in every recorded field but the wall-clock seconds: its weights come
from its own seed, its algorithm state (feedback matrices, ...) from its own
:class:`~lra_edu.backend.RNG` exactly as ``train`` draws them, it sees its own batch
order, records its own errors, losses and step diagnostics, and stops on its own when
it diverges (its parameters then stay as they were, and the other members train on).

Exceptions, documented and tested: stochastic units draw their noise from one
ensemble-wide stream (the first member's), so a member of stochastic units does not
equal its lone run; and an LRA member that halts (``eps > 0``) gets a zero update for
the layers below, which equals the lone run's skipped update with SGD but not with
Adam or RMSprop, whose running averages still move (the experiment runner trains such
runs alone).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lra_edu.algorithms import Algorithm, make_algorithm
from lra_edu.backend import RNG, xp
from lra_edu.datasets import Dataset
from lra_edu.mlp import MLP
from lra_edu.optimizers import get_optimizer
from lra_edu.train import History, fit


@dataclass(frozen=True)
class Member:
    """What distinguishes one member of an ensemble."""

    seed: int = 0
    init: str = "gaussian:0.05"
    lr: float | None = None


def stack_networks(nets: Sequence[MLP]) -> MLP:
    """One ensemble MLP whose member r has the parameters of ``nets[r]``."""
    first = nets[0]
    for net in nets[1:]:
        if (net.sizes, net.unit, net.dtype) != (first.sizes, first.unit, first.dtype) or net.ensemble:
            raise ValueError("ensemble members must share sizes, unit and dtype, and be single networks")
    ens = first.copy()
    ens.ensemble = len(nets)
    ens.params = {k: xp().stack([n.params[k] for n in nets]) for k in first.params}
    return ens


def member_network(ens: MLP, r: int) -> MLP:
    """A single-network copy of member ``r`` of an ensemble."""
    net = ens.copy()
    net.ensemble = None
    net.params = {k: v[r].copy() for k, v in ens.params.items()}
    return net


def _is_array(v: Any) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype")


def stack_algorithms(members: Sequence[Algorithm]) -> Algorithm:
    """One algorithm whose array state (and dicts of arrays) is stacked over members."""
    algo = copy.copy(members[0])
    for name, value in vars(members[0]).items():
        if _is_array(value):
            setattr(algo, name, xp().stack([vars(m)[name] for m in members]))
        elif isinstance(value, dict) and value and all(_is_array(v) for v in value.values()):
            setattr(algo, name, {k: xp().stack([vars(m)[name][k] for m in members]) for k in value})
    return algo


def member_algorithm(stacked: Algorithm, r: int) -> Algorithm:
    """Member ``r``'s algorithm state from an ensemble's (the inverse of :func:`stack_algorithms`)."""
    algo = copy.copy(stacked)
    for name, value in vars(stacked).items():
        if _is_array(value):
            setattr(algo, name, value[r].copy())
        elif isinstance(value, dict) and value and all(_is_array(v) for v in value.values()):
            setattr(algo, name, {k: v[r].copy() for k, v in value.items()})
    return algo


def train_ensemble(
    sizes: Sequence[int],
    unit: str,
    algorithm: str,
    data: Dataset,
    members: Sequence[Member],
    optimizer: str = "sgd:0.01",
    epochs: int = 1,
    batch_size: int = 50,
    hyperparameters: dict[str, Any] | None = None,
    dtype: str = "float32",
    progress: bool | str = "auto",
    checkpoint: str | Path | None = None,
    train_eval_subset: int | None = None,
) -> tuple[MLP, list[History]]:
    """Train one network per :class:`Member` in a single ensemble pass.

    Returns the ensemble network and one :class:`History` per member, each equal to
    what ``train(MLP(sizes, unit, m.init, m.seed), make_algorithm(algorithm, ...), data,
    optimizer-with-m.lr, epochs, batch_size, seed=m.seed)`` would give (see the module
    docstring for the exceptions). ``checkpoint`` works as in
    :func:`lra_edu.train.train`: state saved after every epoch, resumed from when the
    file exists. ``progress`` and ``train_eval_subset`` as in :func:`lra_edu.train.train`.
    """
    if not members:
        raise ValueError("an ensemble needs at least one member")
    hyperparameters = hyperparameters or {}
    base = get_optimizer(optimizer)
    opt = type(base)([base.lr if m.lr is None else m.lr for m in members])
    nets, algos, rngs = [], [], []
    for m in members:
        net = MLP(sizes, unit, init=m.init, seed=m.seed, dtype=dtype)
        algo = make_algorithm(algorithm, **hyperparameters)
        rng = RNG(m.seed)
        algo.setup(net, rng.spawn())
        nets.append(net)
        algos.append(algo)
        rngs.append(rng)
    ens = stack_networks(nets)
    algo = stack_algorithms(algos)
    members_id = {"members": [repr(m) for m in members]}
    histories = fit(
        ens, algo, data, opt, rngs, epochs, batch_size, members_id, progress,
        checkpoint=checkpoint, train_eval_subset=train_eval_subset,
    )  # fmt: skip
    return ens, histories
