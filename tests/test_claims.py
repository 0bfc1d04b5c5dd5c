"""Claims as data: every rule's outcomes, verdicts judged from stored results, the report's table."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from helpers import stored_result

from lra_edu.experiments.catalog import EXPERIMENTS, get_experiment
from lra_edu.experiments.claims import (
    CLAIMS,
    NOT_REPRODUCED,
    NOT_RUN,
    PARTLY,
    REPRODUCED,
    VERDICTS,
    evidence,
    get_claim,
    judge,
    judge_all,
    paper_evidence,
    paper_number,
    paper_verdict,
    rules_list,
    verdict_table,
)
from lra_edu.experiments.report import FULL_DATA_SCALES, aggregate

R, P, N = REPRODUCED, PARTLY, NOT_REPRODUCED
REPORT = Path(__file__).resolve().parents[1] / "book" / "experiments" / "report.ipynb"


def values(claim_id: str, default: float, epochs: int = 4, **rows: float | list[float]) -> dict:
    """Every cell the claim reads set to ``default``; ``rows`` sets a row (``_``: space) or a curve."""
    cells = get_claim(claim_id).cells(epochs)
    out = dict.fromkeys(cells, default)
    for key, value in rows.items():
        row = key.replace("__", "-").replace("_", " ")
        for cell in cells:
            if cell[1] == row or f"{cell[1]} {cell[2]}" == row:
                out[cell] = value[int(cell[2].split()[1]) - 1] if isinstance(value, list) else value
    return out


def cellwise(claim_id: str, default: float, overrides: dict) -> dict:
    """Every cell the claim reads set to ``default``, then ``overrides`` ({(row, column): value})."""
    out = dict.fromkeys(get_claim(claim_id).cells(4), default)
    for (row, col), value in overrides.items():
        cell = next(c for c in out if c[1] == row and c[2] == col)
        out[cell] = value
    return out


def e1(diff: tuple, fdbk: tuple = (20.0,) * 4) -> dict:
    rows = [f"LRA-diff K={k}" for k in (5, 10, 30, 50)] + [f"LRA-fdbk σ_E={s}" for s in (1.0, 1.25, 1.5, 2.0)]
    return {("curves", row, "epoch 5"): x for row, x in zip(rows, diff + fdbk)}


def e2_depth(sig_last: float, tanh_last: float) -> dict:
    """LRA-fdbk's depth curves over 4 epochs: 9 layers, then ``sig_last``/``tanh_last`` in the last."""
    cells = get_claim("E2-depth-falls").cells(4)
    last = {"sig": sig_last, "tanh": tanh_last}
    return {c: last[c[1].split()[1]] if c[2] == "epoch 4" else 9.0 for c in cells}


def e7(claim_id: str, **errors: tuple[float, float, float]) -> dict:
    """E7 test errors by algorithm (``LRA__E`` for LRA-E) at 3, 5 and 8 layers; others 15%."""
    names = {k.replace("__", "-").replace("sigma", "σ"): v for k, v in errors.items()}
    cells = get_claim(claim_id).cells(10)
    return {c: names.get(c[1], (15.0, 15.0, 15.0))[(3, 5, 8).index(int(c[2].split()[0]))] for c in cells}


def e9(claim_id: str, dtp5: list, dtp8: list, sig5: list, sig8: list, spread: float = 0.0) -> dict:
    """Validation-accuracy curves: one per depth and variant, the inits offset by ``spread`` in turn."""
    cells = get_claim(claim_id).cells(len(dtp5))
    curves = {"DTP 5": dtp5, "DTP 8": dtp8, "DTP-σ 5": sig5, "DTP-σ 8": sig8}
    out = {}
    for cell in cells:
        label, init = cell[1].split(" layers, ")
        rank = ("orthogonal", "glorot", "gaussian").index(init)
        offset = spread * rank if label.startswith("DTP ") else 0.0
        out[cell] = curves[label][int(cell[2].split()[1]) - 1] + offset
    return out


