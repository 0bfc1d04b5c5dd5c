"""Run an experiment's grid: resumable, atomic, failure recorded as a result.

Each finished run is written as one JSON file
``OUT/<experiment>/<scale>/<dataset>/<run_id>-seed<S>.json`` through a temporary file
and a rename, so a killed sweep never leaves a half-written result and a rerun skips
every run already on disk. A run still in training keeps an epoch checkpoint beside
its result (``<run_id>-seed<S>.ckpt.phase1``, see :mod:`lra_edu.checkpoint`): a rerun
continues it from the last finished epoch, and the checkpoint is deleted once the
result is written. A run that diverges (NaN) or never breaks the symmetry of its
hidden units is recorded with that status (the papers' "X"), not raised. Several
processes may fill one results folder together (a run is locked while it trains, see
:class:`RunLock`), a damaged result is trained again, and Ctrl-C stops the workers at
once (see :func:`run_experiment`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fcntl
import glob
import hashlib
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from lra_edu import __version__
from lra_edu.activations import get_unit
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
    """A trained run's status: ``diverged``, ``no_symmetry_breaking`` or ``ok``."""
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
        train_eval_subset=run.train_eval_subset,
    )
    phases = [(run.algorithm, history)]
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
            train_eval_subset=run.train_eval_subset,
        )
        phases.append((ft_algorithm, ft_history))
        status = _status(net, ft_history)
    return _result(phases, status)


def _result(phases: list[tuple[str, History]], status: str, ensemble: int | None = None) -> dict[str, Any]:
    """A run's JSON-ready result from its training phases (algorithm, history) and its status.

    The headline numbers (final, best, curves) are the last phase's; ``ensemble`` is the
    size of the ensemble the run trained in, if any.
    """
    summaries = [{"algorithm": algorithm, **history.summary()} for algorithm, history in phases]
    last = summaries[-1]
    result: dict[str, Any] = {
        "phases": summaries,
        "status": status,
        "best_valid_epoch": last["best_valid"]["epoch"],
        "final": last["final"],
        "best": last["best_valid"],
        "curves": last["history"],
        "seconds": round(sum(p["seconds"] for p in summaries), 3),
    }
    if ensemble is not None:
        result["ensemble"] = ensemble
    return result


#: Algorithms whose ensemble runs are verified (tests/test_ensemble.py) to equal single runs.
ENSEMBLE_SAFE = frozenset({"bp", "fa", "dfa", "lra_fdbk", "lra_diff", "lra_e"})


def ensemble_key(run: RunConfig, seed: int) -> tuple[Any, ...] | None:
    """Runs with equal keys can train together as one ensemble (None: train alone).

    Members may differ in seed, initializer and learning rate only; when the data is
    a seeded subset the seed fixes the data, so it joins the key. Runs that an ensemble
    would not reproduce exactly train alone (see :mod:`lra_edu.ensemble`): stochastic
    units (one noise stream for all members), and LRA that halts (``eps > 0``) with an
    optimizer other than SGD (a halted member's zero update moves Adam's and RMSprop's
    running averages).
    """
    if run.algorithm not in ENSEMBLE_SAFE or run.finetune or run.track_angle or run.samples > 1:
        return None
    if get_unit(run.unit).stochastic:
        return None
    halts = dict(run.hyperparameters).get("eps", 0) > 0
    if halts and get_optimizer(run.optimizer).name != "sgd":
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
        train_eval_subset=run.train_eval_subset,
    )
    return [
        _result([(run.algorithm, history)], _status(member_network(ens, r), history), len(jobs))
        for r, history in enumerate(histories)
    ]


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


#: Keys every stored result has, with their JSON types (see :func:`result_problem`).
RESULT_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "experiment": str,
    "key": str,
    "scale": str,
    "dataset": str,
    "seed": int,
    "run_id": str,
    "cell": list,
    "config": dict,
    "backend": str,
    "version": str,
    "phases": list,
    "status": str,
    "best_valid_epoch": int,
    "final": dict,
    "best": dict,
    "curves": list,
    "seconds": (int, float),
}

#: The statuses a finished run is recorded with.
STATUSES = frozenset({"ok", "diverged", "no_symmetry_breaking"})


