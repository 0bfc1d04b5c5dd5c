"""Run an experiment's grid: resumable, atomic, failure recorded as a result.

Each finished run is written as one JSON file
``OUT/<experiment>/<scale>/<dataset>/<run_id>-seed<S>.json`` through a temporary file
and a rename, so a killed sweep never leaves a half-written result and a rerun skips
every run already on disk. A run still in training keeps an epoch checkpoint beside
its result (``<run_id>-seed<S>.ckpt.phase1``, see :mod:`lra_edu.checkpoint`): a rerun
continues it from the last finished epoch, and the checkpoint is deleted once the
result is written. A run that diverges (NaN) or never breaks the symmetry of its
hidden units is recorded with that status (the papers' "X"), not raised.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lra_edu import __version__
from lra_edu.algorithms import make_algorithm
from lra_edu.atomic import write_atomic
from lra_edu.backend import get_backend, to_numpy
from lra_edu.datasets import Dataset, load_dataset
from lra_edu.experiments.spec import Experiment, RunConfig
from lra_edu.mlp import MLP
from lra_edu.optimizers import get_optimizer
from lra_edu.train import History, train


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (see :mod:`lra_edu.atomic`)."""
    write_atomic(path, json.dumps(obj, indent=1, allow_nan=True))


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


def run_data(run: RunConfig, dataset: str, seed: int) -> Dataset:
    """The data a run trains on: its splits and seeded subsets of ``dataset``."""
    return load_dataset(
        dataset,
        valid_size=run.valid_size,
        train_subset=run.train_subset,
        test_subset=run.test_subset,
        seed=seed,
    )


def _phase(checkpoint: Path | None, phase: int) -> Path | None:
    return None if checkpoint is None else checkpoint.with_name(f"{checkpoint.name}.phase{phase}")


def run_one(
    run: RunConfig, dataset: str, seed: int, progress: bool = False, checkpoint: Path | None = None
) -> dict[str, Any]:
    """Train one configuration and return its JSON-ready result (without experiment keys).

    With ``checkpoint`` (a path prefix), each training phase saves its state after every
    epoch and resumes from it (see :mod:`lra_edu.checkpoint`).
    """
    data = run_data(run, dataset, seed)
    net = MLP((data.n_features, *run.hidden, data.n_classes), run.unit, init=run.init, seed=seed)
    algorithm = make_algorithm(run.algorithm, samples=run.samples, **dict(run.hyperparameters))
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
        checkpoint=_phase(checkpoint, 1),
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
            checkpoint=_phase(checkpoint, 2),
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


#: Algorithms whose ensemble runs are verified (tests/test_ensemble.py) to equal single runs.
ENSEMBLE_SAFE = frozenset({"bp", "fa", "dfa", "lra_fdbk", "lra_diff", "lra_e"})


def ensemble_key(run: RunConfig, seed: int) -> tuple[Any, ...] | None:
    """Runs with equal keys can train together as one ensemble (None: train alone).

    Members may differ in seed, initializer and learning rate only; when the data is
    a seeded subset the seed fixes the data, so it joins the key.
    """
    if run.algorithm not in ENSEMBLE_SAFE or run.finetune or run.track_angle or run.samples > 1:
        return None
    data_seed = seed if (run.train_subset or run.test_subset) else None
    cfg = run.to_dict()
    for k in ("init", "cell"):
        cfg.pop(k)
    cfg["optimizer"] = run.optimizer.split(":")[0]
    return (json.dumps(cfg, sort_keys=True), data_seed)


def run_group(
    jobs: list[tuple[RunConfig, int]], dataset: str, checkpoint: Path | None = None
) -> list[dict[str, Any]]:
    """Train jobs that share an :func:`ensemble_key` in one ensemble pass; one result each.

    ``checkpoint`` is the path prefix of the group's epoch checkpoints (None: none).
    """
    if len(jobs) == 1:
        run, seed = jobs[0]
        return [run_one(run, dataset, seed, checkpoint=checkpoint)]
    from lra_edu.ensemble import Member, member_network, train_ensemble

    run, seed = jobs[0]
    data = run_data(run, dataset, seed)
    members = [Member(s, r.init, get_optimizer(r.optimizer).lr) for r, s in jobs]
    ens, histories = train_ensemble(
        (data.n_features, *run.hidden, data.n_classes),
        run.unit,
        run.algorithm,
        data,
        members,
        run.optimizer,
        run.epochs,
        run.batch_size,
        dict(run.hyperparameters),
        checkpoint=_phase(checkpoint, 1),
    )
    results = []
    for r, history in enumerate(histories):
        summary = {"algorithm": run.algorithm, **history.summary()}
        results.append(
            {
                "phases": [summary],
                "status": _status(member_network(ens, r), history),
                "best_valid_epoch": summary["best_valid"]["epoch"],
                "final": summary["final"],
                "best": summary["best_valid"],
                "curves": summary["history"],
                "seconds": summary["seconds"],
                "ensemble": len(jobs),
            }
        )
    return results