def e5_pretrained(lra_train: float, lra_test: float, bp_train: float, bp_test: float) -> dict:
    pairs = {
        ("LRA", "train"): lra_train,
        ("LRA", "test"): lra_test,
        ("BP", "train"): bp_train,
        ("BP", "test"): bp_test,
    }
    return {("Table 4", f"{a}, pretrained", s): x for (a, s), x in pairs.items()}


CASES = {
    "E1-more-steps": [(e1((20, 19, 18, 18)), R), (e1((20, 21, 19.8, 19)), P), (e1((20, 19, 21, 18)), N)],
    "E1-diminishing-return": [
        (e1((20, 19, 18, 17.5)), R),
        (e1((20, 19, 18, 16.5)), P),
        (e1((20, 19, 21, 18)), N),
    ],
    "E1-fdbk-matches-diff": [
        (e1((20, 19, 18, 18), (18.5, 19, 19, 19)), R),
        (e1((20, 19, 18, 18), (20.5, 21, 21, 21)), P),
        (e1((20, 19, 18, 18), (22, 23, 23, 23)), N),
    ],
    "E1-sigma-milder-than-k": [
        (e1((20, 19, 18, 18), (19, 19.5, 19, 19)), R),
        (e1((20, 19, 18, 18), (19, 23, 19, 19)), N),
    ],
    "E2-fdbk-robust": [
        (values("E2-fdbk-robust", 14.0), R),
        (cellwise("E2-fdbk-robust", 14.0, {("LRA-fdbk", "sig .05"): 90.0}), P),
        (cellwise("E2-fdbk-robust", 14.0, {("LRA-fdbk", "sig 0"): 90.0, ("LRA-fdbk", "tanh 0"): 90.0}), N),
    ],
    "E2-fdbk-from-zero": [
        (values("E2-fdbk-from-zero", 14.0), R),
        (cellwise("E2-fdbk-from-zero", 14.0, {("LRA-fdbk", "sig 0"): 90.0}), P),
        (values("E2-fdbk-from-zero", 90.0), N),
    ],
    "E2-bp-dtp-not-from-zero": [
        (values("E2-bp-dtp-not-from-zero", 90.0), R),
        (cellwise("E2-bp-dtp-not-from-zero", 90.0, {("DTP", "sig 0"): 59.6}), P),
        (cellwise("E2-bp-dtp-not-from-zero", 20.0, {("DTP", "sig 0"): 90.0}), N),
    ],
    "E2-fa-dfa-from-zero": [
        (values("E2-fa-dfa-from-zero", 30.0), R),
        (values("E2-fa-dfa-from-zero", 30.0, FA=90.0), P),
        (values("E2-fa-dfa-from-zero", 90.0), N),
    ],
    "E2-dfa-tanh-only": [
        (
            cellwise(
                "E2-dfa-tanh-only", 30.0, {("DFA", f"tanh {i}"): 15.0 for i in ("0", ".025", ".05", ".1")}
            ),
            R,
        ),
        (values("E2-dfa-tanh-only", 15.0), P),
        (values("E2-dfa-tanh-only", 15.0, DFA=30.0), N),
    ],
    "E2-dtp-beats-fa": [
        (values("E2-dtp-beats-fa", 30.0, DTP=15.0), R),
        (
            cellwise(
                "E2-dtp-beats-fa",
                30.0,
                {("DTP", "sig .1"): 15, ("DTP", "tanh .1"): 15, ("DTP", "sig .05"): 15},
            ),
            P,
        ),
        (values("E2-dtp-beats-fa", 15.0, FA=14.0), N),
    ],
    "E2-depth-falls": [
        (e2_depth(3.0, 1.0), R),
        (e2_depth(9.0, 1.0), P),
        (e2_depth(8.0, 9.0), N),
    ],
    "E2-bp-fa-fail-sigmoid": [
        (values("E2-bp-fa-fail-sigmoid", 90.0), R),
        (values("E2-bp-fa-fail-sigmoid", 90.0, BP=40.0), P),
        (values("E2-bp-fa-fail-sigmoid", 40.0), N),
    ],
    "E3-all-units-from-zero": [
        (values("E3-all-units-from-zero", 15.0), R),
        (values("E3-all-units-from-zero", 15.0, ReLU6=90.0, Softplus=24.6), P),
        (values("E3-all-units-from-zero", 90.0, ReLU6=15.0), N),
    ],
    "E3-discrete-units": [
        (values("E3-discrete-units", 15.0), R),
        (values("E3-discrete-units", 15.0, Signum=30.0), P),
        (values("E3-discrete-units", 30.0), N),
    ],
    "E4-competitive-with-dtp": [
        (values("E4-competitive-with-dtp", 85.0, DTP=86.5), R),
        (values("E4-competitive-with-dtp", 85.0, DTP=89.0), P),
        (values("E4-competitive-with-dtp", 80.0, DTP=86.0), N),
    ],
    "E4-beats-bp-estimators": [
        (values("E4-beats-bp-estimators", 80.0, LRA__fdbk=85.0), R),
        (values("E4-beats-bp-estimators", 80.0, LRA__fdbk=85.0, **{"BP,_slope_annealing": 86.0}), P),
        (values("E4-beats-bp-estimators", 85.0, LRA__fdbk=80.0), N),
    ],
    "E5-finetune-improves-lra": [
        (
            cellwise(
                "E5-finetune-improves-lra",
                10.0,
                {("LRA, finetuned", "train"): 1, ("LRA, finetuned", "valid"): 9},
            ),
            R,
        ),
        (cellwise("E5-finetune-improves-lra", 10.0, {("LRA, finetuned", "train"): 1.0}), P),
        (values("E5-finetune-improves-lra", 10.0), N),
    ],
    "E5-lra-regularized": [
        (e5_pretrained(1.5, 11.4, 0.1, 10.6), R),
        (e5_pretrained(1.5, 14.0, 0.1, 10.6), P),
        (e5_pretrained(0.1, 14.0, 1.5, 10.6), N),
    ],
    "E5-angle-below-90": [
        (values("E5-angle-below-90", 0.0, LRA=[10.0, 30.0, 38.0, 38.0]), R),
        (values("E5-angle-below-90", 0.0, LRA=[40.0, 30.0, 20.0, 20.0]), P),
        (values("E5-angle-below-90", 0.0, LRA=[10.0, 95.0, 38.0, 38.0]), N),
    ],
    "E6-angle-below-90-stable": [
        (values("E6-angle-below-90-stable", 0.0, LRA__E=[60.0, 45.0, 44.0, 46.0]), R),
        (values("E6-angle-below-90-stable", 0.0, LRA__E=[60.0, 45.0, 30.0, 70.0]), P),
        (values("E6-angle-below-90-stable", 0.0, LRA__E=[95.0, 45.0, 44.0, 46.0]), N),
    ],
    "E6-similar-angles": [
        (values("E6-similar-angles", 45.0, DFA=50.0), R),
        (values("E6-similar-angles", 45.0, DFA=70.0), P),
        (values("E6-similar-angles", 45.0, DFA=70.0, **{"DTP-σ": 20.0}), N),
    ],
    "E6-discrepancy-bump": [
        (values("E6-discrepancy-bump", 0.0, LRA__E=[1.0, 2.0, 1.5, 0.8]), R),
        (values("E6-discrepancy-bump", 0.0, LRA__E=[1.0, 1.5, 1.8, 2.0]), P),
        (values("E6-discrepancy-bump", 0.0, LRA__E=[2.0, 1.5, 1.2, 0.8]), N),
    ],
    "E7-lra-e-best-test": [
        (e7("E7-lra-e-best-test", LRA__E=(13.0, 13.0, 13.0)), R),
        (e7("E7-lra-e-best-test", LRA__E=(14.0, 15.5, 13.0)), P),
        (e7("E7-lra-e-best-test", LRA__E=(14.18, 15.33, 18.23)), N),
    ],
    "E7-lra-e-holds-with-depth": [
        (e7("E7-lra-e-holds-with-depth", LRA__E=(14.0, 0.0, 15.9)), R),
        (e7("E7-lra-e-holds-with-depth", LRA__E=(14.18, 0.0, 18.23)), P),
        (e7("E7-lra-e-holds-with-depth", LRA__E=(14.0, 0.0, 19.5)), N),
    ],
    "E7-lra-e-beats-dfa-dtp-at-8": [
        (e7("E7-lra-e-beats-dfa-dtp-at-8", LRA__E=(0, 0, 13.0)), R),
        (e7("E7-lra-e-beats-dfa-dtp-at-8", LRA__E=(0, 0, 16.0), DTP=(0, 0, 17.0)), P),
        (e7("E7-lra-e-beats-dfa-dtp-at-8", LRA__E=(0, 0, 18.23)), N),
    ],
    "E7-eqprop-breaks-at-8": [
        (e7("E7-eqprop-breaks-at-8", Equil__Prop=(14.0, 0, 90.0)), R),
        (e7("E7-eqprop-breaks-at-8", Equil__Prop=(73.0, 0, 90.0)), P),
        (e7("E7-eqprop-breaks-at-8", Equil__Prop=(14.0, 0, 20.0)), N),
    ],
    "E7-eqprop-worse-than-lra-e": [
        (e7("E7-eqprop-worse-than-lra-e", Equil__Prop=(73.0, 85.0, 90.0)), R),
        (e7("E7-eqprop-worse-than-lra-e", Equil__Prop=(14.0, 85.0, 14.0)), P),
        (e7("E7-eqprop-worse-than-lra-e", Equil__Prop=(14.0, 14.0, 14.0)), N),
    ],
    "E7-dtp-degrades-with-depth": [
        (e7("E7-dtp-degrades-with-depth", DTP=(12.72, 0, 15.42)), R),
        (e7("E7-dtp-degrades-with-depth", DTP=(12.72, 0, 13.5)), P),
        (e7("E7-dtp-degrades-with-depth", DTP=(12.72, 0, 12.0)), N),
    ],
    "E7-dtp-sigma-stable": [
        (e7("E7-dtp-sigma-stable", DTP=(12.7, 0, 15.4), DTP__sigma=(13.0, 0, 13.5)), R),
        (e7("E7-dtp-sigma-stable", DTP=(12.7, 0, 15.4), DTP__sigma=(13.29, 0, 14.54)), P),
        (e7("E7-dtp-sigma-stable", DTP=(12.7, 0, 13.0), DTP__sigma=(13.0, 0, 14.0)), N),
    ],
    "E7-dtp-sigma-near-lra-e": [
        (e7("E7-dtp-sigma-near-lra-e", DTP__sigma=(14.0, 14.0, 14.0), LRA__E=(13.5, 13.5, 13.5)), R),
        (e7("E7-dtp-sigma-near-lra-e", DTP__sigma=(15.0, 15.0, 15.0), LRA__E=(13.0, 13.0, 13.0)), P),
        (e7("E7-dtp-sigma-near-lra-e", DTP__sigma=(17.0, 17.0, 17.0), LRA__E=(13.0, 13.0, 13.0)), N),
    ],
    "E8-other-optimizers-work": [
        (values("E8-other-optimizers-work", 14.0), R),
        (cellwise("E8-other-optimizers-work", 14.0, {("fashion-mnist", "Adam test"): 20.0}), P),
        (cellwise("E8-other-optimizers-work", 20.0, {("fashion-mnist", "SGD test"): 14.0}), N),
    ],
    "E8-better-generalization": [
        (cellwise("E8-better-generalization", 12.0, {("fashion-mnist", "SGD test"): 13.5}), R),
        (cellwise("E8-better-generalization", 13.5, {("fashion-mnist", "Adam test"): 12.4}), P),
        (values("E8-better-generalization", 13.5), N),
    ],
    "E9-dtp-unstable-deeper": [
        (e9("E9-dtp-unstable-deeper", [80, 85, 86], [80, 85, 80], [80, 85, 86], [80, 85, 86]), R),
        (e9("E9-dtp-unstable-deeper", [80, 85, 86], [80, 85, 84], [80, 85, 86], [80, 85, 86]), P),
        (e9("E9-dtp-unstable-deeper", [80, 85, 80], [80, 85, 86], [80, 85, 86], [80, 85, 86]), N),
    ],
    "E9-dtp-sigma-stable": [
        (e9("E9-dtp-sigma-stable", [80, 85, 80], [80, 85, 80], [80, 85, 84.5], [80, 85, 86]), R),
        (e9("E9-dtp-sigma-stable", [80, 85, 80], [80, 85, 80], [80, 85, 83], [80, 85, 86]), P),
        (e9("E9-dtp-sigma-stable", [80, 85, 80], [80, 85, 80], [80, 85, 80], [80, 85, 86]), N),
    ],
    "E9-dtp-sigma-less-init-dependent": [
        (e9("E9-dtp-sigma-less-init-dependent", [80, 85], [80, 85], [80, 85], [80, 85], spread=2.0), R),
        (e9("E9-dtp-sigma-less-init-dependent", [80, 85], [80, 85], [80, 85], [80, 85], spread=0.0), N),
    ],
}


