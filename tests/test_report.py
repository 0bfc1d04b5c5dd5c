"""The report counts only results made with the spec's current configuration."""

from __future__ import annotations

from dataclasses import replace

from helpers import stored_result

from lra_edu.experiments.catalog import EXPERIMENTS
from lra_edu.experiments.report import aggregate, experiment_report


def test_superseded_results_are_not_averaged_with_current_ones():
    e7 = EXPERIMENTS["depth-sweep"]
    run = e7.runs("full")[0]
    old = replace(run, init="gaussian:0.3")  # the same table cell, another setting
    current, superseded = stored_result(e7, run, test_error=10.0), stored_result(e7, old, test_error=50.0)
    assert e7.is_current(current) and not e7.is_current(superseded)
    results = [current, stored_result(e7, run, test_error=12.0, seed=1), superseded]
    table, row, col = run.cell
    cell = aggregate(e7, results)[("fashion-mnist", "full")][(table, row, f"{col} test")]
    assert (cell["mean"], cell["seeds"]) == (11.0, 2)


def test_a_result_of_an_unknown_scale_is_not_current():
    e7 = EXPERIMENTS["depth-sweep"]
    result = stored_result(e7, e7.runs("full")[0], test_error=10.0)
    assert not e7.is_current({**result, "scale": "huge"})


def test_run_ids_and_stored_result_names_are_ascii():
    from pathlib import Path

    for experiment in EXPERIMENTS.values():
        for scale in experiment.scales:
            assert all(run.run_id.isascii() for run in experiment.runs(scale)), experiment.name
    dtp_sigma = next(r for r in EXPERIMENTS["depth-sweep"].runs("full") if r.algorithm == "dtp_sigma")
    assert dtp_sigma.run_id.startswith("Tables_1-2-DTP-sigma-3-")
    results = Path(__file__).resolve().parents[1] / "results"
    assert all(path.name.isascii() for path in results.rglob("*.json"))


def test_rows_the_paper_does_not_tabulate_follow_the_grid():
    e1 = EXPERIMENTS["manifold-walking"]  # Fig 2 is curves only: every row is ours alone
    runs = e1.runs("full")
    text, _ = experiment_report(e1, [stored_result(e1, run) for run in reversed(runs)])
    lines = [line for line in text.splitlines() if line.startswith("| ") and " | " in line]
    rows = [line.split(" | ")[0].lstrip("| ") for line in lines]
    expected = [run.cell[1] for run in runs]
    assert [r for r in rows if r in expected] == expected  # K = 5, 10, 30, 50: not "K=10" before "K=5"
