"""The experiment chapters' shared plumbing (lra_edu.experiments.chapter)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lra_edu.experiments import get_experiment
from lra_edu.experiments.chapter import by_cell, introduce, largest_scale, not_run_message, stored_runs


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
    assert f"1 of {len(e.runs('full'))} runs stored at full scale" in capsys.readouterr().out
    assert stored_runs(e, scales=("paper",), report=False) == []


def test_introduce_prints_the_title_and_returns_the_spec(capsys):
    e = introduce("stochastic", scales=())
    assert e is get_experiment("stochastic")
    assert capsys.readouterr().out.startswith(f"{e.key} {e.name}: {e.title}")