def test_every_claim_has_rule_cases_for_each_of_its_outcomes():
    assert set(CASES) == {c.id for c in CLAIMS}


@pytest.mark.parametrize(
    ("claim_id", "case"), [(k, i) for k, cases in CASES.items() for i in range(len(cases))]
)
def test_rule_outcome(claim_id, case):
    vals, expected = CASES[claim_id][case]
    claim = get_claim(claim_id)
    verdict, numbers = claim.rule(vals)
    assert verdict == expected, (claim_id, numbers)
    assert numbers


def test_claims_cover_every_experiment_and_name_their_source():
    assert {c.experiment for c in CLAIMS} == {e.key for e in EXPERIMENTS.values()}
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    for c in CLAIMS:
        assert c.paper in ("[LRA18]", "[LRA19]") and c.section.strip() and c.text.strip(), c.id
        assert c.rule_words.startswith("Reproduced if") and c.rule_words.endswith("."), c.id
        assert c.id.startswith(f"{c.experiment}-"), c.id
    with pytest.raises(ValueError, match="unknown claim"):
        get_claim("E10-nothing")


def test_every_claim_is_not_run_without_results():
    assert {v.verdict for v in judge_all([])} == {NOT_RUN}
    assert all(v.missing and v.scale is None for v in judge_all([]))
    for v in judge_all([]):
        assert f"`lra-edu run {get_experiment(v.claim.experiment).name} --scale full`" in evidence(v)