def result_problem(path: Path, identity: dict[str, Any]) -> str | None:
    """Why the result file at ``path`` cannot be kept, or None if it is a complete result.

    A kept result parses as JSON, has every key of :data:`RESULT_SCHEMA` with its type, a
    known status, per-split errors in ``final`` and ``best``, and the values of ``identity``
    (experiment, scale, dataset, seed, run_id).
    """
    try:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "no result"
    except (OSError, UnicodeDecodeError) as err:
        return f"unreadable ({type(err).__name__}: {err})"
    except json.JSONDecodeError as err:
        return f"not valid JSON ({err})"
    if not isinstance(result, dict):
        return "not a JSON object"
    for key, kind in RESULT_SCHEMA.items():
        if key not in result:
            return f"no {key!r}"
        value = result[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            return f"{key!r} is not of type {getattr(kind, '__name__', 'number')}"
    if result["status"] not in STATUSES:
        return f"unknown status {result['status']!r}"
    for key in ("final", "best"):
        errors = [result[key].get(f"{s}_error", "") for s in ("train", "valid", "test")]
        if not all(e is None or (isinstance(e, (int, float)) and not isinstance(e, bool)) for e in errors):
            return f"{key!r} lacks its train/valid/test errors"
    for key, expected in identity.items():
        if result[key] != expected:
            return f"{key} is {result[key]!r}, not {expected!r}"
    return None


class RunLock:
    """An exclusive claim on one run while this process trains it: ``flock`` on a lock file.

    The lock file is ``<run_id>-seed<S>.lock`` beside the run's result. ``flock`` is the most
    robust choice on Linux: the kernel releases the lock when its holder exits in any way
    (even ``kill -9``), so no lock is ever stale and no PID has to be guessed at; the file
    records ``pid PID on HOST`` for people only. The holder deletes the file before letting
    go, and a process that locked a file which was deleted meanwhile tries again on the new
    one, so two processes never hold the same run. (On Linux, ``flock`` on NFS is emulated
    with POSIX locks and works across hosts.)
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    @classmethod
    def try_acquire(cls, path: Path) -> RunLock | None:
        """Lock ``path`` (created if needed) without waiting; None if another process holds it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            opened = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino):
                os.ftruncate(fd, 0)
                os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
                return cls(path, fd)
            os.close(fd)  # its holder released and deleted it just before we locked it

    def release(self) -> None:
        """Delete the lock file, then unlock it (a second call does nothing)."""
        fd, self.fd = self.fd, -1
        if fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)


def _lock_owner(path: Path) -> str:
    try:
        return path.read_text().strip() or "another process"
    except OSError:
        return "another process"


def _claim(results: list[Path]) -> list[RunLock] | None:
    """Lock every run of a group (in a fixed order), or none of them."""
    locks: list[RunLock] = []
    for path in sorted(results):
        lock = RunLock.try_acquire(path.with_suffix(".lock"))
        if lock is None:
            for held in locks:
                held.release()
            return None
        locks.append(lock)
    return locks


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Serial:
    """Train each group in this process, one at a time."""

    capacity = 1

    def submit(self, jobs: list[tuple[RunConfig, int]], dataset: str, ckpt: Path) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(run_group(jobs, dataset, ckpt))
        return future

    def stop(self) -> None:
        """Nothing runs elsewhere."""

    def close(self) -> None:
        """Nothing to close."""


class _Local:
    """Train groups on local worker processes (spawned, so CUDA and BLAS start clean)."""

    def __init__(self, workers: int) -> None:
        self.capacity = workers
        self.pool = cf.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint
        )

    def submit(self, jobs: list[tuple[RunConfig, int]], dataset: str, ckpt: Path) -> cf.Future:
        return self.pool.submit(run_group, jobs, dataset, ckpt)

    def stop(self) -> None:
        """Kill the workers at once (their runs resume from their last epoch checkpoint)."""
        # ProcessPoolExecutor has no public way to kill its workers before Python 3.14.
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        for p in procs:
            p.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for p in procs:
            p.join()

    def close(self) -> None:
        """Wait for the (idle) workers to exit."""
        self.pool.shutdown(wait=True)


