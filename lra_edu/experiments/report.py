"""Paper-vs-ours tables from whatever results exist under a results directory.

Each table cell shows our value (mean ± std over seeds) beside the paper's, marked
with the scale and the number of seeds it comes from; cells without a result say
"not run" together with the command that fills them.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lra_edu.atomic import write_atomic
from lra_edu.experiments.catalog import EXPERIMENTS
from lra_edu.experiments.spec import Experiment

Cell = tuple[str, str, str]


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _record_problem(record: Any, where: str) -> str | None:
    if not isinstance(record, dict):
        return f"{where!r} is not an object"
    for key, value in record.items():
        if key.endswith("_error") and value is not None and not _is_number(value):
            return f"{where!r}.{key} is {value!r}, not a number"
    return None


def _shape_problem(result: Any) -> str | None:
    """What is wrong with the shape of a loaded run result, or None if nothing.

    Lenient where :func:`lra_edu.experiments.runner.result_problem` (which decides whether
    a run is finished) is strict: the report reads what it can.

    ``experiment``, ``scale`` and ``dataset`` are required; the other fields of a result
    are checked when present.
    """
    if not isinstance(result, dict):
        return f"expected a JSON object, got {type(result).__name__}"
    for key in ("experiment", "scale", "dataset"):
        if not isinstance(result.get(key), str):
            return f"{key!r} is missing or not a string"
    fields = {
        "run_id": str, "status": str, "seed": int, "cell": list,
        "best": dict, "final": dict, "curves": list, "phases": list,
    }  # fmt: skip
    kinds = {str: "a string", int: "an integer", list: "a list", dict: "an object"}
    for key, kind in fields.items():
        if key in result and not isinstance(result[key], kind):
            return f"{key!r} is {json.dumps(result[key])[:40]}, not {kinds[kind]}"
    cell = result.get("cell", ["", "", ""])
    if len(cell) != 3 or not all(isinstance(c, str) for c in cell):
        return "'cell' must list three names (table, row, column)"
    records = [(key, result[key]) for key in ("best", "final") if key in result]
    records += [("curves", r) for r in result.get("curves", [])]
    for phase in result.get("phases", []):
        if not isinstance(phase, dict):
            return "'phases' holds something that is not an object"
        records += [(f"phases.{k}", phase[k]) for k in ("final", "best_valid") if k in phase]
    for where, record in records:
        problem = _record_problem(record, where)
        if problem:
            return problem
    if not all(isinstance(r.get("epoch"), int) for r in result.get("curves", [])):
        return "'curves' has a record without an integer 'epoch'"
    return None


def load_results(root: str | Path) -> list[dict[str, Any]]:
    """Every run result JSON under ``root``; a file that cannot be read or is malformed is
    skipped with a warning on stderr naming it."""
    results = []
    for path in sorted(Path(root).glob("*/*/*/*.json")):
        try:
            with open(path, encoding="utf-8") as f:
                result = json.load(f)
        except (OSError, ValueError, RecursionError) as err:
            _warn(f"skipping unreadable result {path}: {err}")
            continue
        problem = _shape_problem(result)
        if problem:
            _warn(f"skipping malformed result {path}: {problem}")
            continue
        results.append(result)
    return results


def mean_and_std(values: Sequence[float]) -> tuple[float, float]:
    """The mean over seeds and the sample standard deviation (0 for a single seed)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def aggregate(
    experiment: Experiment, results: list[dict[str, Any]]
) -> dict[tuple[str, str], dict[Cell, Any]]:
    """``{(dataset, scale): {cell: summary}}`` with mean, std, seeds and statuses.

    Only results whose configuration is the spec's current one count (see
    :meth:`~lra_edu.experiments.spec.Experiment.is_current`): a result made with a
    superseded setting is never averaged with today's as if it were another seed.
    """
    values: dict[tuple[str, str], dict[Cell, list[Any]]] = defaultdict(lambda: defaultdict(list))
    statuses: dict[tuple[str, str], dict[Cell, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if r.get("experiment") != experiment.name or not experiment.is_current(r):
            continue
        key = (r["dataset"], r["scale"])
        try:
            cells = experiment.cell_values(r)
        except (KeyError, TypeError, IndexError, ValueError) as err:
            _warn(
                f"skipping result {r['run_id']} (seed {r.get('seed')}) of {experiment.name}: "
                f"its cells cannot be read ({type(err).__name__}: {err})"
            )
            continue
        for cell, v in cells.items():
            values[key][cell].append(v)
            statuses[key][cell].append(r.get("status", "ok"))
    out: dict[tuple[str, str], dict[Cell, Any]] = {}
    for key, cells in values.items():
        out[key] = {}
        for cell, vs in cells.items():
            nums = [v for v in vs if isinstance(v, (int, float)) and not math.isnan(v)]
            mean, std = mean_and_std(nums) if nums else (None, None)
            out[key][cell] = {
                "mean": mean,
                "std": std,
                "text": None if nums or not vs else str(vs[0]),
                "seeds": len(vs),
                "status": sorted(set(statuses[key][cell])),
            }
    return out


def _fmt(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "not run"
    if summary["mean"] is None:
        text = summary["text"] or "n/a"
    elif summary["seeds"] > 1:
        text = f"{summary['mean']:.2f} ± {summary['std']:.2f}"
    else:
        text = f"{summary['mean']:.2f}"
    flags = [s for s in summary["status"] if s != "ok"]
    if "no_symmetry_breaking" in flags:
        text = f"X ({text})"
    if "diverged" in flags:
        text = f"{text} (diverged)"
    return text


CELL_LEGEND = "ours / paper"


def ours_and_paper(ours: str, paper: Any) -> str:
    """One table cell, ours then the paper's (see ``CELL_LEGEND``), e.g. ``"12.85 / 12.94"``.

    Non-breaking spaces keep a value and its ``± std`` together when a narrow column wraps.
    """
    return f"{ours} / {paper}".replace(" ± ", "\u00a0±\u00a0")


def seed_count_phrase(counts: list[int]) -> str:
    """How many seeds the cells of a table have: ``"1 seed"``, ``"3 seeds"``, ``"1/3 seeds"``."""
    return f"{'/'.join(map(str, counts))} seed{'' if counts == [1] else 's'}"


def seeds_phrase(seeds: Any) -> str:
    """Which seeds were run: ``"1 seed (0)"``, ``"3 seeds (0, 1, 2)"``, ``"no seeds"``."""
    ids = sorted(seeds)
    if not ids:
        return "no seeds"
    return f"{len(ids)} seed{'' if len(ids) == 1 else 's'} ({', '.join(map(str, ids))})"


def experiment_report(experiment: Experiment, results: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Markdown and JSON report of one experiment."""
    agg = aggregate(experiment, results)
    lines = [
        f"## {experiment.key} {experiment.name}: {experiment.title}",
        "",
        f"Source: {experiment.source}.",
        "",
    ]
    if experiment.notes:
        lines += [experiment.notes, ""]
    data: dict[str, Any] = {"key": experiment.key, "title": experiment.title, "tables": []}
    datasets = sorted(set(experiment.paper) | {d for d, _ in agg})
    for dataset in datasets:
        scales = [s for s in ("paper", "full", "quick") if (dataset, s) in agg] or [None]
        for scale in scales:
            ours = agg.get((dataset, scale), {}) if scale else {}
            tables = sorted({c[0] for c in ours} | set(experiment.paper.get(dataset, {})))
            for table in tables:
                paper = experiment.paper.get(dataset, {}).get(table, {})
                extra = {c[1] for c in ours if c[0] == table} - set(paper)
                grid = [r.cell[1] for r in experiment.runs(scale)] if scale in experiment.scales else []
                grid = [r for r in dict.fromkeys(grid) if r in extra]  # the spec's order, not the alphabet's
                rows = list(paper) + grid + sorted(extra - set(grid))
                cols: list[str] = []
                for r in rows:
                    cols += [c for c in paper.get(r, {}) if c not in cols]
                cols += sorted({c[2] for c in ours if c[0] == table} - set(cols), key=_natural)
                seeds = sorted({v["seeds"] for c, v in ours.items() if c[0] == table})
                where = (
                    f"ours at **{scale}** scale{_scale_words(experiment, scale)}, {seed_count_phrase(seeds)}"
                    if scale
                    else "**not run here**"
                )
                lines += [f"### {dataset}, {table} ({where})", ""]
                if not scale:
                    lines += [
                        f"Fill with: `lra-edu run {experiment.name} --scale paper --dataset {dataset}`",
                        "",
                    ]
                lines += ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
                table_json = {"dataset": dataset, "scale": scale, "table": table, "rows": {}}
                for r in rows:
                    cells = []
                    for c in cols:
                        p = paper.get(r, {}).get(c)
                        o = ours.get((table, r, c))
                        ours_txt = _fmt(o)
                        cells.append(ours_txt if p is None else ours_and_paper(ours_txt, p))
                        table_json["rows"].setdefault(r, {})[c] = {"ours": o, "paper": p}
                    lines.append(f"| {r} | " + " | ".join(cells) + " |")
                lines.append("")
                data["tables"].append(table_json)
    return "\n".join(lines), data


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in text.split(" "))


def build_report(
    root: str | Path = "results", experiments: list[Experiment] | None = None
) -> tuple[str, dict[str, Any]]:
    """The Markdown and JSON report of every experiment from the results under ``root`` (writes nothing)."""
    results = load_results(root)
    parts = [
        "# Reproduction report",
        "",
        f"Each cell: {CELL_LEGEND}. Ours is the mean ± std over the seeds run; the scale is in each heading. "
        "Paper numbers are the papers' own, as lra_edu.experiments.paper_numbers records them.",
        "",
    ]
    data = {"experiments": []}
    for experiment in experiments or list(EXPERIMENTS.values()):
        md, js = experiment_report(experiment, results)
        parts.append(md)
        data["experiments"].append(js)
    return "\n".join(parts), json_safe(data)


def write_report(
    root: str | Path = "results", experiments: list[Experiment] | None = None
) -> tuple[str, dict[str, Any]]:
    """Build the report (:func:`build_report`) and write ``report.md`` and ``report.json`` under ``root``.

    ``root`` must be an existing directory (ValueError otherwise); an OSError from the
    writing itself propagates.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"results directory {str(root)!r} does not exist or is not a directory")
    markdown, data = build_report(root, experiments)
    save_report(root, markdown, data)
    return markdown, data


def save_report(root: str | Path, markdown: str, data: dict[str, Any]) -> None:
    """Write ``report.md`` and ``report.json`` (strict JSON) under ``root``, each atomically."""
    root = Path(root)
    write_atomic(root / "report.md", markdown)
    write_atomic(root / "report.json", json.dumps(json_safe(data), indent=1, allow_nan=False))


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None, so that it is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


REPOSITORY = Path(__file__).resolve().parents[2]


class RepoPath(type(Path())):  # type: ignore[misc]
    """A path that formats (``f"{path}"``) relative to the repository when it lies inside it.

    ``str()`` and file access keep the full path; only formatting changes, so pages that
    print where results live show ``results`` rather than the build machine's path.
    """

    def __format__(self, spec: str) -> str:
        """The repository-relative path (the full one outside the repository), formatted with ``spec``."""
        try:
            shown = self.resolve().relative_to(REPOSITORY).as_posix()
        except ValueError:
            shown = str(self)
        return format(shown, spec)


def default_results_dir() -> RepoPath:
    """``$LRA_EDU_RESULTS``, else the repository's ``results/`` (beside ``book/``), else ``./results``.

    The path formats relative to the repository (see :class:`RepoPath`). Outside a checkout
    with no ``$LRA_EDU_RESULTS`` it is ``./results``, which chapters report as missing.
    """
    env = os.environ.get("LRA_EDU_RESULTS")
    if env:
        return RepoPath(env)
    if (REPOSITORY / "book").is_dir():
        return RepoPath(REPOSITORY / "results")
    return RepoPath("results")


def scale_description(experiment: Experiment, scale: str) -> str:
    """How ``scale`` differs from the paper's, e.g. ``"full data, 20 of the paper's 100 epochs"``."""
    ours, paper = experiment.scales.get(scale), experiment.scales["paper"]
    if ours is None:
        raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(experiment.scales)}")
    if scale == "paper":
        return f"the paper's settings, {paper.epochs} epochs"
    data = "full data" if ours.train_subset is None else f"{ours.train_subset} training images"
    return f"{data}, {ours.epochs} of the paper's {paper.epochs} epochs"


def _scale_words(experiment: Experiment, scale: str) -> str:
    return "" if scale == "paper" else f" ({scale_description(experiment, scale)})"


FULL_DATA_SCALES = ("paper", "full")


def stored_results(
    experiment: Experiment, dataset: str = "fashion-mnist", root: str | Path | None = None
) -> list[dict[str, Any]]:
    """The stored full-training-set results (``paper`` and ``full`` scale) of ``experiment`` on ``dataset``.

    Looks under ``root`` (default :func:`default_results_dir`); quick-scale results are
    left out (they belong to the chapters' live runs). Pass the list to
    :func:`experiment_report`, which gives each scale its own table.
    """
    root = default_results_dir() if root is None else Path(root)
    return [
        r
        for r in (load_results(root) if root.is_dir() else [])
        if r.get("experiment") == experiment.name
        and r.get("dataset") == dataset
        and r.get("scale") in FULL_DATA_SCALES
        and experiment.is_current(r)
    ]


def setup_table(experiment: Experiment, scale: str = "paper") -> str:
    """A Markdown table of the experiment's grid at ``scale`` (one row per run)."""
    runs = experiment.runs(scale)
    cols = [
        "cell",
        "algorithm",
        "hidden",
        "unit",
        "init",
        "optimizer",
        "batch",
        "epochs",
        "data",
        "hyperparameters",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for r in runs:
        hidden = f"{len(r.hidden)}×{r.hidden[0]}" if len(set(r.hidden)) == 1 else "-".join(map(str, r.hidden))
        data = "full" if r.train_subset is None else f"{r.train_subset} train"
        hp = ", ".join(f"{k}={v}" for k, v in r.hyperparameters) or "defaults"
        if r.finetune:
            hp += f"; then {r.finetune[0]} {r.finetune[1]} for {r.finetune[2]} epochs"
        cell = " / ".join(p for p in r.cell if p)
        row = [
            cell,
            r.algorithm,
            hidden,
            r.unit,
            r.init,
            r.optimizer,
            str(r.batch_size),
            str(r.epochs),
            data,
            hp,
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
