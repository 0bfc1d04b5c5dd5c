"""The training loop: epochs of shuffled mini-batches, any algorithm, any optimizer.

Every epoch (and once before training, as epoch 0) the loop records the error (%)
and mean NLL on each split, the epoch's mean step diagnostics (credit-assignment
depth, total discrepancy, optionally the angle to backprop) and the seconds taken.
A run whose loss becomes NaN or infinite stops and is marked ``diverged``: failure
is a result, not a crash. Runs are deterministic for a seed.

One loop (:func:`fit`) trains a single network (:func:`train`) or an ensemble of R
networks along a leading axis (:func:`lra_edu.ensemble.train_ensemble`); every member
keeps its own history, equal to training it alone, and stops on its own.
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

from lra_edu.algorithms import BP, Algorithm
from lra_edu.backend import RNG, asarray, xp
from lra_edu.checkpoint import load_checkpoint, save_checkpoint
from lra_edu.datasets import Dataset
from lra_edu.metrics import angle, evaluate, one_hot
from lra_edu.mlp import MLP
from lra_edu.optimizers import Optimizer, get_optimizer
from lra_edu.progress import progress_bar

SPLITS = ("train", "valid", "test")


def eval_subset(n: int, size: int) -> numpy.ndarray:
    """The sorted indices of ``size`` of ``n`` training images, the same for every run and seed."""
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"train_eval_subset must be a positive integer, got {size!r}")
    if size >= n:
        return numpy.arange(n)
    return numpy.sort(numpy.random.default_rng(0).choice(n, int(size), replace=False))


@dataclass
class History:
    """Per-epoch records of a training run (epoch 0 is the untrained network)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    diverged: bool = False
    seconds: float = 0.0

    def curve(self, key: str) -> list[float]:
        """The values of ``key`` (e.g. ``'test_error'``) over epochs."""
        return [r.get(key, float("nan")) for r in self.records]

    @property
    def best_epoch(self) -> int:
        """The trained epoch with the lowest validation error (ties: the earliest)."""
        trained = [r for r in self.records if r["epoch"] > 0] or self.records
        return min(trained, key=lambda r: (_nan_last(r.get("valid_error")), r["epoch"]))["epoch"]

    @property
    def final(self) -> dict[str, Any]:
        """The last epoch's record."""
        return self.records[-1]

    @property
    def best(self) -> dict[str, Any]:
        """The record at :attr:`best_epoch`."""
        return self.records[self.best_epoch]

    def summary(self) -> dict[str, Any]:
        """Final and best-validation errors (%), the history and the seconds taken."""

        def pick(r: dict[str, Any]) -> dict[str, Any]:
            return {f"{s}_error": r.get(f"{s}_error") for s in SPLITS}

        return {
            "final": {"epoch": self.final["epoch"], **pick(self.final)},
            "best_valid": {"epoch": self.best_epoch, **pick(self.best)},
            "diverged": self.diverged,
            "seconds": round(self.seconds, 3),
            "history": self.records,
        }


def _nan_last(v: float | None) -> float:
    return math.inf if v is None or math.isnan(v) else v


def check_data(
    x: numpy.ndarray, labels: numpy.ndarray, n_features: int, n_classes: int, split: str = ""
) -> None:
    """Validate a split: arrays of matching shapes, finite inputs, integer labels in range.

    Raises TypeError for something that is not an array, ValueError otherwise; the
    message names ``split`` when given.
    """
    where = f"{split} split: " if split else ""
    for name, a in (("inputs", x), ("labels", labels)):
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            raise TypeError(f"{where}{name} must be an array (numpy.asarray(...)), got {type(a).__name__}")
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(f"{where}inputs must have shape (N, {n_features}), got {x.shape}")
    if labels.shape != (x.shape[0],):
        raise ValueError(f"{where}labels must have shape ({x.shape[0]},), got {labels.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{where}no samples; every split needs at least one")
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"{where}labels must be integer class indices 0..{n_classes - 1}, got dtype {labels.dtype}"
        )
    if not numpy.isfinite(x).all():
        raise ValueError(f"{where}inputs contain NaN or infinite values; clean the data first")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"{where}labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")


