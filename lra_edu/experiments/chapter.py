"""What every experiment chapter does: show the spec, run the quick scale, read the stored results.

A chapter opens with :func:`introduce` (title, setup table, notes of the spec), runs the
quick scale live with :func:`run_quick` (in a temporary folder, so building the book
writes nothing) and reads the full-data results with :func:`stored_runs`, which prints
the commands that produce them where there are none. :func:`by_cell` keys results by
their table row or column, :func:`seed_means` averages their best epochs over seeds;
:func:`show_report` shows a paper-vs-ours table, and
:func:`show_verdicts` the verdicts on the papers' claims that the stored results decide.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from lra_edu.experiments import (
    FULL_DATA_SCALES,
    Experiment,
    default_results_dir,
    experiment_report,
    get_experiment,
    load_results,
    run_experiment,
    scale_description,
    setup_table,
    stored_results,
)
from lra_edu.experiments.claims import CLAIMS, Verdict, evidence, judge
from lra_edu.experiments.report import mean_and_std, seed_count_phrase

Result = dict[str, Any]


def show_markdown(text: str) -> None:
    """Render Markdown in a notebook (IPython), or print it elsewhere."""
    try:
        from IPython.display import Markdown, display
    except ImportError:
        print(text)
        return
    display(Markdown(text))


def introduce(name: str, scales: Sequence[str] = ("paper",)) -> Experiment:
    """Print the experiment's title and source, show its setup table at each of ``scales``
    and the notes of its spec; return the :class:`Experiment`."""
    experiment = get_experiment(name)
    print(f"{experiment.key} {experiment.name}: {experiment.title} ({experiment.source})")
    for scale in scales:
        heading = f"**{scale.capitalize()} scale** ({scale_description(experiment, scale)})"
        show_markdown(heading + "\n\n" + setup_table(experiment, scale))
    if experiment.notes:
        show_markdown(f"*Notes of the spec:* {experiment.notes}")
    return experiment


def run_quick(experiment: Experiment, dataset: str = "fashion-mnist") -> list[Result]:
    """Run the quick scale of ``experiment`` in a temporary folder; print the time and the
    runs' statuses and return the results (the folder is deleted)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_experiment(experiment, "quick", dataset, out=tmp, progress=False)
        results = load_results(tmp)
    statuses = dict(Counter(r["status"] for r in results))
    print(f"{len(results)} runs in {time.perf_counter() - start:.1f} s; statuses: {statuses}")
    return results


def by_cell(results: Iterable[Result], *parts: int) -> dict[Any, Result]:
    """Results keyed by part ``parts`` of their ``cell`` (table, row, column); default the row.

    One part gives string keys (``by_cell(rs, 2)``: the columns), several give tuples
    (``by_cell(rs, 1, 2)``). A later result with the same key replaces an earlier one.
    """
    parts = parts or (1,)
    if any(p not in (0, 1, 2) for p in parts):
        raise ValueError(f"cell parts are 0 (table), 1 (row) and 2 (column), got {parts}")
    if len(parts) == 1:
        return {r["cell"][parts[0]]: r for r in results}
    return {tuple(r["cell"][p] for p in parts): r for r in results}