def _e7_results(scale: str, errors: dict[tuple[str, int], float], seed: int = 0) -> list[dict]:
    e7 = get_experiment("E7")
    return [
        stored_result(e7, run, scale=scale, test_error=errors[run.cell[1], int(run.cell[2])], seed=seed)
        for run in e7.runs(scale)
        if (run.cell[1], int(run.cell[2])) in errors
    ]


def test_judge_reads_stored_results_and_prefers_paper_scale():
    claim = get_claim("E7-lra-e-holds-with-depth")
    full = _e7_results("full", {("LRA-E", 3): 14.0, ("LRA-E", 8): 20.0})
    verdict = judge(claim, full)
    assert (verdict.verdict, verdict.scale, verdict.seeds) == (NOT_REPRODUCED, "full", "1 seed")
    assert "14.00%" in verdict.numbers and "20.00%" in verdict.numbers
    two_seeds = full + _e7_results("full", {("LRA-E", 3): 14.0, ("LRA-E", 8): 16.0}, seed=1)
    assert (judge(claim, two_seeds).verdict, judge(claim, two_seeds).seeds) == (PARTLY, "2 seeds")
    paper = _e7_results("paper", {("LRA-E", 3): 13.0, ("LRA-E", 8): 14.0})
    assert (judge(claim, full + paper).verdict, judge(claim, full + paper).scale) == (REPRODUCED, "paper")
    # One of the two cells at paper scale is not enough: the full scale decides.
    assert judge(claim, full + paper[:1]).scale == "full"


