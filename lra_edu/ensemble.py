"""Train R networks in one pass along a leading ensemble axis.

The members share an architecture, a unit and an algorithm, and may differ in seed,
initializer and learning rate. Every array in the library accepts the leading axis
(weights ``(R, n_in, n_out)``, activations ``(R, B, n)``), so one step of the ensemble
is one step of each member, computed by batched matrix products.

Each member's result equals training it alone with :func:`lra_edu.train.train` (to
float tolerance): its weights come from its own seed, its algorithm state (feedback
matrices, ...) from its own :class:`~lra_edu.backend.RNG` exactly as ``train`` draws
them, and it sees its own batch order. Exceptions, documented: stochastic units draw
their noise from one ensemble-wide stream, and the per-step diagnostics recorded in
the histories are ensemble means.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from lra_edu.algorithms import Algorithm, make_algorithm
from lra_edu.backend import RNG, asarray, xp
from lra_edu.checkpoint import load_checkpoint, save_checkpoint
from lra_edu.datasets import Dataset
from lra_edu.metrics import evaluate, one_hot
from lra_edu.mlp import MLP
from lra_edu.optimizers import get_optimizer
from lra_edu.train import SPLITS, History, check_data

Array = Any


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
    progress: bool = False,
    checkpoint: str | Path | None = None,
) -> tuple[MLP, list[History]]:
    """Train one network per :class:`Member` in a single ensemble pass.

    Returns the ensemble network and one :class:`History` per member, each equal to
    what ``train(MLP(sizes, unit, m.init, m.seed), make_algorithm(algorithm, ...), data,
    optimizer-with-m.lr, epochs, batch_size, seed=m.seed)`` would give. ``checkpoint``
    works as in :func:`lra_edu.train.train`: state saved after every epoch, resumed from
    when the file exists.
    """
    if not members:
        raise ValueError("an ensemble needs at least one member")
    for s in SPLITS:
        check_data(*data.split(s), data.n_features, data.n_classes)
    hyperparameters = hyperparameters or {}
    base = get_optimizer(optimizer)
    lrs = [base.lr if m.lr is None else m.lr for m in members]
    opt = type(base)(lrs)
    own_opt = copy.deepcopy(opt)
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
    x_train = asarray(data.x_train, dtype)
    y_train = asarray(data.y_train)
    n = len(data.y_train)
    n_batches = math.ceil(n / batch_size)
    histories = [History() for _ in members]
    fingerprint = {
        "network": repr(ens),
        "dtype": dtype,
        "algorithm": repr(algo),
        "members": [repr(m) for m in members],
        "optimizer": repr(opt),
        "batch_size": batch_size,
        "n_train": n,
    }
    state = load_checkpoint(checkpoint, fingerprint, epochs) if checkpoint is not None else None
    if state is not None:
        ens, algo, opt, own_opt = state["net"], state["algorithm"], state["opt"], state["own_opt"]
        rngs, histories = state["rngs"], state["histories"]
    start = time.perf_counter() - histories[0].seconds

    def record(epoch: int, diag: dict[str, list[float]], seconds: float) -> None:
        per_split = {
            s: evaluate(ens, *data.split(s), predict_proba=lambda x: algo.predict_proba(ens, x))
            for s in SPLITS
        }
        for r, h in enumerate(histories):
            rec: dict[str, Any] = {"epoch": epoch}
            for s, (err, loss) in per_split.items():
                rec[f"{s}_error"], rec[f"{s}_loss"] = err[r], loss[r]
            rec.update({k: float(numpy.mean(v)) for k, v in diag.items()})
            rec["seconds"] = round(seconds, 4)
            h.records.append(rec)

    first = 1 if state is None else state["epoch"] + 1
    if state is None:
        record(0, {}, 0.0)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=max(0, epochs - first + 1) * n_batches, desc=f"{algorithm} ×{len(members)}", leave=False
        )
    for epoch in range(first, epochs + 1):
        t0 = time.perf_counter()
        orders = xp().stack([asarray(rng.permutation(n)) for rng in rngs])
        diag: dict[str, list[float]] = {}
        for i in range(n_batches):
            idx = orders[:, i * batch_size : (i + 1) * batch_size]
            step = algo.step(ens, x_train[idx], one_hot(y_train[idx], sizes[-1], dtype))
            for k, v in step.diagnostics.items():
                diag.setdefault(k, []).append(v)
            opt.update(ens.params, step.grads)
            if step.own_grads:
                own_opt.update(algo.params, step.own_grads)
            if bar is not None:
                bar.update(1)
        record(epoch, diag, time.perf_counter() - t0)
        for h in histories:
            h.seconds = time.perf_counter() - start
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                {
                    "fingerprint": fingerprint,
                    "epoch": epoch,
                    "net": ens,
                    "algorithm": algo,
                    "opt": opt,
                    "own_opt": own_opt,
                    "rngs": rngs,
                    "histories": histories,
                },
            )
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - start
    for r, h in enumerate(histories):
        h.seconds = elapsed
        h.diverged = not all(math.isfinite(float(v[r].sum())) for v in ens.params.values())
    return ens, histories