def seed_means(
    results: Iterable[Result], key: Callable[[Result], Hashable] = lambda r: tuple(r["cell"])
) -> dict[Any, dict[str, float]]:
    """Each group's best-epoch record averaged over its seeds.

    Results are grouped by ``key`` (default: the whole table cell; e.g.
    ``lambda r: (r["scale"], r["cell"][1])``). Every number of the results' ``best``
    record becomes its mean over the group, ``<name>_std`` its sample standard deviation
    (0 for one seed), and ``seeds`` the group's size. A group whose seeds lack a number
    (a diverged run) has no mean for it.
    """
    groups: dict[Any, list[Result]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    out: dict[Any, dict[str, float]] = {}
    for k, members in groups.items():
        names = set.intersection(*(set(m["best"]) for m in members))
        summary: dict[str, float] = {"seeds": len(members)}
        for name in sorted(names):
            values = [m["best"][name] for m in members]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                summary[name], summary[f"{name}_std"] = mean_and_std(values)
        out[k] = summary
    return out


def show_report(experiment: Experiment, results: list[Result]) -> dict[str, Any]:
    """Show the paper-vs-ours table of ``results`` (:func:`experiment_report`); return its data."""
    markdown, data = experiment_report(experiment, results)
    show_markdown(markdown)
    return data


def largest_scale(results: Iterable[Result]) -> str:
    """The largest scale among ``results``: ``"paper"`` if any result has it, else ``"full"``."""
    present = {r["scale"] for r in results}
    for scale in FULL_DATA_SCALES:
        if scale in present:
            return scale
    raise ValueError(f"no result at a full-data scale ({', '.join(FULL_DATA_SCALES)})")


def not_run_message(
    experiment: Experiment, scales: Sequence[str] = FULL_DATA_SCALES, dataset: str = "fashion-mnist"
) -> str:
    """What to say where no results are stored: the commands that produce them, one per scale."""
    where = default_results_dir()
    lines = [f"No {' or '.join(scales)}-scale results of {experiment.name} on {dataset} in {where}."]
    lines.append("Produce them with:")
    on = None if dataset == "fashion-mnist" else dataset
    for scale in scales:
        lines.append(f"    {experiment.command(scale, on)}   ({scale_description(experiment, scale)})")
    if "mnist" in experiment.paper and dataset != "mnist":
        mnist = experiment.command("paper", "mnist")
        lines.append(f"MNIST (needs the official MNIST files, see the README): {mnist}")
    return "\n".join(lines)


def stored_runs(
    experiment: Experiment,
    scales: Sequence[str] = FULL_DATA_SCALES,
    dataset: str = "fashion-mnist",
    report: bool = True,
) -> list[Result]:
    """The stored full-data results of ``experiment`` at ``scales`` on ``dataset``.

    Prints how many of each scale's runs are stored and (``report=True``) shows their
    paper-vs-ours table; where none are stored, prints :func:`not_run_message` and
    returns an empty list.
    """
    unknown = [s for s in scales if s not in FULL_DATA_SCALES]
    if unknown:
        raise ValueError(f"stored results come at the scales {', '.join(FULL_DATA_SCALES)}, not {unknown}")
    results = [r for r in stored_results(experiment, dataset) if r["scale"] in scales]
    if not results:
        print(not_run_message(experiment, scales, dataset))
        return []
    for scale in scales:
        at_scale = [r for r in results if r["scale"] == scale]
        if at_scale:
            runs = len({r["run_id"] for r in at_scale})
            seeds = seed_count_phrase(sorted(set(Counter(r["run_id"] for r in at_scale).values())))
            print(f"{runs} of {len(experiment.runs(scale))} runs stored at {scale} scale ({seeds} per run): "
                  f"{scale_description(experiment, scale)}")
    if report:
        show_report(experiment, results)
    return results


def show_verdicts(experiment: Experiment, results: list[Result] | None = None) -> list[Verdict]:
    """Show, as Markdown, the verdict of each of the experiment's claims; return the verdicts.

    Each claim (from :data:`~lra_edu.experiments.claims.CLAIMS`) is judged by
    :func:`~lra_edu.experiments.claims.judge` from ``results`` (default: the stored
    full-data results of ``experiment``, :func:`stored_results`, on each claim's data set)
    and listed with its source, its words, its verdict in bold, the evidence (numbers
    compared, scale, seeds, or the command that makes the missing results) and its rule.
    """
    claims = [c for c in CLAIMS if c.experiment == experiment.key]
    if not claims:
        raise ValueError(f"no claims of {experiment.key} ({experiment.name}) in lra_edu.experiments.claims")
    if results is None:
        datasets = dict.fromkeys(c.dataset for c in claims)
        results = [r for d in datasets for r in stored_results(experiment, d)]
    verdicts = [judge(c, results) for c in claims]
    lines = [f"**Verdicts on the claims of {experiment.key}**, by their rules, from the stored results:", ""]
    for v in verdicts:
        c = v.claim
        words = f"“{c.text}”" if c.quoted else f"{c.text} (paraphrased)"
        lines += [
            f"- **{c.id}** ({c.source}): {words} — **{v.verdict}**",
            f"  - *evidence:* {evidence(v)}",
            f"  - *rule:* {c.rule_words}",
        ]
    show_markdown("\n".join(lines))
    return verdicts