class _Dask:
    """Train groups on the workers of a Dask cluster."""

    def __init__(self, scheduler: str) -> None:
        try:
            from distributed import Client
        except ImportError as err:
            raise RuntimeError("--scheduler needs Dask: pip install 'dask[distributed]'") from err
        self.client = Client(scheduler)
        self.capacity = max(1, sum(self.client.nthreads().values()))
        self.futures: list[Any] = []

    def submit(self, jobs: list[tuple[RunConfig, int]], dataset: str, ckpt: Path) -> Any:
        future = self.client.submit(run_group, jobs, dataset, ckpt, pure=False)
        self.futures.append(future)
        return future

    def stop(self) -> None:
        """Cancel every run (a task already running on a worker runs on there, unclaimed)."""
        self.client.cancel([f for f in self.futures if not f.done()])

    def close(self) -> None:
        """Disconnect from the scheduler."""
        self.client.close()


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
    on_result: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Run every (run, seed) of ``experiment`` at ``scale`` not yet on disk; return all result paths.

    A result on disk is kept only if it is complete (:func:`result_problem`); a damaged
    one is named on stderr, trained again and replaced atomically. Several processes may
    share one ``out``: each run is claimed with a :class:`RunLock` while it trains, a run
    claimed by another process is skipped, and when nothing else is left this call waits
    (saying so on stderr) until the other process finishes those runs, training any it
    left unfinished; the results equal those of a single process. On an interrupt
    (``KeyboardInterrupt``: Ctrl-C, or SIGTERM while the sweep runs) the workers are
    stopped at once, finished results are kept, locks are released, and the interrupt is
    raised again: a rerun resumes.

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
    on_result : callable, optional
        Called with the path of every result this call trains and writes.
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

    def path(job: tuple[RunConfig, int]) -> Path:
        return result_path(Path(out), experiment, scale, dataset, *job)

    def problem(job: tuple[RunConfig, int]) -> str | None:
        run, seed = job
        identity = {
            "experiment": experiment.name,
            "scale": scale,
            "dataset": dataset,
            "seed": seed,
            "run_id": run.run_id,
        }
        return result_problem(path(job), identity)

    todo = []
    for job, p in zip(all_jobs, paths):
        if p.exists() or p.is_symlink():
            damage = problem(job)
            if damage is None:
                continue
            print(f"{p}: damaged result ({damage}); training the run again", file=sys.stderr)
        todo.append(job)
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
        return group_checkpoint(path(jobs[0]), jobs)

    def finish(jobs: list[tuple[RunConfig, int]], results: list[dict[str, Any]]) -> None:
        for (r, s), result in zip(jobs, results):
            write_json_atomic(path((r, s)), _payload(experiment, scale, dataset, r, s, result))
            if bar is not None:
                bar.update(1)
            if on_result is not None:
                on_result(path((r, s)))
        prefix = checkpoint(jobs)
        for phase in (1, 2):
            _phase(prefix, phase).unlink(missing_ok=True)

    executor: _Serial | _Local | _Dask
    if scheduler is not None:
        executor = _Dask(scheduler)
    elif workers > 1:
        executor = _Local(workers)
    else:
        executor = _Serial()
    waiting = list(groups.values())
    running: dict[Any, tuple[list[tuple[RunConfig, int]], list[RunLock]]] = {}
    held: list[RunLock] = []
    announced = False
    with _terminate_as_interrupt():
        try:
            while waiting or running:
                for jobs in list(waiting):
                    if len(running) >= executor.capacity:
                        break
                    locks = _claim([path(j) for j in jobs])
                    if locks is None:
                        continue  # another process trains (part of) this group
                    held.extend(locks)
                    waiting.remove(jobs)
                    left = [j for j in jobs if problem(j) is not None]  # another process may have finished it
                    if bar is not None:
                        bar.update(len(jobs) - len(left))
                    if not left:
                        _release(locks, held)
                        continue
                    running[executor.submit(left, dataset, checkpoint(left))] = (left, locks)
                done = [f for f in running if f.done()]
                for future in done:
                    jobs, locks = running.pop(future)
                    finish(jobs, future.result())
                    _release(locks, held)
                if done or not (waiting or running):
                    continue
                if waiting and not running and not announced:
                    owners = sorted({_lock_owner(path(g[0]).with_suffix(".lock")) for g in waiting})
                    names = [path(j).stem for g in waiting for j in g]
                    print(
                        f"waiting for {len(names)} run(s) that {', '.join(owners)} is training: "
                        f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}",
                        file=sys.stderr,
                    )
                    announced = True
                time.sleep(0.1 if running else 0.5)
        except BaseException:
            with _interrupts_ignored():
                for future, (jobs, _) in list(running.items()):
                    if future.done() and not future.cancelled() and future.exception() is None:
                        finish(jobs, future.result())  # keep what finished while we were interrupted
                executor.stop()
                if isinstance(executor, _Local):
                    for jobs, _ in running.values():
                        _remove_temporaries(checkpoint(jobs))
            raise
        finally:
            with _interrupts_ignored():
                executor.close()
                _release(list(held), held)
                if bar is not None:
                    bar.close()
    return paths


def _release(locks: list[RunLock], held: list[RunLock]) -> None:
    for lock in locks:
        lock.release()
        held.remove(lock)


def _remove_temporaries(prefix: Path) -> None:
    """Delete the temporary files a killed worker left while writing this group's checkpoint."""
    for phase in (1, 2):
        name = _phase(prefix, phase).name
        for tmp in prefix.parent.glob(f"{glob.escape(name)}*.tmp"):
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """A SIGTERM (``kill``, a job scheduler) stops a sweep the way Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Let a cleanup finish even if Ctrl-C is pressed, or SIGTERM sent, again (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
