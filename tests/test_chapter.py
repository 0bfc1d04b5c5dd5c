"""The experiment chapters' shared plumbing (lra_edu.experiments.chapter)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import stored_result

from lra_edu.experiments import chapter, get_experiment
from lra_edu.experiments.chapter import (
    by_cell,
    introduce,
    largest_scale,
    not_run_message,
    seed_means,
    show_verdicts,
    stored_runs,
)
from lra_edu.experiments.claims import CLAIMS, NOT_RUN, PARTLY, REPRODUCED


def _result(row: str, col: str, scale: str = "full", status: str = "ok") -> dict:
    return {"cell": ["Table 1", row, col], "scale": scale, "status": status}


def test_by_cell_keys_by_row_column_or_both():
    results = [_result("BP", "3"), _result("LRA", "3"), _result("BP", "5")]
    assert list(by_cell(results)) == ["BP", "LRA"]  # the later BP replaces the earlier one
    assert by_cell(results)["BP"] is results[2]
    assert list(by_cell(results, 2)) == ["3", "5"]
    assert by_cell(results, 1, 2)["LRA", "3"] is results[1]
    with pytest.raises(ValueError, match="cell parts"):
        by_cell(results, 3)


def test_seed_means_average_each_cells_best_epoch_over_its_seeds():
    runs = [
        {**_result("BP", "3"), "seed": s, "best": {"epoch": e, "test_error": t, "train_error": 5.0}}
        for s, e, t in ((0, 4, 12.0), (1, 6, 14.0), (2, 5, 16.0))
    ]
    paper_best = {"epoch": 9, "test_error": 11.0, "train_error": 3.0}
    runs.append({**_result("BP", "3", "paper"), "seed": 0, "best": paper_best})
    by_scale = seed_means(runs, key=lambda r: (r["scale"], r["cell"][1]))
    assert by_scale["full", "BP"] == {
        "seeds": 3, "epoch": 5.0, "epoch_std": 1.0, "test_error": 14.0, "test_error_std": 2.0,
        "train_error": 5.0, "train_error_std": 0.0,
    }
    assert by_scale["paper", "BP"]["seeds"] == 1 and by_scale["paper", "BP"]["test_error_std"] == 0.0
    # the default key is the whole cell, so both scales of one cell share a group
    assert seed_means(runs)["Table 1", "BP", "3"]["seeds"] == 4
    # a number missing from one seed's record (or not a number) is left out of the group's means
    runs[0]["best"]["valid_error"] = 10.0
    runs[1]["best"]["test_error"] = None
    assert {"valid_error", "test_error"}.isdisjoint(seed_means(runs[:3])["Table 1", "BP", "3"])


def test_largest_scale_prefers_paper():
    assert largest_scale([_result("BP", "3", "full"), _result("BP", "3", "paper")]) == "paper"
    assert largest_scale([_result("BP", "3", "full")]) == "full"
    with pytest.raises(ValueError, match="full-data scale"):
        largest_scale([_result("BP", "3", "quick")])


def test_experiment_command_and_not_run_message():
    e = get_experiment("null-init")
    assert e.command() == "lra-edu run null-init --scale paper"
    assert e.command("full", "mnist") == "lra-edu run null-init --scale full --dataset mnist"
    with pytest.raises(ValueError, match="valid scales"):
        e.command("huge")
    message = not_run_message(e, ("full", "paper"))
    for line in (e.command("full"), e.command("paper"), e.command("paper", "mnist")):
        assert line in message
    assert "--dataset mnist" not in not_run_message(get_experiment("update-angles"))


def test_stored_runs_reads_full_data_results_or_says_how_to_make_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LRA_EDU_RESULTS", str(tmp_path))
    e = get_experiment("finetune")
    assert stored_runs(e) == []
    assert e.command("full") in capsys.readouterr().out
    with pytest.raises(ValueError, match="not \\['quick'\\]"):
        stored_runs(e, scales=("quick",))


def test_stored_runs_count_the_stored_runs_of_each_scale(tmp_path, monkeypatch, capsys):
    stored = sorted(Path(__file__).parents[1].glob("results/null-init/full/fashion-mnist/*.json"))
    if not stored:
        pytest.skip("no stored null-init results in results/")
    target = tmp_path / "null-init" / "full" / "fashion-mnist"
    target.mkdir(parents=True)
    shutil.copy(stored[0], target)
    monkeypatch.setenv("LRA_EDU_RESULTS", str(tmp_path))
    e = get_experiment("null-init")
    results = stored_runs(e, report=False)
    assert len(results) == 1 and results[0]["scale"] == "full"
    assert f"1 of {len(e.runs('full'))} runs stored at full scale (1 seed per run)" in capsys.readouterr().out
    assert stored_runs(e, scales=("paper",), report=False) == []
    # a second seed of the same run is one run with two seeds, not two runs
    second = json.loads(stored[0].read_text()) | {"seed": 1}
    (target / stored[0].name.replace("-seed0.json", "-seed1.json")).write_text(json.dumps(second))
    assert len(stored_runs(e, report=False)) == 2
    out = capsys.readouterr().out
    assert f"1 of {len(e.runs('full'))} runs stored at full scale (2 seeds per run)" in out


def test_introduce_prints_the_title_and_returns_the_spec(capsys):
    e = introduce("stochastic", scales=())
    assert e is get_experiment("stochastic")
    assert capsys.readouterr().out.startswith(f"{e.key} {e.name}: {e.title}")


def _e8_results(errors: dict[str, float], scale: str = "full") -> list[dict]:
    """Synthetic stored E8 results: one per optimizer of ``errors`` (its test error)."""
    e8 = get_experiment("optimizers")
    return [
        stored_result(e8, run, scale=scale, test_error=errors[run.cell[2]])
        for run in e8.runs(scale)
        if run.cell[2] in errors
    ]


def _shown(monkeypatch) -> list[str]:
    """Collect what show_markdown displays."""
    shown: list[str] = []
    monkeypatch.setattr(chapter, "show_markdown", shown.append)
    return shown


def test_show_verdicts_lists_each_claim_with_verdict_evidence_and_rule(monkeypatch):
    shown = _shown(monkeypatch)
    e8 = get_experiment("optimizers")
    claims = [c for c in CLAIMS if c.experiment == "E8"]
    verdicts = show_verdicts(e8, _e8_results({"SGD": 13.5, "Adam": 12.0, "RMSprop": 14.0}))
    assert [v.claim for v in verdicts] == claims
    assert [v.verdict for v in verdicts] == [REPRODUCED, PARTLY]  # both within 3 points; only Adam below SGD
    (markdown,) = shown
    items = markdown.split("\n- ")[1:]
    assert len(items) == len(claims)
    for claim, verdict, item in zip(claims, verdicts, items):
        assert item.startswith(f"**{claim.id}** ({claim.source}): ")
        assert f"— **{verdict.verdict}**" in item.splitlines()[0]
        assert "Adam 12.00%" in item and "full scale" in item and "1 seed" in item
        assert f"*rule:* {claim.rule_words}" in item


def test_show_verdicts_reads_results_dir_and_names_the_command_where_none(tmp_path, monkeypatch):
    shown = _shown(monkeypatch)
    monkeypatch.setenv("LRA_EDU_RESULTS", str(tmp_path))
    e8 = get_experiment("optimizers")
    assert {v.verdict for v in show_verdicts(e8)} == {NOT_RUN}
    assert f"`{e8.command('full')}`" in shown[-1]
    folder = tmp_path / "optimizers" / "full" / "fashion-mnist"
    folder.mkdir(parents=True)
    for r in _e8_results({"SGD": 13.5, "Adam": 12.0, "RMSprop": 12.4}):
        (folder / f"{r['run_id']}-seed0.json").write_text(json.dumps(r))
    assert [v.verdict for v in show_verdicts(e8)] == [REPRODUCED, REPRODUCED]
    # Quick-scale results never decide a verdict.
    quick = _e8_results({"SGD": 13.5, "Adam": 12.0, "RMSprop": 12.4}, scale="quick")
    assert {v.verdict for v in show_verdicts(e8, quick)} == {NOT_RUN}
    with pytest.raises(ValueError, match="no claims of E10"):
        show_verdicts(replace(e8, key="E10"))