def _progress_bar(total: int, enabled: bool | str, desc: str) -> Any:
    return progress_bar(total, desc, enabled)


def train(
    net: MLP,
    algorithm: Algorithm,
    data: Dataset,
    optimizer: str | Optimizer = "sgd:0.01",
    epochs: int = 1,
    batch_size: int = 50,
    seed: int = 0,
    progress: bool | str = "auto",
    track_angle: bool = False,
    callback: Callable[[dict[str, Any]], None] | None = None,
    splits: tuple[str, ...] = SPLITS,
    checkpoint: str | Path | None = None,
    train_eval_subset: int | None = None,
) -> History:
    """Train ``net`` with ``algorithm`` on ``data``; return the :class:`History`.

    Parameters
    ----------
    optimizer : str or Optimizer
        E.g. ``"sgd:0.01"``; parameters the algorithm learns itself (``algorithm.params``)
        get an independent copy of the same optimizer.
    epochs, batch_size : int
        Passes over the training split and mini-batch size (the last partial batch is
        kept).
    seed : int
        Seeds the batch order (the network's own seed fixes its initial weights).
    progress : bool or "auto"
        Show a tqdm progress bar (a widget in JupyterLab, text on a terminal); "auto"
        shows one only where a person watches (:mod:`lra_edu.progress`).
    track_angle : bool
        Also compute backprop's update on every batch and record the mean angle.
    callback : callable, optional
        Called with each epoch's record (for live plots).
    splits : tuple of str
        Splits evaluated each epoch.
    checkpoint : str or Path, optional
        Write the training state here after every epoch and, when the file exists,
        resume from it (see :mod:`lra_edu.checkpoint`): the result equals an
        uninterrupted run. The file stays after training; asking for more epochs later
        continues from it.
    train_eval_subset : int, optional
        Measure the training error on this many training images, a fixed subset drawn
        once (:func:`eval_subset`), instead of on all of them: for networks whose
        evaluation costs more than their training, such as stochastic ones averaging
        many posterior draws. Training itself always uses every image.
    """
    if net.ensemble is not None:
        raise ValueError(
            f"train takes a single network, got an ensemble of {net.ensemble}; "
            "train ensembles with lra_edu.ensemble.train_ensemble"
        )
    opt = get_optimizer(optimizer)
    rng = RNG(seed)
    algorithm.setup(net, rng.spawn())
    each = None if callback is None else (lambda records: callback(records[0]))
    (history,) = fit(
        net, algorithm, data, opt, [rng], epochs, batch_size, {"seed": seed},
        progress, track_angle, each, splits, checkpoint, train_eval_subset,
    )  # fmt: skip
    return history


