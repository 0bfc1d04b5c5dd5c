"""Experiment engine: specs, resumable atomic runs, failures as results, the report."""

import json

import pytest
from helpers import stored_result

from lra_edu.experiments import EXPERIMENTS, Experiment, RunConfig, Scale, get_experiment, run_experiment
from lra_edu.experiments import runner as runner_mod
from lra_edu.experiments.report import (
    default_results_dir,
    experiment_report,
    ours_and_paper,
    scale_description,
    seed_count_phrase,
    seeds_phrase,
    stored_results,
    write_report,
)
from lra_edu.experiments.runner import symmetric_layers, write_json_atomic
from lra_edu.mlp import MLP


def tiny(grid=None):
    def default(scale):
        return [
            RunConfig(
                "bp",
                hidden=(8,),
                optimizer="sgd:0.1",
                batch_size=50,
                cell=("T", "BP", c),
                **kw,
                epochs=scale.epochs,
                train_subset=scale.train_subset,
            )
            for c, kw in (("gauss", {"init": "gaussian:0.1"}), ("zero", {"init": "zeros"}))
        ]

    return Experiment(
        "E0",
        "tiny",
        "a tiny test experiment",
        "tests",
        grid or default,
        {"quick": Scale(2, 200), "paper": Scale(3)},
        paper={"digits": {"T": {"BP": {"gauss": 5.0, "zero": "X"}}}},
    )


def test_every_paper_experiment_has_every_scale_and_unique_runs():
    assert [e.key for e in EXPERIMENTS.values()] == [f"E{i}" for i in range(1, 10)]
    for e in EXPERIMENTS.values():
        quick, full, paper = e.runs("quick"), e.runs("full"), e.runs("paper")
        assert len(quick) == len(full) == len(paper) > 0
        assert len({r.run_id for r in paper}) == len(paper), e.name
        assert [r.cell for r in quick] == [r.cell for r in full] == [r.cell for r in paper]
        assert all(r.epochs <= p.epochs for r, p in zip(quick, paper))
        # 'full' differs from 'paper' in the number of epochs (of both phases) only.
        for f, p in zip(full, paper):
            assert f.epochs <= p.epochs and f.train_subset is None and f.test_subset is None
            same = {**f.to_dict(), "epochs": p.epochs, "finetune": p.finetune}
            assert same == p.to_dict()
    assert get_experiment("E2") is get_experiment("init-robustness")
    with pytest.raises(ValueError, match="valid experiments"):
        get_experiment("E10")
    with pytest.raises(ValueError, match="valid scales"):
        EXPERIMENTS["init-robustness"].runs("huge")


def test_run_writes_results_and_second_run_does_nothing(tmp_path, monkeypatch):
    exp = tiny()
    paths = run_experiment(exp, "quick", "digits", seeds=[0, 1], out=tmp_path, progress=False)
    assert len(paths) == 4 and all(p.exists() for p in paths)
    r = json.loads(paths[0].read_text())
    for key in (
        "experiment",
        "scale",
        "dataset",
        "seed",
        "config",
        "curves",
        "best_valid_epoch",
        "final",
        "best",
        "seconds",
        "backend",
        "version",
        "status",
    ):
        assert key in r
    assert r["experiment"] == "tiny" and r["scale"] == "quick" and len(r["curves"]) == 3
    calls = []
    monkeypatch.setattr(runner_mod, "run_one", lambda *a, **k: calls.append(a))
    run_experiment(exp, "quick", "digits", seeds=[0, 1], out=tmp_path, progress=False)
    assert calls == []


def test_interrupted_sweep_resumes_without_losing_work(tmp_path, monkeypatch):
    exp = tiny()
    real = runner_mod.run_one
    done = []

    def flaky(*args, **kwargs):
        if len(done) == 1:
            raise KeyboardInterrupt
        done.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_mod, "run_one", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, "quick", "digits", out=tmp_path, progress=False, ensembles=False)
    files = list(tmp_path.rglob("*"))
    assert sum(f.suffix == ".json" for f in files) == 1
    assert not any(f.name.endswith(".tmp") for f in files)
    monkeypatch.setattr(runner_mod, "run_one", real)
    paths = run_experiment(exp, "quick", "digits", out=tmp_path, progress=False, ensembles=False)
    assert all(p.exists() for p in paths)


def test_failure_is_a_result(tmp_path):
    exp = tiny(
        lambda s: [
            RunConfig(
                "bp", hidden=(8,), optimizer="sgd:1e38", epochs=2, train_subset=100, cell=("T", "BP", "gauss")
            )
        ]
    )
    (path,) = run_experiment(exp, "quick", "digits", out=tmp_path, progress=False)
    assert json.loads(path.read_text())["status"] == "diverged"


def test_zero_init_backprop_is_marked_as_cannot_break_symmetry(tmp_path):
    run_experiment(tiny(), "quick", "digits", out=tmp_path, progress=False)
    md, _ = write_report(tmp_path, [tiny()])
    assert "X (" in md and "/ X |" in md and "/ 5.0 |" in md
    assert (tmp_path / "report.md").exists() and json.loads((tmp_path / "report.json").read_text())
    assert symmetric_layers(MLP((4, 3, 2), init="zeros")) == [1]
    assert symmetric_layers(MLP((4, 3, 2), init="gaussian:1")) == []


def test_report_marks_missing_cells_with_the_command_that_fills_them():
    md, _ = experiment_report(EXPERIMENTS["init-robustness"], [])
    assert "not run / 13.27" in md
    assert "lra-edu run init-robustness --scale paper --dataset mnist" in md