def test_missing_quick_and_superseded_results_give_not_run():
    claim = get_claim("E7-lra-e-holds-with-depth")
    e7 = get_experiment("E7")
    assert judge(claim, _e7_results("full", {("LRA-E", 3): 14.0})).verdict == NOT_RUN
    assert judge(claim, _e7_results("quick", {("LRA-E", 3): 14.0, ("LRA-E", 8): 14.0})).verdict == NOT_RUN
    old = [
        stored_result(e7, replace(run, init="gaussian:0.3"), test_error=14.0)
        for run in e7.runs("full")
        if run.cell[1] == "LRA-E"
    ]
    verdict = judge(claim, old)
    assert verdict.verdict == NOT_RUN
    assert set(verdict.missing) == {("Tables 1-2", "LRA-E", "3 test"), ("Tables 1-2", "LRA-E", "8 test")}


def test_judge_reads_text_cells_and_custom_readers():
    e3 = get_experiment("E3")
    results = []
    for run in e3.runs("full"):
        r = stored_result(e3, run)
        r["curves"] = [{"epoch": k, "test_error": 30.0 - k} for k in range(6)]
        results.append(r)
    verdict = judge(get_claim("E3-discrete-units"), results)  # best (epoch) is "25.00 (5)"
    assert (verdict.verdict, verdict.scale) == (NOT_REPRODUCED, "full") and "25.00%" in verdict.numbers
    e6 = get_experiment("E6")
    run = next(r for r in e6.runs("paper") if r.cell[1] == "LRA-E")
    stored = stored_result(e6, run, scale="paper")
    bump = [0.5, 1.5, 2.5, 2.0] + [1.0] * 16
    stored["curves"] = [{"epoch": k + 1, "discrepancy": 3.0 + d, "loss": 3.0} for k, d in enumerate(bump)]
    verdict = judge(get_claim("E6-discrepancy-bump"), [stored])
    assert verdict.verdict == REPRODUCED and "peak 2.5 at epoch 3" in verdict.numbers
    assert judge(get_claim("E6-similar-angles"), [stored]).verdict == NOT_RUN  # no angles recorded