def fit(
    net: MLP,
    algorithm: Algorithm,
    data: Dataset,
    optimizer: Optimizer,
    rngs: Sequence[RNG],
    epochs: int,
    batch_size: int,
    fingerprint: dict[str, Any],
    progress: bool | str = False,
    track_angle: bool = False,
    callback: Callable[[list[dict[str, Any] | None]], None] | None = None,
    splits: tuple[str, ...] = SPLITS,
    checkpoint: str | Path | None = None,
    train_eval_subset: int | None = None,
) -> list[History]:
    """The training loop of one network or of an ensemble; one :class:`History` per member.

    ``net`` is a single network (one member) or an ensemble of R along its leading axis,
    and ``algorithm`` is already set up for it (:meth:`Algorithm.setup`); ``rngs[r]``
    draws member r's batch order. Every member's history is the one it would have
    trained alone: its own errors, losses and step diagnostics, and a member whose
    loss or parameters become NaN or infinite records that epoch, is marked
    ``diverged`` and stops, its parameters frozen from then on so that it cannot
    affect the others; training ends when every member has stopped. ``fingerprint``
    names what the caller's configuration adds to the run's identity in a checkpoint
    (the seed, the members); ``callback`` receives each epoch's records, one per member
    (None for a member that has stopped). Other parameters as in :func:`train`.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    epochs, batch_size = int(epochs), int(batch_size)
    if net.sizes[0] != data.n_features or net.sizes[-1] != data.n_classes:
        raise ValueError(
            f"the network {net.sizes} does not fit the data ({data.n_features} features, "
            f"{data.n_classes} classes): make its first width {data.n_features} and its last {data.n_classes}"
        )
    members = 1 if net.ensemble is None else net.ensemble
    if len(rngs) != members:
        raise ValueError(f"one batch-order RNG per member is needed: {members} members, {len(rngs)} RNGs")
    for s in splits:
        check_data(*data.split(s), data.n_features, data.n_classes, s)
    measured = {s: data.split(s) for s in splits}
    if train_eval_subset is not None and "train" in measured:
        keep = eval_subset(len(data.y_train), train_eval_subset)
        measured["train"] = (data.x_train[keep], data.y_train[keep])
    own_opt = copy.deepcopy(optimizer)
    histories = [History() for _ in range(members)]
    fingerprint = {
        "network": repr(net),
        "dtype": net.dtype,
        "algorithm": repr(algorithm),
        "optimizer": repr(optimizer),
        "batch_size": batch_size,
        **fingerprint,
        "n_train": len(data.y_train),
        "track_angle": track_angle,
        "splits": list(splits),
    }
    if train_eval_subset is not None:  # unset, checkpoints keep the fingerprint they had without it
        fingerprint["train_eval_subset"] = train_eval_subset
    state = {
        "net": net,
        "algorithm": algorithm,
        "opt": optimizer,
        "own_opt": own_opt,
        "rngs": list(rngs),
        "histories": histories,
    }
    done = None if checkpoint is None else load_checkpoint(checkpoint, fingerprint, state, epochs)
    stopped = [r for r, h in enumerate(histories) if h.diverged and net.ensemble is not None]
    frozen = {r: _member_state(net, algorithm, r) for r in stopped}  # an ensemble's stopped members
    reference = BP() if track_angle else None
    x_train = asarray(data.x_train, net.dtype)
    y_train = asarray(data.y_train)
    n = len(data.y_train)
    n_batches = math.ceil(n / batch_size)
    start = time.perf_counter() - max(h.seconds for h in histories)

    def predict(x: Any) -> Any:
        return algorithm.predict_proba(net, x)

    def record(epoch: int, diag: dict[str, list[list[float]]], seconds: float) -> list[dict[str, Any] | None]:
        scores = {s: evaluate(net, *xy, predict_proba=predict) for s, xy in measured.items()}
        records: list[dict[str, Any] | None] = []
        for r, history in enumerate(histories):
            if history.diverged:
                records.append(None)
                continue
            rec: dict[str, Any] = {"epoch": epoch}
            for s, (err, loss) in scores.items():
                rec[f"{s}_error"], rec[f"{s}_loss"] = (
                    (err, loss) if net.ensemble is None else (err[r], loss[r])
                )
            rec.update({k: float(numpy.mean(v[r])) for k, v in diag.items()})
            rec["seconds"] = round(seconds, 4)
            history.records.append(rec)
            records.append(rec)
        if callback is not None:
            callback(records)
        return records

    first = 1 if done is None else done + 1
    if done is None:
        record(0, {}, 0.0)
    name = algorithm.name if net.ensemble is None else f"{algorithm.name} ×{members}"
    bar = _progress_bar(max(0, epochs - first + 1) * n_batches, progress, name)
    try:
        for epoch in range(first, epochs + 1):
            if all(h.diverged for h in histories):
                break
            t0 = time.perf_counter()
            order = _batch_order(rngs, n, net.ensemble)
            diag: dict[str, list[list[float]]] = {}
            for i in range(n_batches):
                idx = order[..., i * batch_size : (i + 1) * batch_size]
                x = x_train[idx]
                t = one_hot(y_train[idx], net.sizes[-1], net.dtype)
                step = algorithm.step(net, x, t)
                if reference is not None:
                    step.diagnostics["angle"] = _angle(
                        step.grads, reference.step(net, x, t).grads, net.ensemble
                    )
                for k, v in step.diagnostics.items():
                    per_member = diag.setdefault(k, [[] for _ in range(members)])
                    for values, value in zip(per_member, _member_values(v, members)):
                        values.append(value)
                optimizer.update(net.params, step.grads)
                if step.own_grads:
                    own_opt.update(algorithm.params, step.own_grads)
                for r, (params, own) in frozen.items():
                    _restore_member(net.params, params, r)
                    _restore_member(algorithm.params, own, r)
                if bar is not None:
                    bar.update(1)
            records = record(epoch, diag, time.perf_counter() - t0)
            now = time.perf_counter() - start
            for r, rec in enumerate(records):
                if rec is None:
                    continue
                histories[r].seconds = now
                if _diverged(net, r, rec):
                    histories[r].diverged = True
                    if net.ensemble is not None:
                        frozen[r] = _member_state(net, algorithm, r)
            if bar is not None:
                shown = next((rec for rec in records if rec is not None), {})
                bar.set_postfix(epoch=epoch, valid_error=shown.get("valid_error"))
            if checkpoint is not None:
                save_checkpoint(checkpoint, fingerprint, epoch, state)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    for history in histories:
        if not history.diverged or members == 1:
            history.seconds = elapsed
    return histories


def _batch_order(rngs: Sequence[RNG], n: int, ensemble: int | None) -> Any:
    """This epoch's shuffled sample indices: ``(n,)``, or ``(R, n)`` with each member's own order."""
    if ensemble is None:
        return asarray(rngs[0].permutation(n))
    return xp().stack([asarray(rng.permutation(n)) for rng in rngs])


def _member_values(value: Any, members: int) -> list[float]:
    """A step diagnostic as one float per member (a value shared by all members is repeated)."""
    if members == 1:
        return [float(value)]
    return numpy.broadcast_to(numpy.asarray(value, dtype="float64"), (members,)).tolist()


def _angle(grads: dict[str, Any], reference: dict[str, Any], ensemble: int | None) -> Any:
    """The angle between an update and backprop's; one per member for an ensemble."""
    if ensemble is None:
        return angle(grads, reference)
    return [
        angle({k: g[r] for k, g in grads.items()}, {k: g[r] for k, g in reference.items()})
        for r in range(ensemble)
    ]


def _member(params: dict[str, Any], r: int, ensemble: int | None) -> list[Any]:
    """Member ``r``'s parameter arrays (all of them for a single network)."""
    return list(params.values()) if ensemble is None else [v[r] for v in params.values()]


def _diverged(net: MLP, r: int, rec: dict[str, Any]) -> bool:
    """Whether member ``r`` has a non-finite parameter or a non-finite mean loss this epoch."""
    finite = all(math.isfinite(float(xp().asarray(v).sum())) for v in _member(net.params, r, net.ensemble))
    return not finite or not math.isfinite(rec.get("loss", 0.0))


def _member_state(net: MLP, algorithm: Algorithm, r: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of member ``r``'s network and algorithm parameters (an ensemble's stopped member)."""
    return (
        {k: v[r].copy() for k, v in net.params.items()},
        {k: v[r].copy() for k, v in algorithm.params.items()},
    )


def _restore_member(params: dict[str, Any], saved: dict[str, Any], r: int) -> None:
    """Put member ``r``'s ``saved`` arrays back into ``params`` (undo the updates it received)."""
    for k, v in saved.items():
        params[k][r] = v
