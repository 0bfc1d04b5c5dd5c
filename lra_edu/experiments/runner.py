"""Run an experiment's grid: resumable, atomic, failure recorded as a result.

Each finished run is written as one JSON file
``OUT/<experiment>/<scale>/<dataset>/<run_id>-seed<S>.json`` through a temporary file
and a rename, so a killed sweep never leaves a half-written result and a rerun skips
every run already on disk. A run that diverges (NaN) or never breaks the symmetry of
its hidden units is recorded with that status (the papers' "X"), not raised.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lra_edu import __version__
from lra_edu.algorithms import make_algorithm
from lra_edu.backend import get_backend, to_numpy
from lra_edu.datasets import load_dataset
from lra_edu.experiments.spec import Experiment, RunConfig
from lra_edu.mlp import MLP
from lra_edu.train import History, train


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, allow_nan=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def result_path(
    out: Path, experiment: Experiment, scale: str, dataset: str, run: RunConfig, seed: int
) -> Path:
    """Where the result of one run lives."""
    return Path(out) / experiment.name / scale / dataset / f"{run.run_id}-seed{seed}.json"


def symmetric_layers(net: MLP) -> list[int]:
    """Hidden layers whose units all have identical incoming weights (symmetry never broken)."""
    stuck = []
    for l in range(1, net.n_layers):
        w = to_numpy(net.W(l))
        if w.shape[-1] > 1 and abs(w - w[..., :1]).max() < 1e-7:
            stuck.append(l)
    return stuck


def _status(net: MLP, history: History) -> str:
    if history.diverged:
        return "diverged"
    if symmetric_layers(net):
        return "no_symmetry_breaking"
    return "ok"


def run_one(run: RunConfig, dataset: str, seed: int, progress: bool = False) -> dict[str, Any]:
    """Train one configuration and return its JSON-ready result (without experiment keys)."""
    data = load_dataset(
        dataset,
        valid_size=run.valid_size,
        train_subset=run.train_subset,
        test_subset=run.test_subset,
        seed=seed,
    )
    net = MLP((data.n_features, *run.hidden, data.n_classes), run.unit, init=run.init, seed=seed)
    algorithm = make_algorithm(run.algorithm, **dict(run.hyperparameters))
    if run.samples > 1:
        algorithm.samples = run.samples
    history = train(
        net,
        algorithm,
        data,
        run.optimizer,
        epochs=run.epochs,
        batch_size=run.batch_size,
        seed=seed,
        progress=progress,
        track_angle=run.track_angle,
    )
    result: dict[str, Any] = {"phases": [{"algorithm": run.algorithm, **history.summary()}]}
    status = _status(net, history)
    if run.finetune is not None and status == "ok":
        ft_algorithm, ft_optimizer, ft_epochs = run.finetune
        ft_history = train(
            net,
            make_algorithm(ft_algorithm),
            data,
            ft_optimizer,
            epochs=ft_epochs,
            batch_size=run.batch_size,
            seed=seed + 1,
            progress=progress,
            track_angle=run.track_angle,
        )
        result["phases"].append({"algorithm": ft_algorithm, **ft_history.summary()})
        status = _status(net, ft_history)
    last = result["phases"][-1]
    result.update(
        status=status,
        best_valid_epoch=last["best_valid"]["epoch"],
        final=last["final"],
        best=last["best_valid"],
        curves=last["history"],
        seconds=round(sum(p["seconds"] for p in result["phases"]), 3),
    )
    return result


def run_experiment(
    experiment: Experiment,
    scale: str = "quick",
    dataset: str = "fashion-mnist",
    seeds: Iterable[int] = (0,),
    out: str | Path = "results",
    progress: bool = True,
) -> list[Path]:
    """Run every (run, seed) of ``experiment`` at ``scale`` not yet on disk; return all result paths."""
    runs = experiment.runs(scale)
    seeds = list(seeds)
    todo = [(r, s) for r in runs for s in seeds]
    paths = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=f"{experiment.name} ({scale}, {dataset})", dynamic_ncols=True)
    try:
        for run, seed in todo:
            path = result_path(Path(out), experiment, scale, dataset, run, seed)
            paths.append(path)
            if not path.exists():
                result = run_one(run, dataset, seed)
                write_json_atomic(
                    path,
                    {
                        "experiment": experiment.name,
                        "key": experiment.key,
                        "scale": scale,
                        "dataset": dataset,
                        "seed": seed,
                        "run_id": run.run_id,
                        "cell": list(run.cell),
                        "config": run.to_dict(),
                        "backend": get_backend(),
                        "version": __version__,
                        **result,
                    },
                )
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return paths
