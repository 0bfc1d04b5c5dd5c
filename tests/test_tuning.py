"""Tuning studies: the grid, the scores, the choice, and the defaults it fixes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lra_edu.algorithms.lra_e import PRESETS as LRA_E_PRESETS
from lra_edu.experiments.runner import run_experiment
from lra_edu.experiments.spec import Scale
from lra_edu.experiments.tuning import (
    STUDIES,
    Study,
    choices,
    choose,
    get_study,
    grid,
    sensitivity,
    spec_mismatches,
    study_results,
    summarize,
    trial_score,
)


def _result(study: Study, context: str, setting: str, seed: int, valid: list[float], status: str = "ok"):
    curves = [{"epoch": 0, "valid_error": 90.0}] + [
        {"epoch": e + 1, "valid_error": v} for e, v in enumerate(valid)
    ]
    return {
        "experiment": study.name,
        "cell": ["tuning", context, setting],
        "seed": seed,
        "status": status,
        "curves": curves,
    }


def _toy_study() -> Study:
    settings, values = grid(
        lambda lr, beta: f"lr {lr}, beta {beta}",
        lambda lr, beta: {"optimizer": f"sgd:{lr}", "hyperparameters": (("beta", beta),)},
        lr=(0.01, 0.1),
        beta=(1.0, 0.1, 0.3),
    )
    return Study(
        "toy",
        "toy",
        "E0",
        "nothing",
        base={"algorithm": "lra_fdbk", "hidden": (8,)},
        contexts={"a": {"unit": "tanh"}, "b": {"unit": "sigmoid"}},
        settings=settings,
        values=values,
    )


def test_grid_is_the_product_of_its_axes():
    study = _toy_study()
    assert len(study.settings) == 2 * 3
    assert study.values["lr 0.1, beta 0.3"] == {"lr": 0.1, "beta": 0.3}
    runs = study.spec.runs("tune")
    assert len(runs) == 2 * 3 * 2
    run = next(r for r in runs if r.cell == ("tuning", "b", "lr 0.1, beta 0.3"))
    assert (run.unit, run.optimizer, dict(run.hyperparameters)) == ("sigmoid", "sgd:0.1", {"beta": 0.3})
    assert "6 settings × 2 contexts × 2 seeds = 24 trials" in study.budget


def test_trial_score_is_the_best_trained_validation_error():
    study = _toy_study()
    assert trial_score(_result(study, "a", "x", 0, [30.0, 20.0, 25.0])) == 20.0
    assert trial_score(_result(study, "a", "x", 0, [math.nan, 40.0])) == 40.0
    assert trial_score(_result(study, "a", "x", 0, [10.0], status="diverged")) == 100.0
    assert trial_score(_result(study, "a", "x", 0, [])) == 100.0


def test_choice_is_the_lowest_mean_and_waits_for_every_trial():
    study = _toy_study()
    scores = {label: 50.0 + i for i, label in enumerate(study.settings)}
    best = "lr 0.1, beta 0.1"
    scores[best] = 10.0
    results = [
        _result(study, context, label, seed, [score + seed])
        for label, score in scores.items()
        for context in study.contexts
        for seed in study.seeds
    ]
    assert choose(study, results[:-1]) is None  # one trial missing: no choice yet
    row = choose(study, results)
    assert row["setting"] == best
    assert row["score"] == pytest.approx(10.5)
    assert [r["setting"] for r in summarize(study, results)] == list(study.settings)
    # Ties within 0.01 points go to the setting listed first.
    tied = [dict(r, curves=[{"epoch": 1, "valid_error": 10.0}]) for r in results]
    assert choose(study, tied)["setting"] == next(iter(study.settings))


def test_a_study_that_chooses_within_units_makes_one_choice_per_unit():
    study = _toy_study()
    study.choose_within = "unit"
    assert study.groups == ["tanh", "sigmoid"]
    # Context a (tanh) prefers beta 0.1, context b (sigmoid) prefers beta 0.3; the mean prefers beta 1.0.
    best = {"a": "lr 0.1, beta 0.1", "b": "lr 0.1, beta 0.3"}
    results = [
        _result(
            study,
            context,
            label,
            seed,
            [10.0 if label == best[context] else (30.0 if "beta 1.0" in label else 60.0)],
        )
        for label in study.settings
        for context in study.contexts
        for seed in study.seeds
    ]
    assert {g: row["setting"] for g, row in choices(study, results).items()} == {
        "tanh": "lr 0.1, beta 0.1",
        "sigmoid": "lr 0.1, beta 0.3",
    }
    assert choose(study, results, "sigmoid")["contexts"] == {"b": 10.0}
    with pytest.raises(ValueError, match="one choice per unit"):
        choose(study, results)
    with pytest.raises(ValueError, match="no group 'relu'"):
        choose(study, results, "relu")
    # Without groups the same trials give one choice, by the mean over both units.
    study.choose_within = ""
    assert choices(study, results)[None]["setting"] == "lr 0.01, beta 1.0"


def test_sensitivity_slices_through_the_chosen_setting():
    study = _toy_study()
    results = [
        _result(study, context, label, seed, [20.0 if label == "lr 0.1, beta 0.1" else 40.0])
        for label in study.settings
        for context in study.contexts
        for seed in study.seeds
    ]
    slices = sensitivity(study, results)
    assert [p["value"] for p in slices["beta"]] == [1.0, 0.1, 0.3]
    assert all(p["setting"].startswith("lr 0.1,") for p in slices["beta"])
    assert [p["value"] for p in slices["lr"]] == [0.01, 0.1]
    assert slices["lr"][1]["scores"] == {"a": [20.0, 20.0], "b": [20.0, 20.0]}


def test_studies_name_their_result_files_in_ascii_and_uniquely():
    for study in STUDIES.values():
        ids = [r.run_id for r in study.spec.runs("tune")]
        assert all(i.isascii() for i in ids)
        assert len(set(ids)) == len(ids)
    with pytest.raises(ValueError, match="valid studies"):
        get_study("nope")


def test_a_study_runs_with_the_experiment_runner(tmp_path):
    settings, values = grid(lambda lr: f"lr {lr}", lambda lr: {"optimizer": f"sgd:{lr}"}, lr=(0.05, 0.5))
    study = Study(
        "tiny",
        "tiny",
        "E0",
        "nothing",
        base={"algorithm": "bp", "hidden": (16,), "unit": "tanh", "init": "glorot", "valid_size": 300},
        contexts={"one layer": {}},
        settings=settings,
        values=values,
        seeds=(0,),
    )
    study.spec.scales["tune"] = Scale(epochs=2, train_subset=600, test_subset=200)
    paths = run_experiment(study.spec, "tune", "digits", study.seeds, tmp_path, progress=False)
    assert len(paths) == 2 and all(p.exists() for p in paths)
    from lra_edu.experiments.report import load_results

    results = load_results(tmp_path)
    assert choose(study, results)["setting"] in settings


REPOSITORY_RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.mark.parametrize("name", [name for name, study in STUDIES.items() if study.targets])
def test_specs_use_the_setting_their_study_chose(name):
    study = STUDIES[name]
    picked = choices(study, study_results(study, REPOSITORY_RESULTS))
    if any(row is None for row in picked.values()):
        pytest.skip(f"{name}: not every trial is stored under results/tuning (run `lra-edu tune {name}`)")
    for group, row in picked.items():
        assert spec_mismatches(study, study.settings[row["setting"]], group) == [], group


def test_lra_e_paper_preset_is_the_chosen_initial_scale():
    study = STUDIES["lra-e-init"]
    chosen = choose(study, study_results(study, REPOSITORY_RESULTS))
    if chosen is None:
        pytest.skip("lra-e-init: not every trial is stored under results/tuning")
    values = study.values[chosen["setting"]]
    preset = LRA_E_PRESETS["paper"]
    assert preset["init"] == f"gaussian:{values['std']}"
    assert (preset["sigma_e"], preset["gamma"]) == (values["std"], values["gamma"])
    # The literal reading of "variance 0.05" stays available by name.
    assert LRA_E_PRESETS["paper_variance"]["init"] == "gaussian:0.2236"


def test_cli_lists_studies_and_refuses_an_unknown_one(tmp_path):
    import subprocess
    import sys

    listed = subprocess.run(
        [sys.executable, "-m", "lra_edu", "tune", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert listed.returncode == 0
    assert all(name in listed.stdout for name in STUDIES)
    bad = subprocess.run([sys.executable, "-m", "lra_edu", "tune", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "valid studies" in bad.stderr and "Traceback" not in bad.stderr


def test_halting_study_keeps_the_caps_its_predecessor_chose_per_unit():
    caps = STUDIES["lra-fdbk-caps"]
    picked = choices(caps, study_results(caps, REPOSITORY_RESULTS))
    if any(row is None for row in picked.values()):
        pytest.skip("lra-fdbk-caps: not every trial is stored under results/tuning")
    halt = STUDIES["lra-fdbk-halt"]
    for unit, row in picked.items():
        want = dict(caps.settings[row["setting"]]["hyperparameters"])
        for run in halt.spec.runs("tune"):
            if run.unit == unit:
                assert {k: v for k, v in run.hyperparameters if k != "eps"} == want, unit


def test_sensitivity_figure_has_one_panel_per_constant_labelled_in_the_books_symbols():
    import matplotlib

    matplotlib.use("Agg")
    from lra_edu.plots.tuning import plot_sensitivity

    slices = {
        "zeta": [
            {"value": 0.5, "scores": {"3 layers": [80.0]}},
            {"value": 1.0, "scores": {"3 layers": [60.0]}},
        ],
        "n_free": [
            {"value": 20, "scores": {"3 layers": [74.0]}},
            {"value": 40, "scores": {"3 layers": [60.0]}},
        ],
    }
    fig = plot_sensitivity(slices, {"zeta": 1.0, "n_free": 40}, "EP")
    axes = fig.axes
    assert [ax.get_xlabel() for ax in axes] == [r"EP's nudge $\zeta$", "free steps"]
    assert [list(ax.lines[0].get_ydata()) for ax in axes] == [[80.0, 60.0], [74.0, 60.0]]
    assert axes[0].lines[-1].get_xdata()[0] == 1  # the chosen value is marked
    with pytest.raises(ValueError, match="at least one constant"):
        plot_sensitivity({}, {})
