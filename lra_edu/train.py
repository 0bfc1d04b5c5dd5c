"""The training loop: epochs of shuffled mini-batches, any algorithm, any optimizer.

Every epoch (and once before training, as epoch 0) the loop records the error (%)
and mean NLL on each split, the epoch's mean step diagnostics (credit-assignment
depth, total discrepancy, optionally the angle to backprop) and the seconds taken.
A run whose loss becomes NaN or infinite stops and is marked ``diverged``: failure
is a result, not a crash. Runs are deterministic for a seed.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
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

SPLITS = ("train", "valid", "test")


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


def check_data(x: numpy.ndarray, labels: numpy.ndarray, n_features: int, n_classes: int) -> None:
    """Validate a split: shapes, finite values, labels in range; raise ValueError if not."""
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(f"inputs must have shape (N, {n_features}), got {x.shape}")
    if labels.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},), got {labels.shape}")
    if not numpy.isfinite(x).all():
        raise ValueError("inputs contain NaN or infinite values; clean the data first")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")


def _progress_bar(total: int, enabled: bool | str, desc: str) -> Any:
    if enabled is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


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
        Show a tqdm progress bar (a widget in notebooks, text in a terminal).
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
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if net.sizes[0] != data.n_features or net.sizes[-1] != data.n_classes:
        raise ValueError(
            f"the network {net.sizes} does not fit the data ({data.n_features} features, "
            f"{data.n_classes} classes): make its first width {data.n_features} and its last {data.n_classes}"
        )
    for s in splits:
        check_data(*data.split(s), data.n_features, data.n_classes)
    opt = get_optimizer(optimizer)
    own_opt = copy.deepcopy(opt)
    rng = RNG(seed)
    history = History()
    fingerprint = {
        "network": repr(net),
        "dtype": net.dtype,
        "algorithm": repr(algorithm),
        "optimizer": repr(opt),
        "batch_size": batch_size,
        "seed": seed,
        "n_train": len(data.y_train),
        "track_angle": track_angle,
        "splits": list(splits),
    }
    state = load_checkpoint(checkpoint, fingerprint, epochs) if checkpoint is not None else None
    if state is None:
        algorithm.setup(net, rng.spawn())
    else:
        net.__dict__.update(state["net"].__dict__)
        algorithm.__dict__.update(state["algorithm"].__dict__)
        opt, own_opt, rng, history = state["opt"], state["own_opt"], state["rng"], state["history"]
    reference = BP() if track_angle else None
    x_train = asarray(data.x_train, net.dtype)
    y_train = asarray(data.y_train)
    n = len(data.y_train)
    n_batches = math.ceil(n / batch_size)
    start = time.perf_counter() - history.seconds

    def predict(x: Any) -> Any:
        return algorithm.predict_proba(net, x)

    def record(epoch: int, diag: dict[str, list[float]], seconds: float) -> dict[str, Any]:
        rec: dict[str, Any] = {"epoch": epoch}
        for s in splits:
            err, loss = evaluate(net, *data.split(s), predict_proba=predict)
            rec[f"{s}_error"], rec[f"{s}_loss"] = err, loss
        rec.update({k: float(numpy.mean(v)) for k, v in diag.items()})
        rec["seconds"] = round(seconds, 4)
        history.records.append(rec)
        if callback is not None:
            callback(rec)
        return rec

    first = 1 if state is None else state["epoch"] + 1
    if state is None:
        record(0, {}, 0.0)
    bar = _progress_bar(max(0, epochs - first + 1) * n_batches, progress, f"{algorithm.name}")
    try:
        for epoch in range(first, epochs + 1):
            if history.diverged:
                break
            t0 = time.perf_counter()
            order = asarray(rng.permutation(n))
            diag: dict[str, list[float]] = {}
            for i in range(n_batches):
                idx = order[i * batch_size : (i + 1) * batch_size]
                x = x_train[idx]
                t = one_hot(y_train[idx], net.sizes[-1], net.dtype)
                step = algorithm.step(net, x, t)
                if reference is not None:
                    step.diagnostics["angle"] = angle(step.grads, reference.step(net, x, t).grads)
                for k, v in step.diagnostics.items():
                    diag.setdefault(k, []).append(v)
                opt.update(net.params, step.grads)
                if step.own_grads:
                    own_opt.update(algorithm.params, step.own_grads)
                if bar is not None:
                    bar.update(1)
            rec = record(epoch, diag, time.perf_counter() - t0)
            if bar is not None:
                bar.set_postfix(epoch=epoch, valid_error=rec.get("valid_error"))
            if not all(
                math.isfinite(float(xp().asarray(v).sum())) for v in net.params.values()
            ) or not math.isfinite(rec.get("loss", 0.0)):
                history.diverged = True
            history.seconds = time.perf_counter() - start
            if checkpoint is not None:
                save_checkpoint(
                    checkpoint,
                    {
                        "fingerprint": fingerprint,
                        "epoch": epoch,
                        "net": net,
                        "algorithm": algorithm,
                        "opt": opt,
                        "own_opt": own_opt,
                        "rng": rng,
                        "history": history,
                    },
                )
    finally:
        if bar is not None:
            bar.close()
    history.seconds = time.perf_counter() - start
    return history
