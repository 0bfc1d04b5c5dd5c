"""The ``lra-edu`` command line: ``lemma``, ``train`` and ``bench``.

Exit status: 0 on success, 2 for bad input (unknown names, invalid values, an unusable
``--out`` or ``--scheduler``), 1 when a check fails or data cannot be obtained, 130 when
``run`` is interrupted (Ctrl-C). Every error is one line on stderr naming the option,
value or file at fault, and bad input is refused before any training starts. ``--json``
prints strict JSON (NaN as null); warnings go to stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from lra_edu import __version__
from lra_edu.activations import get_unit
from lra_edu.algorithms import ALGORITHMS, make_algorithm
from lra_edu.backend import BACKENDS, check_backend, get_backend, set_backend
from lra_edu.datasets import DATASETS, N_FEATURES, TRAIN_SIZES, DatasetError, load_dataset
from lra_edu.experiments.spec import SCALES
from lra_edu.initializers import INITIALIZERS, parse_init
from lra_edu.optimizers import OPTIMIZERS, get_optimizer

#: Algorithm hyperparameter options: CLI flag -> constructor keyword.
HYPERPARAMETER_FLAGS = {
    "--K": "K",
    "--beta": "beta",
    "--sigma-e": "sigma_e",
    "--eps": "eps",
    "--c1": "c1",
    "--c2": "c2",
    "--gamma": "gamma",
    "--alpha": "alpha",
    "--sigma": "sigma",
    "--local-loss": "local_loss",
    "--update": "update",
    "--preset": "preset",
    "--reduction": "reduction",
    "--samples": "samples",
}


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the message and where to find help."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message (see prog --help)`` to stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _value(text: str) -> Any:
    """Parse a hyperparameter value: int, float, 'none', or a plain string."""
    if text.strip().lower() == "none":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes comma-separated widths like 256,256,256, got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--hidden widths must be positive integers, got {text!r}")
    return sizes


def _checked(cast: Callable[[str], Any], valid: Callable[[Any], bool], what: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``cast(text)`` when it parses and ``valid`` accepts it, else a one-line error."""

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
_nonneg_int = _checked(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _checked(float, lambda v: math.isfinite(v) and v > 0, "a positive number")


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one name, comma-separated")
    return names


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds takes comma-separated integers like 0,1,2, got {text!r}"
        ) from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"--seeds must be distinct integers >= 0, got {text!r}")
    return seeds


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lra-edu``."""
    p = Parser(prog="lra-edu", description="Local Representation Alignment, executable.")
    p.add_argument("--version", action="version", version=f"lra_edu {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    lemma = sub.add_parser("lemma", help="check Lemma 1 (backprop = target propagation) on random nets")
    lemma.add_argument("--json", action="store_true", help="print one JSON object")
    lemma.add_argument("--seed", type=_nonneg_int, default=0)

    tr = sub.add_parser("train", help="train a network and print a summary")
    tr.add_argument("--algorithm", required=True, help=f"one of: {', '.join(ALGORITHMS)}")
    tr.add_argument("--dataset", required=True, help=f"one of: {', '.join(DATASETS)}")
    tr.add_argument(
        "--hidden", type=_hidden, default=[256, 256, 256], help="hidden widths (default 256,256,256)"
    )
    tr.add_argument("--activation", default="tanh", help="hidden unit, 'f' or 'f+g', e.g. tanh, tanh+sign")
    tr.add_argument("--init", default="gaussian:0.05", help=f"one of: {', '.join(INITIALIZERS)}")
    tr.add_argument(
        "--optimizer", default="sgd:0.01", help=f"NAME[:LR], NAME one of: {', '.join(OPTIMIZERS)}"
    )
    tr.add_argument("--batch-size", type=_positive_int, default=50)
    tr.add_argument("--epochs", type=_nonneg_int, default=1)
    tr.add_argument(
        "--train-subset", type=_positive_int, default=None, help="seeded subset of the training split"
    )
    tr.add_argument(
        "--valid-size",
        type=_positive_int,
        default=None,
        help="training images held out for validation (default 10000; digits 300)",
    )
    tr.add_argument("--seed", type=_nonneg_int, default=0)
    tr.add_argument("--backend", choices=BACKENDS, default=None)
    tr.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    tr.add_argument("--track-angle", action="store_true", help="record the angle to backprop's update")
    tr.add_argument("--json", action="store_true", help="print one JSON object")
    for flag, key in HYPERPARAMETER_FLAGS.items():
        tr.add_argument(
            flag,
            dest=f"hp_{key}",
            type=_value,
            default=argparse.SUPPRESS,
            help=f"algorithm hyperparameter {key}",
        )
    tr.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other algorithm hyperparameter, e.g. --set n_free=20",
    )

    run = sub.add_parser(
        "run",
        help="run an experiment's grid (resumable: finished runs are skipped, "
        "unfinished ones continue from their last finished epoch)",
    )
    run.add_argument("experiment", help="experiment name or key, e.g. init-robustness or E2")
    run.add_argument(
        "--scale",
        choices=SCALES,
        default="quick",
        help="quick: subsets, a minute; full: full data, fewer epochs; paper: the papers' settings",
    )
    run.add_argument("--dataset", choices=("fashion-mnist", "mnist", "digits"), default="fashion-mnist")
    run.add_argument("--seeds", type=_seeds, default=[0], help="comma-separated seeds, e.g. 0,1,2")
    run.add_argument("--out", default="results", help="results directory (default results/)")
    run.add_argument("--backend", choices=BACKENDS, default=None)
    run.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    run.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://HOST:8786")
    run.add_argument(
        "--no-ensembles",
        action="store_true",
        help="train every run alone instead of grouping compatible runs into ensembles",
    )
    run.add_argument(
        "--rows", type=_names, default=None, help="only these table rows, comma-separated, e.g. Backprop,DFA"
    )
    run.add_argument(
        "--columns", type=_names, default=None, help="only these table columns, comma-separated, e.g. 3,5"
    )

    tune = sub.add_parser(
        "tune",
        help="run a tuning study of constants the papers leave unstated (resumable; "
        "trials under OUT/tuning/); without a name, list the studies and their progress",
    )
    tune.add_argument("study", nargs="?", default=None, help="study name, e.g. lra-e-init")
    tune.add_argument("--out", default="results", help="results directory (default results/)")
    tune.add_argument("--workers", type=_positive_int, default=1, help="local worker processes (default 1)")
    tune.add_argument("--backend", choices=BACKENDS, default=None)

    rep = sub.add_parser("report", help="paper-vs-ours tables from the results that exist")
    rep.add_argument("results", nargs="?", default="results", help="results directory (default results/)")
    rep.add_argument("--json", action="store_true", help="print the JSON report instead of Markdown")

    be = sub.add_parser("bench", help="measure training throughput (samples/s)")
    be.add_argument("--json", action="store_true")
    be.add_argument("--seconds", type=_positive_float, default=3.0, help="timing budget per contender")
    be.add_argument("--backend", choices=BACKENDS, default=None)
    be.add_argument(
        "--threads", type=_positive_int, default=None, help="BLAS threads for NumPy and PyTorch alike"
    )
    return p


def _hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    hp = {k[3:]: v for k, v in vars(args).items() if k.startswith("hp_")}
    given = {key: f"{flag} {hp[key]}" for flag, key in HYPERPARAMETER_FLAGS.items() if key in hp}
    for item in args.set:
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set takes KEY=VALUE, got {item!r}")
        if key in hp:
            raise UsageError(f"{key} is given twice ({given[key]} and --set {item}); give it once")
        hp[key] = _value(val)
        given[key] = f"--set {item}"
    return hp


def _print_json(obj: Any) -> None:
    """Print ``obj`` as strict JSON: NaN and infinities become null."""
    from lra_edu.experiments.report import json_safe

    print(json.dumps(json_safe(obj), allow_nan=False))


def _available_bytes() -> int | None:
    """Memory available to a new allocation (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_memory(sizes: tuple[int, ...], dtype: str) -> None:
    """Refuse a network whose weights, their float64 initial draw and one evaluation batch exceed memory."""
    itemsize = 8 if dtype == "float64" else 4
    layers = [a * b + b for a, b in itertools.pairwise(sizes)]
    needed = sum(layers) * itemsize + max(layers) * 8 + 2 * 5000 * max(sizes) * itemsize
    available = _available_bytes()
    if available is not None and needed > available:
        raise UsageError(
            f"--hidden {','.join(map(str, sizes[1:-1]))}: the network {'-'.join(map(str, sizes))} "
            f"needs at least {needed / 2**30:.1f} GiB of memory (weights and one 5000-sample "
            f"evaluation batch), but {available / 2**30:.1f} GiB are available; choose smaller widths"
        )


def _check_out(out: str) -> None:
    """Refuse an ``--out`` that is empty, not a directory, or not writable (before any training)."""
    if not out.strip():
        raise UsageError("--out is empty; give a results directory, e.g. --out results")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory; give a directory for the results")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".lra-edu-write-test-")
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise UsageError(
            f"--out {out}: cannot write there ({err.strerror or err}); give a writable directory"
        ) from None


def _check_scheduler(address: str) -> None:
    """Refuse a ``--scheduler`` address that is malformed or where nothing answers (5 s at most)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        host = port = None
    if not host or not port:
        raise UsageError(f"--scheduler {address!r}: expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as err:
        raise UsageError(
            f"--scheduler {address}: no scheduler answers at {host}:{port} ({err.strerror or err}); "
            f"start one with `dask scheduler`, or leave out --scheduler"
        ) from None


def _check_valid_sizes(experiment: Any, scale: str, dataset: str) -> None:
    """Refuse an experiment whose validation split is larger than ``dataset``'s training set."""
    n_train = TRAIN_SIZES[dataset]
    too_big = sorted({r.valid_size for r in experiment.runs(scale) if (r.valid_size or 0) >= n_train})
    if too_big:
        raise UsageError(
            f"{experiment.name} holds out {too_big[-1]} training images for validation (as its paper "
            f"does), but {dataset} has only {n_train}; run it with --dataset fashion-mnist or mnist"
        )


def cmd_lemma(args: argparse.Namespace) -> int:
    """Run the Lemma 1 check; exit 1 if the worst relative difference exceeds 1e-9."""
    from lra_edu.lemma import random_lemma1_worst

    records = random_lemma1_worst(seed=args.seed)
    worst = max(r["worst_rel_diff"] for r in records)
    ok = worst <= 1e-9
    if args.json:
        _print_json({"worst_rel_diff": worst, "threshold": 1e-9, "ok": ok, "nets": records})
    else:
        for r in records:
            print(f"depth {r['depth']}  {r['unit']:<9} worst relative difference {r['worst_rel_diff']:.2e}")
        print(
            f"worst relative difference over {len(records)} random float64 nets: {worst:.2e} "
            f"({'OK' if ok else 'FAILED'}: threshold 1e-9)"
        )
    return 0 if ok else 1


def cmd_train(args: argparse.Namespace) -> int:
    """Train one network and print a summary (or one JSON object)."""
    from lra_edu.mlp import MLP
    from lra_edu.train import train

    if args.backend:
        set_backend(args.backend)
    algorithm = make_algorithm(args.algorithm, **_hyperparameters(args))
    get_unit(args.activation)
    parse_init(args.init)
    get_optimizer(args.optimizer)
    n_features = N_FEATURES.get(args.dataset.strip().lower())
    if n_features is not None:
        _check_memory((n_features, *args.hidden, 10), args.dtype)
    data = load_dataset(
        args.dataset, valid_size=args.valid_size, train_subset=args.train_subset, seed=args.seed
    )
    sizes = (data.n_features, *args.hidden, data.n_classes)
    net = MLP(sizes, args.activation, init=args.init, seed=args.seed, dtype=args.dtype)
    start = time.perf_counter()
    history = train(
        net,
        algorithm,
        data,
        args.optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=sys.stderr.isatty(),
        track_angle=args.track_angle,
    )
    summary = {
        "algorithm": algorithm.name,
        "hyperparameters": algorithm.hyperparameter_values(),
        "dataset": data.name,
        "sizes": list(sizes),
        "activation": net.unit.name,
        "init": args.init,
        "optimizer": args.optimizer,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "seed": args.seed,
        "backend": get_backend(),
        **history.summary(),
        "seconds": round(time.perf_counter() - start, 3),
    }
    if args.json:
        _print_json(summary)
    else:
        f, b = summary["final"], summary["best_valid"]
        print(
            f"{algorithm.name} on {data.name}, {'-'.join(map(str, sizes))} {net.unit.name}, "
            f"{args.epochs} epoch(s), {summary['seconds']:.1f} s"
            + ("  [DIVERGED]" if history.diverged else "")
        )
        for label, r in (("final", f), ("best valid", b)):
            print(
                f"  {label} (epoch {r['epoch']}): train {r['train_error']:.2f}%  "
                f"valid {r['valid_error']:.2f}%  test {r['test_error']:.2f}%"
            )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run (or resume) an experiment's grid and write one JSON per finished run."""
    from lra_edu.experiments import get_experiment, run_experiment

    if args.backend:
        set_backend(args.backend)
    experiment = get_experiment(args.experiment)
    _check_valid_sizes(experiment, args.scale, args.dataset)
    if args.scheduler is not None:
        _check_scheduler(args.scheduler)
    _check_out(args.out)
    trained: list[Any] = []
    try:
        paths = run_experiment(
            experiment,
            args.scale,
            args.dataset,
            args.seeds,
            args.out,
            progress=True,
            workers=args.workers,
            scheduler=args.scheduler,
            ensembles=not args.no_ensembles,
            rows=args.rows,
            columns=args.columns,
            on_result=trained.append,
        )
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    print(
        f"{experiment.key} {experiment.name}: {len(paths)} run result(s) under "
        f"{args.out}/{experiment.name}/{args.scale}/{args.dataset}/ ({len(trained)} trained now); "
        f"`lra-edu report {args.out}` compares them"
    )
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    """Run (or resume) a tuning study, or list the studies with their stored trials."""
    from lra_edu.experiments import run_experiment
    from lra_edu.experiments.tuning import STUDIES, choices, describe, get_study, study_results, tuning_dir

    if args.study is None:
        for name, study in STUDIES.items():
            results = study_results(study, args.out) if Path(args.out).is_dir() else []
            picked = {g: row for g, row in choices(study, results).items() if row is not None}
            if len(picked) == len(study.groups):
                state = "; ".join(
                    f"chosen{'' if g is None else ' for ' + g}: {r['setting']}" for g, r in picked.items()
                )
            else:
                state = f"{len(results)} trials stored"
            print(f"{name:14s} {study.experiment:18s} {study.budget}; {state}")
        return 0
    study = get_study(args.study)
    if args.backend:
        set_backend(args.backend)
    _check_out(args.out)
    try:
        run_experiment(
            study.spec,
            "tune",
            "fashion-mnist",
            study.seeds,
            tuning_dir(args.out),
            progress=True,
            workers=args.workers,
            ensembles=False,
        )
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    print(describe(study, study_results(study, args.out)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Print the paper-vs-ours report and write it under the results directory (when writable)."""
    from lra_edu.experiments.report import build_report, save_report

    root = Path(args.results)
    if not root.is_dir():
        raise UsageError(
            f"results directory {args.results!r} does not exist or is not a directory; give the "
            f"folder that `lra-edu run --out` wrote (default results)"
        )
    markdown, data = build_report(root)
    if args.json:
        _print_json(data)
    else:
        print(markdown)
    try:
        save_report(root, markdown, data)
    except OSError as err:
        print(
            f"warning: could not write report.md and report.json under {root} ({err.strerror or err}); "
            f"the report was printed only",
            file=sys.stderr,
        )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure throughputs side by side and print the ratios (see lra_edu.bench)."""
    from lra_edu.bench import run_bench

    if args.backend:
        set_backend(args.backend)
    r = run_bench(seconds=args.seconds, threads=args.threads)
    if args.json:
        _print_json(r)
        return 0
    print(f"{r['network']}, batch {r['batch']}, {r['dtype']}, backend {r['backend']}, {r['cpu_count']} CPUs")
    for name, value in r["samples_per_s"].items():
        print(f"  {name:<16} {value:>12,.0f} samples/s")
    torch_ratio = "n/a (" + r["note"] + ")" if r["bp_vs_torch"] is None else f"{r['bp_vs_torch']:.2f}x"
    print(f"  bp vs PyTorch CPU:     {torch_ratio}")
    print(f"  lra_fdbk vs bp:        {r['lra_fdbk_vs_bp']:.2f}x    lra_e vs bp: {r['lra_e_vs_bp']:.2f}x")
    print(f"  ensemble of 16 vs 16 sequential: {r['ensemble16_speedup']:.2f}x")
    print(
        f"  bp {r['bp_gflops']:.1f} GFLOP/s = {100 * r['matmul_fraction']:.0f}% of a 1024^3 matmul "
        f"({r['matmul_gflops']:.1f} GFLOP/s)"
    )
    print(f"  peak memory {r['peak_memory_mb']:.0f} MB")
    e3, ms = r["e3"], r["e3"]["ms"]
    print(
        f"  E3 ({e3['network']}, batch {e3['batch']}): step {ms['lra_fdbk_e3']:.1f} ms, "
        f"Adam update {ms['adam_e3']:.1f} ms"
    )
    if e3["step_vs_torch"] is not None:
        print(f"  E3 vs PyTorch CPU: step {e3['step_vs_torch']:.2f}x, Adam {e3['adam_vs_torch']:.2f}x")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lra-edu`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "lemma": cmd_lemma,
        "train": cmd_train,
        "run": cmd_run,
        "tune": cmd_tune,
        "report": cmd_report,
        "bench": cmd_bench,
    }
    command = commands[args.command]
    try:
        if not getattr(args, "backend", None):
            check_backend()
        return command(args)
    except (ValueError, TypeError, UsageError) as err:
        print(f"lra-edu {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except (DatasetError, RuntimeError, OSError) as err:
        print(f"lra-edu {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    except MemoryError as err:
        print(f"lra-edu {args.command}: error: out of memory ({_one_line(err)})", file=sys.stderr)
        return 1


def _one_line(err: BaseException) -> str:
    """The error's message on one line."""
    return " ".join(str(err).split()) or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
