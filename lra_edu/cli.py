"""The ``lra-edu`` command line: ``lemma``, ``train`` and ``bench``.

Exit status: 0 on success, 2 for bad input (unknown names, invalid values), 1 when a
check fails or data cannot be obtained, 130 when ``run`` is interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from lra_edu import __version__
from lra_edu.algorithms import ALGORITHMS, make_algorithm
from lra_edu.backend import BACKENDS, get_backend, set_backend
from lra_edu.datasets import DATASETS, DatasetError, load_dataset
from lra_edu.experiments.spec import SCALES
from lra_edu.initializers import INITIALIZERS
from lra_edu.optimizers import OPTIMIZERS

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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


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
    p = argparse.ArgumentParser(prog="lra-edu", description="Local Representation Alignment, executable.")
    p.add_argument("--version", action="version", version=f"lra_edu {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    lemma = sub.add_parser("lemma", help="check Lemma 1 (backprop = target propagation) on random nets")
    lemma.add_argument("--json", action="store_true", help="print one JSON object")
    lemma.add_argument("--seed", type=int, default=0)

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
    tr.add_argument("--seed", type=int, default=0)
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

    rep = sub.add_parser("report", help="paper-vs-ours tables from the results that exist")
    rep.add_argument("results", nargs="?", default="results", help="results directory (default results/)")
    rep.add_argument("--json", action="store_true", help="print the JSON report instead of Markdown")

    be = sub.add_parser("bench", help="measure training throughput (samples/s)")
    be.add_argument("--json", action="store_true")
    be.add_argument("--seconds", type=float, default=3.0, help="timing budget per contender")
    be.add_argument("--backend", choices=BACKENDS, default=None)
    be.add_argument(
        "--threads", type=_positive_int, default=None, help="BLAS threads for NumPy and PyTorch alike"
    )
    return p


def _hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    hp = {k[3:]: v for k, v in vars(args).items() if k.startswith("hp_")}
    for item in args.set:
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set takes KEY=VALUE, got {item!r}")
        hp[key.strip()] = _value(val)
    return hp


def cmd_lemma(args: argparse.Namespace) -> int:
    """Run the Lemma 1 check; exit 1 if the worst relative difference exceeds 1e-9."""
    from lra_edu.lemma import random_lemma1_worst

    records = random_lemma1_worst(seed=args.seed)
    worst = max(r["worst_rel_diff"] for r in records)
    ok = worst <= 1e-9
    if args.json:
        print(json.dumps({"worst_rel_diff": worst, "threshold": 1e-9, "ok": ok, "nets": records}))
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
        print(json.dumps(summary))
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


def cmd_report(args: argparse.Namespace) -> int:
    """Print (and write under the results directory) the paper-vs-ours report."""
    from lra_edu.experiments import write_report

    markdown, data = write_report(args.results)
    print(json.dumps(data) if args.json else markdown)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure throughputs side by side and print the ratios (see lra_edu.bench)."""
    from lra_edu.bench import run_bench

    if args.backend:
        set_backend(args.backend)
    r = run_bench(seconds=args.seconds, threads=args.threads)
    if args.json:
        print(json.dumps(r))
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
        "report": cmd_report,
        "bench": cmd_bench,
    }
    command = commands[args.command]
    try:
        return command(args)
    except (ValueError, TypeError, UsageError) as err:
        print(f"lra-edu {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (DatasetError, RuntimeError) as err:
        print(f"lra-edu {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