def test_report_states_how_a_full_scale_differs_from_the_paper(tmp_path):
    e2 = EXPERIMENTS["init-robustness"]
    run = e2.runs("full")[0]
    md, _ = experiment_report(e2, [stored_result(e2, run, "full")])
    assert "ours at **full** scale (full data, 20 of the paper's 100 epochs), 1 seed)" in md


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "a" / "r.json"
    write_json_atomic(p, {"x": 1})
    write_json_atomic(p, {"x": 2})
    assert json.loads(p.read_text()) == {"x": 2} and len(list(p.parent.iterdir())) == 1


def _strip(path):
    """The per-split errors and losses of a stored result (diagnostics are ensemble means)."""
    r = json.loads(path.read_text())
    keys = [f"{s}_{m}" for s in ("train", "valid", "test") for m in ("error", "loss")]
    return {"curves": [v for rec in r["curves"] for v in (rec[k] for k in keys)], "best": r["best"]}


def _grid(scale):
    return [
        RunConfig(
            "bp",
            hidden=(8,),
            init=init,
            optimizer=f"sgd:{lr}",
            epochs=2,
            train_subset=150,
            cell=("T", "BP", f"{init}-{lr}"),
        )
        for init in ("gaussian:0.1", "glorot")
        for lr in (0.05, 0.1)
    ]


def test_ensembles_workers_and_dask_give_the_serial_results(tmp_path):
    exp = tiny(_grid)
    serial = run_experiment(
        exp, "quick", "digits", seeds=[0, 1], out=tmp_path / "s", progress=False, ensembles=False
    )
    grouped = run_experiment(exp, "quick", "digits", seeds=[0, 1], out=tmp_path / "e", progress=False)
    assert json.loads(grouped[0].read_text())["ensemble"] == 4
    parallel = run_experiment(
        exp, "quick", "digits", seeds=[0, 1], out=tmp_path / "p", progress=False, workers=2
    )
    for a, b, c in zip(serial, grouped, parallel):
        sa, sb, sc = _strip(a), _strip(b), _strip(c)
        assert sa["curves"] == pytest.approx(sb["curves"]) and sa["curves"] == pytest.approx(sc["curves"])
        assert sa["best"] == pytest.approx(sb["best"])
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cl:
        dask = run_experiment(
            exp,
            "quick",
            "digits",
            seeds=[0, 1],
            out=tmp_path / "d",
            progress=False,
            scheduler=cl.scheduler_address,
        )
    for a, d in zip(serial, dask):
        assert _strip(a)["curves"] == pytest.approx(_strip(d)["curves"])
    with pytest.raises(ValueError, match="workers"):
        run_experiment(exp, "quick", "digits", out=tmp_path / "x", workers=0)


def test_stored_results_are_the_full_data_scales(tmp_path):
    e2 = EXPERIMENTS["init-robustness"]
    assert stored_results(e2, root=tmp_path) == []
    assert stored_results(e2, root=tmp_path / "missing") == []
    for scale in ("quick", "full", "paper"):
        row = stored_result(e2, e2.runs(scale)[0], scale)
        write_json_atomic(tmp_path / e2.name / scale / "fashion-mnist" / "r-seed0.json", row)
    e8 = EXPERIMENTS["optimizers"]
    other = stored_result(e8, e8.runs("full")[0], "full")
    write_json_atomic(tmp_path / "optimizers" / "full" / "fashion-mnist" / "r-seed0.json", other)
    assert sorted(r["scale"] for r in stored_results(e2, root=tmp_path)) == ["full", "paper"]
    assert stored_results(e2, "mnist", root=tmp_path) == []
    assert scale_description(e2, "full") == "full data, 20 of the paper's 100 epochs"
    assert scale_description(e2, "paper") == "the paper's settings, 100 epochs"
    with pytest.raises(ValueError, match="valid scales"):
        scale_description(e2, "huge")


def test_table_cells_and_seed_phrases_read_as_words():
    assert ours_and_paper("12.85 ± 0.50", 12.94) == "12.85\u00a0±\u00a00.50 / 12.94"
    assert ours_and_paper("not run", "X") == "not run / X"
    assert seeds_phrase([0]) == "1 seed (0)"
    assert seeds_phrase({2, 0, 1}) == "3 seeds (0, 1, 2)"
    assert seeds_phrase([]) == "no seeds"
    assert seed_count_phrase([1]) == "1 seed" and seed_count_phrase([1, 3]) == "1/3 seeds"


def test_results_dir_formats_relative_to_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("LRA_EDU_RESULTS", raising=False)
    path = default_results_dir()
    assert f"{path}" == "results" and path.is_absolute() and str(path).endswith("results")
    assert f"{path / 'e1' / 'paper'}" == "results/e1/paper"
    monkeypatch.setenv("LRA_EDU_RESULTS", str(tmp_path))
    assert f"{default_results_dir()}" == str(tmp_path)


def test_train_error_subset_enters_the_run_id_only_where_set():
    plain = RunConfig("bp", hidden=(8,))
    assert "train_eval_subset" not in plain.to_dict()
    part = RunConfig("bp", hidden=(8,), train_eval_subset=100)
    assert part.to_dict()["train_eval_subset"] == 100 and part.run_id != plain.run_id
    stochastic = EXPERIMENTS["stochastic"]
    assert {r.train_eval_subset for r in stochastic.runs("quick")} == {None}
    assert {r.train_eval_subset for r in stochastic.runs("full")} == {10000}