def _payload(
    experiment: Experiment, scale: str, dataset: str, run: RunConfig, seed: int, result: dict[str, Any]
) -> dict[str, Any]:
    return {
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
    }


def run_experiment(
    experiment: Experiment,
    scale: str = "quick",
    dataset: str = "fashion-mnist",
    seeds: Iterable[int] = (0,),
    out: str | Path = "results",
    progress: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
    ensembles: bool = True,
    rows: Iterable[str] | None = None,
    columns: Iterable[str] | None = None,
) -> list[Path]:
    """Run every (run, seed) of ``experiment`` at ``scale`` not yet on disk; return all result paths.

    Parameters
    ----------
    workers : int
        Local worker processes training independent runs in parallel.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``); its workers train the runs.
    ensembles : bool
        Train compatible runs (same configuration but seed, init or learning rate) as
        one ensemble; results are the same as training them one by one.
    rows, columns : iterable of str, optional
        Run only the runs whose table cell has one of these rows (e.g. ``"Backprop"``)
        and columns (e.g. ``"3"``); the report marks the other cells "not run".
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    seeds = list(seeds)
    grid = experiment.runs(scale)
    for name, wanted, index in (("rows", rows, 1), ("columns", columns, 2)):
        if wanted is not None:
            wanted = set(wanted)
            valid = {r.cell[index] for r in grid}
            if not wanted <= valid:
                raise ValueError(
                    f"unknown {name} {sorted(wanted - valid)} for {experiment.name}; "
                    f"valid {name}: {', '.join(sorted(valid))}"
                )
            grid = [r for r in grid if r.cell[index] in wanted]
    all_jobs = [(r, s) for r in grid for s in seeds]
    paths = [result_path(Path(out), experiment, scale, dataset, r, s) for r, s in all_jobs]
    todo = [(r, s) for (r, s), p in zip(all_jobs, paths) if not p.exists()]
    groups: dict[Any, list[tuple[RunConfig, int]]] = {}
    for i, (r, s) in enumerate(todo):
        key = ensemble_key(r, s) if ensembles else None
        groups.setdefault(key if key is not None else ("single", i), []).append((r, s))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(all_jobs),
            initial=len(all_jobs) - len(todo),
            desc=f"{experiment.name} ({scale}, {dataset})",
            dynamic_ncols=True,
        )

    def checkpoint(jobs: list[tuple[RunConfig, int]]) -> Path:
        return group_checkpoint(result_path(Path(out), experiment, scale, dataset, *jobs[0]), jobs)

    def finish(jobs: list[tuple[RunConfig, int]], results: list[dict[str, Any]]) -> None:
        for (r, s), result in zip(jobs, results):
            path = result_path(Path(out), experiment, scale, dataset, r, s)
            write_json_atomic(path, _payload(experiment, scale, dataset, r, s, result))
            if bar is not None:
                bar.update(1)
        prefix = checkpoint(jobs)
        for done in prefix.parent.glob(f"{prefix.name}.phase*"):
            done.unlink()

    try:
        if scheduler is None and workers == 1:
            for jobs in groups.values():
                finish(jobs, run_group(jobs, dataset, checkpoint(jobs)))
        else:
            jobs_list = list(groups.values())
            _run_parallel(jobs_list, [checkpoint(j) for j in jobs_list], dataset, workers, scheduler, finish)
    finally:
        if bar is not None:
            bar.close()
    return paths


def group_checkpoint(first_result: Path, jobs: list[tuple[RunConfig, int]]) -> Path:
    """The checkpoint prefix of a group of runs, beside its first run's result file.

    A group of several runs (an ensemble) is named by a hash of its members, so a
    checkpoint is never resumed by a differently composed group.
    """
    stem = first_result.name.removesuffix(".json")
    if len(jobs) > 1:
        ids = json.dumps([[r.run_id, s] for r, s in jobs]).encode()
        stem += f"-ensemble{len(jobs)}-{hashlib.sha1(ids).hexdigest()[:8]}"
    return first_result.with_name(f"{stem}.ckpt")


def _run_parallel(
    groups: list[list[tuple[RunConfig, int]]],
    checkpoints: list[Path],
    dataset: str,
    workers: int,
    scheduler: str | None,
    finish: Any,
) -> None:
    """Train groups on local processes or a Dask cluster; write each result as it arrives."""
    if scheduler is not None:
        try:
            from distributed import Client, as_completed
        except ImportError as err:
            raise RuntimeError("--scheduler needs Dask: pip install 'dask[distributed]'") from err
        with Client(scheduler) as client:
            futures = {
                client.submit(run_group, jobs, dataset, ckpt, pure=False): jobs
                for jobs, ckpt in zip(groups, checkpoints)
            }
            for future in as_completed(futures):
                finish(futures[future], future.result())
        return
    import concurrent.futures as cf
    import multiprocessing

    with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            pool.submit(run_group, jobs, dataset, ckpt): jobs for jobs, ckpt in zip(groups, checkpoints)
        }
        for future in cf.as_completed(futures):
            finish(futures[future], future.result())