def test_verdicts_are_the_four_words():
    assert VERDICTS == (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN)


def test_verdict_table_lists_every_claim_and_the_report_shows_it():
    table = verdict_table(judge_all([]))
    lines = table.splitlines()
    assert len(lines) == 2 + len(CLAIMS)
    for claim, line in zip(CLAIMS, lines[2:]):
        assert line.startswith(f"| **{claim.id}**") and "**not run**" in line, claim.id
        assert f"{{doc}}`{get_experiment(claim.experiment).name}`" in line
        assert line.split(" | ")[4] == paper_evidence(claim).replace("|", "\\|"), claim.id
    assert all(c.id in rules_list() and c.rule_words in rules_list() for c in CLAIMS)
    nb = nbformat.read(REPORT, as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "verdict_table(" in code and "rules_list(" in code and "judge_all(" in code


def grid_results(experiment, scale: str) -> list[dict]:
    """One synthetic stored result per run of ``experiment``'s grid at ``scale``, with every
    record a cells function or a claim's reader may look at (errors, angle, discrepancy, loss, depth)
    in every epoch, and one phase per training phase."""
    results = []
    for run in experiment.runs(scale):
        r = stored_result(experiment, run, scale=scale)
        records = [
            {**r["final"], "epoch": k, "angle": 45.0, "discrepancy": 2.0, "loss": 1.0, "depth": 9.0}
            for k in range(experiment.scales[scale].epochs + 1)
        ]
        r["curves"] = records
        phase = {"final": records[-1], "best_valid": records[-1], "history": records}
        r["phases"] = [phase] * (2 if run.finetune else 1)
        results.append(r)
    return results


@pytest.mark.parametrize("scale", FULL_DATA_SCALES)
def test_every_cell_a_claim_reads_is_a_cell_of_its_experiments_grid(scale):
    """A renamed row, column or table label would leave a claim "not run" for ever; here it fails."""
    grids = {e.key: grid_results(e, scale) for e in EXPERIMENTS.values()}
    for claim in CLAIMS:
        experiment = get_experiment(claim.experiment)
        reader = replace(experiment, cells=claim.read) if claim.read else experiment
        filled = aggregate(reader, grids[claim.experiment])[claim.dataset, scale]
        missing = set(claim.cells(experiment.scales[scale].epochs)) - set(filled)
        assert not missing, (claim.id, sorted(missing)[:3])
        verdict = judge(claim, grids[claim.experiment])
        assert verdict.verdict != NOT_RUN and verdict.scale == scale, claim.id


def test_paper_number_reads_text_cells_and_the_papers_x_as_chance():
    assert paper_number("12.74 (30)") == 12.74
    assert paper_number("X") == 90.0
    assert paper_number(13.51) == 13.51
    assert paper_number(None) is None and paper_number("n/a") is None


@pytest.mark.parametrize(
    ("claim_id", "numbers"),
    [
        ("E8-better-generalization", "SGD 13.51%, Adam 12.42%, RMSprop 14.90%"),
        ("E7-lra-e-best-test", "LRA-E minus the best other: 3 layers +0.77, 5 layers -0.58, 8 layers -0.02"),
        ("E2-dtp-beats-fa", "DTP below FA in 4 of 6 non-zero-init cells"),
    ],
)
def test_paper_verdict_of_claims_the_papers_own_table_supports_only_partly(claim_id, numbers):
    assert paper_verdict(get_claim(claim_id)) == (PARTLY, numbers)
    assert paper_evidence(get_claim(claim_id)) == f"*{PARTLY}*: {numbers}"


def test_paper_verdict_of_claims_the_papers_own_table_supports():
    dtp = paper_verdict(get_claim("E7-dtp-degrades-with-depth"))
    assert dtp == (REPRODUCED, "DTP 3 layers 15.03%, 8 layers 17.58% (+2.55 points)")
    x_cells = paper_verdict(get_claim("E2-bp-dtp-not-from-zero"))  # four "X" cells, read as chance
    assert x_cells == (REPRODUCED, "BP sig 0 90.00%, BP tanh 0 90.00%, DTP sig 0 90.00%, DTP tanh 0 90.00%")
    discrete = paper_verdict(get_claim("E3-discrete-units"))  # text cells "12.33 (72)"
    assert discrete == (REPRODUCED, "LWTA-1 12.33%, LWTA-2 12.05%, Signum 12.06%")


@pytest.mark.parametrize("claim_id", ["E1-more-steps", "E2-depth-falls", "E6-angle-below-90-stable"])
def test_paper_verdict_is_none_for_curves_the_paper_does_not_tabulate(claim_id):
    assert paper_verdict(get_claim(claim_id)) is None
    assert paper_evidence(get_claim(claim_id)) == "—"


def test_paper_verdict_is_none_for_a_data_set_the_papers_table_lacks():
    claim = get_claim("E5-finetune-improves-lra")  # Table 4 is on Fashion-MNIST only
    assert paper_verdict(claim)[0] == REPRODUCED
    assert paper_verdict(replace(claim, dataset="mnist")) is None
