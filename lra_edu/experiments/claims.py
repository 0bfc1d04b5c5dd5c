"""The papers' claims as data, each with the rule that decides its verdict from stored results.

A :class:`Claim` is one stated finding of an experiment (E1-E9) of [LRA18] or [LRA19]:
where the paper states it, its words (quoted or paraphrased), the table cells it needs
and a *rule*, a small pure function of those cells' values that returns the verdict
(``reproduced``, ``partly`` or ``not reproduced``) and the numbers it compared. The
rules were written before the runs they judge, and each has a one-sentence statement in
words (``Claim.rule_words``) that the reproduction report shows beside its verdict.

:func:`judge` reads the stored results of the claim's experiment the way the report does
(:func:`~lra_edu.experiments.report.aggregate`: mean over seeds, only results made with
the spec's current configuration) and applies the rule at the largest full-training-set
scale (``paper``, else ``full``) at which every needed cell has a result. Where none has,
the verdict is ``not run``. Quick-scale results never count: they belong to the chapters'
live runs. :func:`paper_verdict` applies the same rule to the paper's own table numbers,
where the paper tabulates every cell the rule reads: a claim the paper's table supports only
partly is worded more strongly than its evidence.

Thresholds are percentage points of error (or accuracy); "at chance" is taken as an
error of at least 80% (chance on ten classes is 90%), "learns" as an error below 50%.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lra_edu.experiments.catalog import get_experiment
from lra_edu.experiments.report import FULL_DATA_SCALES, aggregate, scale_description, seed_count_phrase

Cell = tuple[str, str, str]
Values = Mapping[Cell, float]
Finding = tuple[str, str]

REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN = "reproduced", "partly", "not reproduced", "not run"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN)
AT_CHANCE, LEARNS = 80.0, 50.0


@dataclass(frozen=True)
class Claim:
    """One stated finding of a paper experiment and the rule that decides its verdict.

    Attributes
    ----------
    id : str
        Stable name, e.g. ``"E7-lra-e-holds-with-depth"``.
    experiment : str
        The experiment's key, ``"E1"`` … ``"E9"``.
    paper, section : str
        ``"[LRA18]"`` or ``"[LRA19]"``, and where the paper states it (section, table or figure).
    text : str
        The claim, quoted (``quoted=True``: the paper's words) or paraphrased.
    cells : callable
        ``cells(epochs) -> tuple of (table, row, column)``: the cells the rule reads, given the
        number of epochs of the scale (curve claims read one cell per epoch).
    rule : callable
        ``rule(values) -> (verdict, numbers)``: a pure function of the needed cells' values.
    rule_words : str
        The rule in one sentence.
    page : int, optional
        The page, where the papers' extracted text shows it.
    read : callable, optional
        ``read(result) -> {cell: value}``: how to read the cells from one stored result, where
        they are not the experiment's own table cells (e.g. the discrepancy curve).
    dataset : str
        The data set whose results decide the verdict.
    """

    id: str
    experiment: str
    paper: str
    section: str
    text: str
    quoted: bool
    cells: Callable[[int], tuple[Cell, ...]]
    rule: Callable[[Values], Finding]
    rule_words: str
    page: int | None = None
    read: Callable[[dict[str, Any]], dict[Cell, float]] | None = None
    dataset: str = "fashion-mnist"

    @property
    def source(self) -> str:
        """Paper, section and (where known) page, e.g. ``"[LRA18] §3.1, Fig 2, p. 13"``."""
        return f"{self.paper} {self.section}" + (f", p. {self.page}" if self.page else "")


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict and its evidence: the numbers compared, the scale and the seeds."""

    claim: Claim
    verdict: str
    numbers: str
    scale: str | None
    seeds: str
    missing: tuple[Cell, ...] = ()


def _grade(full: bool, part: bool) -> str:
    return REPRODUCED if full else PARTLY if part else NOT_REPRODUCED


def _pct(x: float) -> str:
    return f"{x:.2f}%"


def _series(v: Values, row: str) -> list[float]:
    """The values of one curve (cells ``(table, row, "epoch k")``), ordered by epoch."""
    points = sorted((int(c[2].split()[1]), x) for c, x in v.items() if c[1] == row)
    return [x for _, x in points]


def _fixed(*cells: Cell) -> Callable[[int], tuple[Cell, ...]]:
    return lambda epochs: cells


def _curves(table: str, *rows: str) -> Callable[[int], tuple[Cell, ...]]:
    return lambda epochs: tuple((table, row, f"epoch {k}") for row in rows for k in range(1, epochs + 1))


def _last_epoch(table: str, *rows: str) -> Callable[[int], tuple[Cell, ...]]:
    return lambda epochs: tuple((table, row, f"epoch {epochs}") for row in rows)


# ---------------------------------------------------------------- E1 manifold walking
E1_K = (5, 10, 30, 50)
E1_SIGMA = (1.0, 1.25, 1.5, 2.0)
E1_DIFF = tuple(f"LRA-diff K={k}" for k in E1_K)
E1_FDBK = tuple(f"LRA-fdbk σ_E={s}" for s in E1_SIGMA)


def _e1_last(v: Values, rows: tuple[str, ...]) -> list[float]:
    return [next(x for c, x in v.items() if c[1] == row) for row in rows]


def e1_more_steps(v: Values) -> Finding:
    """More manifold-walking steps K give a lower test error after the last epoch."""
    e5, e10, e30, _ = _e1_last(v, E1_DIFF)
    numbers = f"K=5 {_pct(e5)}, K=10 {_pct(e10)}, K=30 {_pct(e30)}"
    return _grade(e5 >= e10 >= e30 and e5 - e30 >= 0.5, e30 < e5), numbers


def e1_diminishing_return(v: Values) -> Finding:
    """Going from K=30 to K=50 gains less than going from K=5 to K=30."""
    e5, _, e30, e50 = _e1_last(v, E1_DIFF)
    gain_low, gain_high = e5 - e30, e30 - e50
    numbers = f"K=5→30 gains {gain_low:+.2f} points, K=30→50 gains {gain_high:+.2f}"
    return _grade(gain_low > 0 and gain_high < gain_low / 2, gain_low > 0 and gain_high < gain_low), numbers


def e1_fdbk_matches(v: Values) -> Finding:
    """The best LRA-fdbk (over σ_E) is as good as the best LRA-diff (over K)."""
    diff, fdbk = min(_e1_last(v, E1_DIFF)), min(_e1_last(v, E1_FDBK))
    numbers = f"best LRA-fdbk {_pct(fdbk)}, best LRA-diff {_pct(diff)}"
    return _grade(fdbk - diff <= 1.0, fdbk - diff <= 3.0), numbers


def e1_sigma_milder(v: Values) -> Finding:
    """σ_E moves LRA-fdbk's error less than K moves LRA-diff's."""
    diff, fdbk = _e1_last(v, E1_DIFF), _e1_last(v, E1_FDBK)
    spread_k, spread_s = max(diff) - min(diff), max(fdbk) - min(fdbk)
    numbers = f"spread over σ_E {spread_s:.2f} points, over K {spread_k:.2f}"
    return _grade(spread_s < spread_k, False), numbers


# ---------------------------------------------------------------- E2 init robustness
E2_INITS = ("0", ".025", ".05", ".1")


def _e2(row: str, *cols: str) -> tuple[Cell, ...]:
    return tuple(("Table 1", row, col) for col in cols)


def _e2_cols(unit: str, inits: tuple[str, ...] = E2_INITS) -> tuple[str, ...]:
    return tuple(f"{unit} {i}" for i in inits)


E2_ALL = _e2_cols("sig") + _e2_cols("tanh")
E2_NONZERO = _e2_cols("sig", E2_INITS[1:]) + _e2_cols("tanh", E2_INITS[1:])


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def e2_fdbk_robust(v: Values) -> Finding:
    """LRA-fdbk reaches a good error (≤ 20%) from every initialization, sigmoid and tanh."""
    sig = [v[c] for c in _e2("LRA-fdbk", *_e2_cols("sig"))]
    tanh = [v[c] for c in _e2("LRA-fdbk", *_e2_cols("tanh"))]
    every = sig + tanh
    numbers = f"sigmoid {min(sig):.2f}-{max(sig):.2f}%, tanh {min(tanh):.2f}-{max(tanh):.2f}%"
    full = max(every) <= 20.0 and max(every) - min(every) <= 3.0
    return _grade(full, max(sig) <= 20.0 or max(tanh) <= 20.0), numbers


def e2_fdbk_from_zero(v: Values) -> Finding:
    """LRA-fdbk learns from zero weights with sigmoid and with tanh units."""
    sig, tanh = v["Table 1", "LRA-fdbk", "sig 0"], v["Table 1", "LRA-fdbk", "tanh 0"]
    learned = [x < LEARNS for x in (sig, tanh)]
    return _grade(all(learned), any(learned)), f"from zero: sigmoid {_pct(sig)}, tanh {_pct(tanh)}"


def e2_bp_dtp_not_from_zero(v: Values) -> Finding:
    """BP and DTP stay at chance from zero weights."""
    cells = _e2("BP", "sig 0", "tanh 0") + _e2("DTP", "sig 0", "tanh 0")
    failed = sum(v[c] >= AT_CHANCE for c in cells)
    numbers = ", ".join(f"{c[1]} {c[2]} {_pct(v[c])}" for c in cells)
    return _grade(failed == 4, failed >= 2), numbers


def e2_fa_dfa_from_zero(v: Values) -> Finding:
    """FA and DFA learn the tanh network from zero weights."""
    fa, dfa = v["Table 1", "FA", "tanh 0"], v["Table 1", "DFA", "tanh 0"]
    learned = [x < LEARNS for x in (fa, dfa)]
    return _grade(all(learned), any(learned)), f"tanh from zero: FA {_pct(fa)}, DFA {_pct(dfa)}"


def e2_dfa_tanh(v: Values) -> Finding:
    """DFA is within 2 points of LRA-fdbk on tanh, and at least 5 points worse on sigmoid than on tanh."""
    dfa_tanh = _mean([v[c] for c in _e2("DFA", *_e2_cols("tanh"))])
    dfa_sig = _mean([v[c] for c in _e2("DFA", *_e2_cols("sig"))])
    lra_tanh = _mean([v[c] for c in _e2("LRA-fdbk", *_e2_cols("tanh"))])
    competitive, poor_sigmoid = dfa_tanh <= lra_tanh + 2.0, dfa_sig >= dfa_tanh + 5.0
    numbers = (
        f"mean over inits: DFA tanh {_pct(dfa_tanh)}, LRA-fdbk tanh {_pct(lra_tanh)}, "
        f"DFA sigmoid {_pct(dfa_sig)}"
    )
    return _grade(competitive and poor_sigmoid, competitive or poor_sigmoid), numbers


def e2_dtp_beats_fa(v: Values) -> Finding:
    """DTP has a lower error than FA in the six cells with a non-zero initialization."""
    wins = sum(v["Table 1", "DTP", c] < v["Table 1", "FA", c] for c in E2_NONZERO)
    return _grade(wins == 6, wins >= 3), f"DTP below FA in {wins} of 6 non-zero-init cells"


def e2_bp_fa_sigmoid(v: Values) -> Finding:
    """BP and FA stay at chance on the sigmoid network from every non-zero initialization."""
    cells = _e2("BP", *E2_NONZERO[:3]) + _e2("FA", *E2_NONZERO[:3])
    failed = sum(v[c] >= AT_CHANCE for c in cells)
    numbers = f"{failed} of 6 sigmoid cells (BP, FA) at ≥ {AT_CHANCE:.0f}% error"
    return _grade(failed == 6, failed >= 3), numbers


E2_DEPTH_ROWS = tuple(f"LRA-fdbk {c}" for c in E2_ALL)
E2_LAYERS = 9  # 8 hidden layers and the output layer


def e2_read_depth(result: dict[str, Any]) -> dict[Cell, float]:
    """LRA-fdbk's mean credit-assignment depth per epoch, one curve per column."""
    if result["cell"][1] != "LRA-fdbk":
        return {}
    return {
        ("depth", f"LRA-fdbk {result['cell'][2]}", f"epoch {rec['epoch']}"): rec["depth"]
        for rec in result["curves"]
        if rec["epoch"] > 0 and rec.get("depth") is not None
    }


def e2_depth_falls(v: Values) -> Finding:
    """LRA-fdbk's depth in the last epoch is at most 7 of 9 layers in every cell of a unit."""
    last = {row: _series(v, row)[-1] for row in E2_DEPTH_ROWS}
    fell = [u for u in ("sig", "tanh") if all(last[f"LRA-fdbk {c}"] <= E2_LAYERS - 2 for c in _e2_cols(u))]
    numbers = "; ".join(
        f"{u}: {min(last[f'LRA-fdbk {c}'] for c in _e2_cols(u)):.1f}-"
        f"{max(last[f'LRA-fdbk {c}'] for c in _e2_cols(u)):.1f} of {E2_LAYERS} layers in the last epoch"
        for u in ("sig", "tanh")
    )
    return _grade(len(fell) == 2, len(fell) == 1), numbers


# ---------------------------------------------------------------- E3 null init
E3_ROWS = ("Softsign", "ReLU6", "Softplus", "LWTA-1", "LWTA-2", "SLWTA-1", "SLWTA-2", "Signum")
E3_DISCRETE = ("LWTA-1", "LWTA-2", "Signum")
TRAINED = 20.0


def _e3_best(*rows: str) -> Callable[[int], tuple[Cell, ...]]:
    return _fixed(*(("Table 2", row, "best (epoch)") for row in rows))


def e3_all_units(v: Values) -> Finding:
    """Every unit type trains from zero weights to a best test error of at most 20%."""
    trained = [c[1] for c, x in v.items() if x <= TRAINED]
    numbers = ", ".join(f"{c[1]} {_pct(x)}" for c, x in v.items())
    return _grade(len(trained) == len(v), len(trained) >= len(v) / 2), numbers


def e3_discrete(v: Values) -> Finding:
    """The discrete units (LWTA-1, LWTA-2, Signum) train from zero weights to at most 20%."""
    trained = sum(x <= TRAINED for x in v.values())
    numbers = ", ".join(f"{c[1]} {_pct(x)}" for c, x in v.items())
    return _grade(trained == len(v), trained > 0), numbers


# ---------------------------------------------------------------- E4 stochastic nets
E4_BP_ROWS = (
    "ST-BP, pass-through STE",
    "BP, sigmoid-adjusted STE",
    "BP, slope annealing",
    "BP, REINFORCE",
    "BP, REINFORCE (variance-adj.)",
)


def _acc(row: str) -> Cell:
    return ("Table 3", row, "accuracy")


def e4_vs_dtp(v: Values) -> Finding:
    """LRA-fdbk's test accuracy is within 2 points of DTP's (or above)."""
    lra, dtp = v[_acc("LRA-fdbk")], v[_acc("DTP")]
    return _grade(lra >= dtp - 2.0, lra >= dtp - 5.0), f"accuracy: LRA-fdbk {_pct(lra)}, DTP {_pct(dtp)}"


def e4_vs_estimators(v: Values) -> Finding:
    """LRA-fdbk's test accuracy is above that of each of backprop's five estimators."""
    lra = v[_acc("LRA-fdbk")]
    best = max(E4_BP_ROWS, key=lambda row: v[_acc(row)])
    wins = sum(lra > v[_acc(row)] for row in E4_BP_ROWS)
    numbers = f"LRA-fdbk {_pct(lra)} above {wins} of 5 estimators (best: {best} {_pct(v[_acc(best)])})"
    return _grade(wins == 5, wins >= 3), numbers


# ---------------------------------------------------------------- E5 finetuning
def _t4(row: str, col: str) -> Cell:
    return ("Table 4", row, col)


def e5_finetune_improves(v: Values) -> Finding:
    """Fine-tuning lowers the LRA network's training and validation errors."""
    better = [v[_t4("LRA, finetuned", s)] < v[_t4("LRA, pretrained", s)] for s in ("train", "valid")]
    numbers = ", ".join(
        f"{s} {_pct(v[_t4('LRA, pretrained', s)])} → {_pct(v[_t4('LRA, finetuned', s)])}"
        for s in ("train", "valid")
    )
    return _grade(all(better), any(better)), numbers


def e5_regularized(v: Values) -> Finding:
    """After pre-training LRA has a higher training error than BP and a smaller test-train gap."""
    lra_train, bp_train = v[_t4("LRA, pretrained", "train")], v[_t4("BP, pretrained", "train")]
    lra_gap = v[_t4("LRA, pretrained", "test")] - lra_train
    bp_gap = v[_t4("BP, pretrained", "test")] - bp_train
    numbers = (
        f"pretrained train: LRA {_pct(lra_train)}, BP {_pct(bp_train)}; "
        f"test-train gap: LRA {lra_gap:.2f}, BP {bp_gap:.2f} points"
    )
    slower, smaller_gap = lra_train > bp_train, lra_gap < bp_gap
    return _grade(slower and smaller_gap, slower or smaller_gap), numbers


def e5_read_angles(result: dict[str, Any]) -> dict[Cell, float]:
    """The mean angle to backprop per pre-training epoch (cells ``("angle", row, "epoch k")``)."""
    history = result["phases"][0].get("history", []) if result.get("phases") else []
    return {
        ("angle", result["cell"][1], f"epoch {rec['epoch']}"): rec["angle"]
        for rec in history
        if rec.get("epoch", 0) > 0 and rec.get("angle") is not None
    }


def e5_angle(v: Values) -> Finding:
    """LRA's update is within 90° of backprop's in every epoch, and the angle grows from the first epoch."""
    angles = _series(v, "LRA")
    numbers = f"epoch 1 {angles[0]:.1f}°, last {angles[-1]:.1f}°, max {max(angles):.1f}°"
    below = max(angles) < 90.0
    return _grade(below and angles[-1] > angles[0], below), numbers


# ---------------------------------------------------------------- E6 update angles
def e6_angle_stable(v: Values) -> Finding:
    """LRA-E's angle is below 90° in every epoch and moves by at most 10° over the second half of training."""
    angles = _series(v, "LRA-E")
    late = angles[len(angles) // 2 :]
    numbers = f"LRA-E {min(angles):.1f}-{max(angles):.1f}°, second half within {max(late) - min(late):.1f}°"
    below = max(angles) < 90.0
    return _grade(below and max(late) - min(late) <= 10.0, below), numbers


def e6_similar_angles(v: Values) -> Finding:
    """DFA's and DTP-σ's mean angles over training are within 10° of LRA-E's."""
    means = {row: _mean(_series(v, row)) for row in ("LRA-E", "DFA", "DTP-σ")}
    close = [abs(means[row] - means["LRA-E"]) <= 10.0 for row in ("DFA", "DTP-σ")]
    numbers = "mean angle: " + ", ".join(f"{row} {m:.1f}°" for row, m in means.items())
    return _grade(all(close), any(close)), numbers


def e6_read_discrepancy(result: dict[str, Any]) -> dict[Cell, float]:
    """The internal discrepancy (total discrepancy less the output loss) per epoch."""
    return {
        ("discrepancy", result["cell"][1], f"epoch {rec['epoch']}"): rec["discrepancy"] - rec["loss"]
        for rec in result["curves"]
        if rec["epoch"] > 0 and rec.get("discrepancy") is not None and rec.get("loss") is not None
    }


def e6_bump(v: Values) -> Finding:
    """LRA-E's internal discrepancy rises above its first-epoch value, then falls below its peak."""
    d = _series(v, "LRA-E")
    peak = max(range(len(d)), key=lambda i: d[i])
    numbers = f"epoch 1 {d[0]:.3g}, peak {d[peak]:.3g} at epoch {peak + 1}, last {d[-1]:.3g}"
    rises = d[peak] > d[0]
    return _grade(rises and d[-1] < d[peak], rises), numbers


# ---------------------------------------------------------------- E7 depth sweep
E7_ROWS = ("Backprop", "Equil-Prop", "RFA", "DFA", "DTP", "DTP-σ", "LRA-E")
DEPTHS = (3, 5, 8)


def _test(*rows: str, depths: tuple[int, ...] = DEPTHS) -> Callable[[int], tuple[Cell, ...]]:
    return _fixed(*(("Tables 1-2", row, f"{d} test") for row in rows for d in depths))


def _t(v: Values, row: str, depth: int) -> float:
    return v["Tables 1-2", row, f"{depth} test"]


def e7_lra_e_best(v: Values) -> Finding:
    """LRA-E has the lowest test error of the seven algorithms at every depth."""
    gaps = {}
    for d in DEPTHS:
        others = min(_t(v, row, d) for row in E7_ROWS if row != "LRA-E")
        gaps[d] = _t(v, "LRA-E", d) - others
    numbers = "LRA-E minus the best other: " + ", ".join(f"{d} layers {g:+.2f}" for d, g in gaps.items())
    return _grade(all(g < 0 for g in gaps.values()), all(g <= 1.0 for g in gaps.values())), numbers


def e7_lra_e_holds(v: Values) -> Finding:
    """LRA-E's 8-layer test error is within 2 points of its 3-layer error."""
    three, eight = _t(v, "LRA-E", 3), _t(v, "LRA-E", 8)
    numbers = f"LRA-E 3 layers {_pct(three)}, 8 layers {_pct(eight)} ({eight - three:+.2f} points)"
    return _grade(eight - three <= 2.0, eight - three <= 5.0), numbers


def e7_lra_e_beats_at_8(v: Values) -> Finding:
    """With 8 hidden layers LRA-E's test error is below DFA's and DTP's."""
    lra = _t(v, "LRA-E", 8)
    wins = [lra < _t(v, row, 8) for row in ("DFA", "DTP")]
    numbers = f"8 layers: LRA-E {_pct(lra)}, DFA {_pct(_t(v, 'DFA', 8))}, DTP {_pct(_t(v, 'DTP', 8))}"
    return _grade(all(wins), any(wins)), numbers


def e7_eqprop_breaks(v: Values) -> Finding:
    """Equil-Prop is at chance with 8 layers and learns with 3."""
    three, eight = _t(v, "Equil-Prop", 3), _t(v, "Equil-Prop", 8)
    numbers = f"Equil-Prop 3 layers {_pct(three)}, 8 layers {_pct(eight)}"
    return _grade(eight >= AT_CHANCE and three < LEARNS, eight >= AT_CHANCE), numbers


def e7_eqprop_worse(v: Values) -> Finding:
    """Equil-Prop's test error is above LRA-E's at every depth."""
    worse = sum(_t(v, "Equil-Prop", d) > _t(v, "LRA-E", d) for d in DEPTHS)
    numbers = ", ".join(
        f"{d} layers {_pct(_t(v, 'Equil-Prop', d))} vs {_pct(_t(v, 'LRA-E', d))}" for d in DEPTHS
    )
    return _grade(worse == 3, worse >= 1), f"Equil-Prop vs LRA-E: {numbers}"


def e7_dtp_degrades(v: Values) -> Finding:
    """DTP's test error rises by at least 2 points from 3 to 8 layers."""
    three, eight = _t(v, "DTP", 3), _t(v, "DTP", 8)
    numbers = f"DTP 3 layers {_pct(three)}, 8 layers {_pct(eight)} ({eight - three:+.2f} points)"
    return _grade(eight - three >= 2.0, eight > three), numbers


def e7_dtp_sigma_stable(v: Values) -> Finding:
    """DTP-σ's test error changes by at most 1 point from 3 to 8 layers, and less than DTP's."""
    sigma = _t(v, "DTP-σ", 8) - _t(v, "DTP-σ", 3)
    dtp = _t(v, "DTP", 8) - _t(v, "DTP", 3)
    numbers = f"3→8 layers: DTP-σ {sigma:+.2f}, DTP {dtp:+.2f} points"
    return _grade(sigma <= 1.0 and sigma < dtp, sigma < dtp), numbers


def e7_dtp_sigma_near_lra_e(v: Values) -> Finding:
    """DTP-σ's test error is on average at most 1 point above LRA-E's."""
    gap = _mean([_t(v, "DTP-σ", d) - _t(v, "LRA-E", d) for d in DEPTHS])
    return _grade(gap <= 1.0, gap <= 2.5), f"DTP-σ minus LRA-E, mean over depths: {gap:+.2f} points"


# ---------------------------------------------------------------- E8 optimizers
OPTIMIZERS = ("SGD", "Adam", "RMSprop")


def _e8_test(dataset: str = "fashion-mnist") -> Callable[[int], tuple[Cell, ...]]:
    return _fixed(*(("Table 3", dataset, f"{o} test") for o in OPTIMIZERS))


def _e8(v: Values) -> dict[str, float]:
    return {c[2].split()[0]: x for c, x in v.items()}


def e8_compatible(v: Values) -> Finding:
    """Adam's and RMSprop's test errors are each within 3 points of SGD's (or below)."""
    err = _e8(v)
    ok = [err[o] <= err["SGD"] + 3.0 for o in ("Adam", "RMSprop")]
    return _grade(all(ok), any(ok)), ", ".join(f"{o} {_pct(x)}" for o, x in err.items())


def e8_better(v: Values) -> Finding:
    """Adam's and RMSprop's test errors are each below SGD's."""
    err = _e8(v)
    ok = [err[o] < err["SGD"] for o in ("Adam", "RMSprop")]
    return _grade(all(ok), any(ok)), ", ".join(f"{o} {_pct(x)}" for o, x in err.items())


# ---------------------------------------------------------------- E9 DTP vs DTP-sigma
E9_INITS = ("orthogonal", "glorot", "gaussian")


def _e9_rows(label: str, depth: int | None = None) -> tuple[str, ...]:
    depths = (5, 8) if depth is None else (depth,)
    return tuple(f"{label} {d} layers, {i}" for d in depths for i in E9_INITS)


E9_ROWS = _e9_rows("DTP") + _e9_rows("DTP-σ")


def _drop(v: Values, row: str) -> float:
    """How far a validation-accuracy curve ends below its peak (points)."""
    curve = _series(v, row)
    return max(curve) - curve[-1]


def e9_dtp_unstable(v: Values) -> Finding:
    """DTP's 8-layer curves end on average 2 points or more below their peak, further than at 5 layers."""
    five = _mean([_drop(v, row) for row in _e9_rows("DTP", 5)])
    eight = _mean([_drop(v, row) for row in _e9_rows("DTP", 8)])
    numbers = f"DTP's mean drop from peak valid accuracy: 5 layers {five:.2f}, 8 layers {eight:.2f} points"
    return _grade(eight >= 2.0 and eight > five, eight > five), numbers


def e9_dtp_sigma_stable(v: Values) -> Finding:
    """Every DTP-σ curve ends within 1 point of its peak."""
    worst = max(_e9_rows("DTP-σ"), key=lambda row: _drop(v, row))
    drop = _drop(v, worst)
    return _grade(drop <= 1.0, drop <= 3.0), f"DTP-σ's largest drop from peak: {drop:.2f} points ({worst})"


def e9_init_dependence(v: Values) -> Finding:
    """At each depth DTP-σ's final accuracies differ less across the three inits than DTP's."""
    less = []
    parts = []
    for depth in (5, 8):
        spread = {}
        for label in ("DTP", "DTP-σ"):
            finals = [_series(v, row)[-1] for row in _e9_rows(label, depth)]
            spread[label] = max(finals) - min(finals)
        less.append(spread["DTP-σ"] < spread["DTP"])
        parts.append(f"{depth} layers DTP-σ {spread['DTP-σ']:.2f} vs DTP {spread['DTP']:.2f}")
    return _grade(all(less), any(less)), "spread of final accuracy over inits: " + ", ".join(parts)


# ---------------------------------------------------------------- the claims
LRA18, LRA19 = "[LRA18]", "[LRA19]"
E7_SECTION = "Experimental Results, Classification Performance, Tables 1-2"
E8_SECTION = "Experimental Results, Classification Performance, Table 3"
E9_SECTION = "Experimental Results, Classification Performance, Fig 3"

CLAIMS: tuple[Claim, ...] = (
    # E1: [LRA18] §3.1
    Claim(
        "E1-more-steps", "E1", LRA18, "§3.1, Fig 2",
        "increasing K leads to ultimately better generalization and sooner on both MNIST and Fashion MNIST",
        True, _last_epoch("curves", *E1_DIFF), e1_more_steps,
        "Reproduced if after the last epoch LRA-diff's test error does not rise from K=5 to K=10 to K=30 "
        "and K=30 is at least 0.5 points below K=5; partly if K=30 is below K=5 at all; "
        "not reproduced otherwise.",
        page=13,
    ),
    Claim(
        "E1-diminishing-return", "E1", LRA18, "§3.1, Fig 2",
        "there is a diminishing return as one dramatically increases the number of steps from K = 30 "
        "to K = 50",
        True, _last_epoch("curves", *E1_DIFF), e1_diminishing_return,
        "Reproduced if K=5→30 lowers the last epoch's test error and K=30→50 gains less than half as much; "
        "partly if K=30→50 gains less than K=5→30 but more than half; not reproduced otherwise.",
        page=13,
    ),
    Claim(
        "E1-fdbk-matches-diff", "E1", LRA18, "§3.1, Fig 2",
        "LRA-fdbk (K = 1) reaches the same level of generalization as LRA-diff",
        False, _last_epoch("curves", *E1_DIFF, *E1_FDBK), e1_fdbk_matches,
        "Reproduced if the best LRA-fdbk run (over σ_E) ends at most 1 point above the best LRA-diff run "
        "(over K) in test error; partly if at most 3 points above; not reproduced otherwise.",
        page=13,
    ),
    Claim(
        "E1-sigma-milder-than-k", "E1", LRA18, "§3.1, Fig 2",
        "as one raises the standard deviation, the impact is far less severe than varying the number of "
        "steps in LRA-diff",
        True, _last_epoch("curves", *E1_DIFF, *E1_FDBK), e1_sigma_milder,
        "Reproduced if the spread (max - min) of LRA-fdbk's last-epoch test error over the four σ_E is "
        "smaller than that of LRA-diff over the four K; not reproduced otherwise.",
        page=13,
    ),
    # E2: [LRA18] §3.2
    Claim(
        "E2-fdbk-robust", "E2", LRA18, "§3.2, Table 1",
        "LRA-fdbk is rather robust to the initializations scheme, and more importantly, is able to train to "
        "good generalization regardless of which unit type is used",
        True, _fixed(*_e2("LRA-fdbk", *E2_ALL)), e2_fdbk_robust,
        "Reproduced if all eight LRA-fdbk cells are at most 20% test error and within 3 points of each "
        "other; partly if the four cells of one unit type are at most 20%; not reproduced otherwise.",
    ),
    Claim(
        "E2-fdbk-from-zero", "E2", LRA18, "§3.2, Table 1",
        "even at initializations close to or at zero, LRA-fdbk is able to train deep networks of both "
        "logistic sigmoid and hyperbolic tangent networks",
        True, _fixed(*_e2("LRA-fdbk", "sig 0", "tanh 0")), e2_fdbk_from_zero,
        "Reproduced if LRA-fdbk's sigmoid and tanh networks from zero weights both end below 50% test error; "
        "partly if one does; not reproduced if neither does.",
    ),
    Claim(
        "E2-bp-dtp-not-from-zero", "E2", LRA18, "§3.2, Table 1",
        "BP and DTP cannot train the 8-layer networks from zero weights (marked X in Table 1)",
        False, _fixed(*_e2("BP", "sig 0", "tanh 0"), *_e2("DTP", "sig 0", "tanh 0")), e2_bp_dtp_not_from_zero,
        "Reproduced if all four zero-initialized BP and DTP cells are at 80% test error or more "
        "(chance: 90%); partly if two or three are; not reproduced otherwise.",
    ),
    Claim(
        "E2-fa-dfa-from-zero", "E2", LRA18, "§3.2, Table 1",
        "DFA and FA can train networks from zero",
        True, _fixed(*_e2("FA", "tanh 0"), *_e2("DFA", "tanh 0")), e2_fa_dfa_from_zero,
        "Reproduced if FA's and DFA's tanh networks from zero weights both end below 50% test error (with "
        "sigmoid units the paper's FA fails from every init); partly if one does; not reproduced otherwise.",
    ),
    Claim(
        "E2-dfa-tanh-only", "E2", LRA18, "§3.2, Table 1, Fig 4",
        "DFA is competitive with LRA-fdbk when using hyperbolic tangent units but trains the same network "
        "composed of sigmoid units poorly",
        True, _fixed(*_e2("DFA", *E2_ALL), *_e2("LRA-fdbk", *_e2_cols("tanh"))), e2_dfa_tanh,
        "Reproduced if DFA's mean tanh test error (over the four inits) is at most 2 points above LRA-fdbk's "
        "and its mean sigmoid error at least 5 points above its tanh one; partly if one of the two holds; "
        "not reproduced otherwise.",
    ),
    Claim(
        "E2-dtp-beats-fa", "E2", LRA18, "§3.2, Table 1",
        "DTP does far better than FA across the scenarios",
        True, _fixed(*_e2("DTP", *E2_NONZERO), *_e2("FA", *E2_NONZERO)), e2_dtp_beats_fa,
        "Reproduced if DTP's test error is below FA's in all six cells with a non-zero initialization; "
        "partly if in three to five; not reproduced otherwise.",
    ),
    Claim(
        "E2-bp-fa-fail-sigmoid", "E2", LRA18, "§3.2, Table 1",
        "BP and FA cannot train the 8-layer sigmoid network from any of the Gaussian initializations "
        "(90% error on Fashion-MNIST)",
        False, _fixed(*_e2("BP", *E2_NONZERO[:3]), *_e2("FA", *E2_NONZERO[:3])), e2_bp_fa_sigmoid,
        "Reproduced if all six BP and FA sigmoid cells with a non-zero initialization are at 80% test error "
        "or more; partly if three to five are; not reproduced otherwise.",
    ),
    Claim(
        "E2-depth-falls", "E2", LRA18, "§3.2, Fig 5",
        "as learning continues, usually past five epochs, we see the number of subgraphs updated decrease, "
        "and, in the case of the tanh networks, approach one or zero",
        True, _curves("depth", *E2_DEPTH_ROWS), e2_depth_falls,
        "Reproduced if LRA-fdbk's mean credit-assignment depth in the last epoch is at most 7 of its 9 "
        "layers in all four cells of both units; partly if in all four cells of one unit; not reproduced "
        "otherwise.",
        read=e2_read_depth,
    ),
    # E3: [LRA18] §3.3
    Claim(
        "E3-all-units-from-zero", "E3", LRA18, "§3.3, Table 2",
        "LRA-fdbk is able to successfully train different activation functions",
        True, _e3_best(*E3_ROWS), e3_all_units,
        "Reproduced if all eight unit types, from zero weights, reach a best test error of at most 20%; "
        "partly if at least four do; not reproduced otherwise.",
    ),
    Claim(
        "E3-discrete-units", "E3", LRA18, "§3.3, Table 2",
        "This includes the deep models that contain discrete-valued units",
        True, _e3_best(*E3_DISCRETE), e3_discrete,
        "Reproduced if the discrete units (LWTA-1, LWTA-2, Signum) all reach a best test error of at most "
        "20% from zero weights; partly if some do; not reproduced if none does.",
    ),
    # E4: [LRA18] §3.4
    Claim(
        "E4-competitive-with-dtp", "E4", LRA18, "§3.4, Table 3",
        "LRA is able to effectively train networks composed of stochastic binary units, competitive with DTP",
        True, _fixed(_acc("LRA-fdbk"), _acc("DTP")), e4_vs_dtp,
        "Reproduced if LRA-fdbk's test accuracy is at most 2 points below DTP's (or above it); partly if at "
        "most 5 points below; not reproduced otherwise.",
    ),
    Claim(
        "E4-beats-bp-estimators", "E4", LRA18, "§3.4, Table 3",
        "outperforming the other estimators used in backpropagation",
        True, _fixed(_acc("LRA-fdbk"), *(_acc(row) for row in E4_BP_ROWS)), e4_vs_estimators,
        "Reproduced if LRA-fdbk's test accuracy is above that of all five backprop estimators; partly if "
        "above at least three; not reproduced otherwise.",
    ),
    # E5: [LRA18] §3.5
    Claim(
        "E5-finetune-improves-lra", "E5", LRA18, "§3.5, Table 4",
        "fine-tuning an LRA-trained network with back-propagation of errors appears to improve performance, "
        "especially on the training and validation sets",
        True,
        _fixed(*(_t4(f"LRA, {p}", s) for p in ("pretrained", "finetuned") for s in ("train", "valid"))),
        e5_finetune_improves,
        "Reproduced if fine-tuning lowers both the LRA network's training and validation errors; partly if "
        "one of them; not reproduced otherwise.",
    ),
    Claim(
        "E5-lra-regularized", "E5", LRA18, "§3.5, Table 4",
        "LRA still works like an optimization algorithm but one that is regularized (so it is slower to "
        "overfit)",
        True,
        _fixed(*(_t4(f"{a}, pretrained", s) for a in ("LRA", "BP") for s in ("train", "test"))),
        e5_regularized,
        "Reproduced if after pre-training LRA's training error is above BP's and its test-minus-train gap "
        "below BP's; partly if one of the two; not reproduced otherwise.",
    ),
    Claim(
        "E5-angle-below-90", "E5", LRA18, "§3.5, Fig 7",
        "the angle between the updates found by the backprop and LRA are within the desired 90° [...] "
        "while it increases from an initial 10°, it ultimately stabilizes at about a divergence of 38°",
        True, _curves("angle", "LRA"), e5_angle,
        "Reproduced if LRA's mean angle to backprop's update is below 90° in every pre-training epoch and "
        "higher in the last epoch than in the first; partly if only below 90°; not reproduced otherwise.",
        read=e5_read_angles,
    ),
    # E6: [LRA19] Fig 1
    Claim(
        "E6-angle-below-90-stable", "E6", LRA19, "Local Representation Alignment, Fig 1(a)",
        "The angle, fortunately, while certainly non-zero, never deviates too far from the direction pointed "
        "by back-propagation and remains relatively stable throughout the learning process",
        True, _curves("angles", "LRA-E"), e6_angle_stable,
        "Reproduced if LRA-E's mean angle to backprop is below 90° in every epoch and varies by at most 10° "
        "over the second half of the epochs; partly if only below 90°; not reproduced otherwise.",
    ),
    Claim(
        "E6-similar-angles", "E6", LRA19, "Local Representation Alignment, Fig 1(a)",
        "DFA and DTP-σ have, interestingly enough, update angles that are quite similar to LRA-E",
        True, _curves("angles", "LRA-E", "DFA", "DTP-σ"), e6_similar_angles,
        "Reproduced if DFA's and DTP-σ's angles, averaged over the epochs, are both within 10° of LRA-E's; "
        "partly if one is; not reproduced otherwise.",
    ),
    Claim(
        "E6-discrepancy-bump", "E6", LRA19, "Local Representation Alignment, Fig 1(b)",
        "LRA-E's total internal discrepancy does not fall steadily: it rises early in training (a bump) "
        "while the output loss falls",
        False, _curves("discrepancy", "LRA-E"), e6_bump,
        "Reproduced if LRA-E's internal discrepancy (total discrepancy less the output loss, mean per epoch) "
        "rises above its first-epoch value and ends below its peak; partly if it rises but ends at its peak; "
        "not reproduced if it never exceeds the first epoch's value.",
        read=e6_read_discrepancy,
    ),
    # E7: [LRA19] Tables 1-2
    Claim(
        "E7-lra-e-best-test", "E7", LRA19, E7_SECTION,
        "LRA-E still performs best with respect to generalization across both datasets",
        True, _test(*E7_ROWS), e7_lra_e_best,
        "Reproduced if LRA-E has the lowest test error of the seven algorithms at 3, 5 and 8 layers; partly "
        "if it is within 1 point of the lowest at every depth; not reproduced otherwise.",
    ),
    Claim(
        "E7-lra-e-holds-with-depth", "E7", LRA19, E7_SECTION,
        "LRA-E is the most stable and consistently well-performing algorithm compared to the other backprop "
        "alternatives",
        True, _test("LRA-E", depths=(3, 8)), e7_lra_e_holds,
        "Reproduced if our 8-layer LRA-E test error is within 2 points of our 3-layer error; partly if "
        "within 5; not reproduced otherwise.",
    ),
    Claim(
        "E7-lra-e-beats-dfa-dtp-at-8", "E7", LRA19, E7_SECTION,
        "With 8 hidden layers LRA-E's test error is below DFA's and DTP's",
        False, _test("LRA-E", "DFA", "DTP", depths=(8,)), e7_lra_e_beats_at_8,
        "Reproduced if our 8-layer LRA-E test error is below both DFA's and DTP's; partly if below one of "
        "them; not reproduced otherwise.",
    ),
    Claim(
        "E7-eqprop-breaks-at-8", "E7", LRA19, E7_SECTION,
        "Equil-Prop breaks down when training the 8-layer network (about 90% error, chance) while it learns "
        "the shallower ones",
        False, _test("Equil-Prop", depths=(3, 8)), e7_eqprop_breaks,
        "Reproduced if Equil-Prop's 8-layer test error is at 80% or more while its 3-layer error is below "
        "50%; partly if the 8-layer net is at chance but the 3-layer net does not learn either; not "
        "reproduced if the 8-layer net is below 80%.",
    ),
    Claim(
        "E7-eqprop-worse-than-lra-e", "E7", LRA19, E7_SECTION,
        "Equil-Prop's test error is above LRA-E's at every depth",
        False, _test("Equil-Prop", "LRA-E"), e7_eqprop_worse,
        "Reproduced if Equil-Prop's test error is above LRA-E's at 3, 5 and 8 layers; partly if at one or "
        "two depths; not reproduced otherwise.",
    ),
    Claim(
        "E7-dtp-degrades-with-depth", "E7", LRA19, E7_SECTION,
        "DTP breaks down as the network gets deeper (Fashion-MNIST: 15.03% test error with 3 layers, "
        "17.58% with 8)",
        False, _test("DTP", depths=(3, 8)), e7_dtp_degrades,
        "Reproduced if DTP's 8-layer test error is at least 2 points above its 3-layer error; partly if "
        "above it by less; not reproduced otherwise.",
    ),
    Claim(
        "E7-dtp-sigma-stable", "E7", LRA19, E7_SECTION,
        "this problem is rectified using DTP-σ, leading to much more stable performance",
        True, _test("DTP", "DTP-σ", depths=(3, 8)), e7_dtp_sigma_stable,
        "Reproduced if DTP-σ's test error changes by at most 1 point from 3 to 8 layers and by less than "
        "DTP's; partly if only by less than DTP's; not reproduced otherwise.",
    ),
    Claim(
        "E7-dtp-sigma-near-lra-e", "E7", LRA19, E7_SECTION,
        "DTP-σ can, overall, perform nearly as well as LRA-E",
        True, _test("DTP-σ", "LRA-E"), e7_dtp_sigma_near_lra_e,
        "Reproduced if DTP-σ's test error is on average (over the three depths) at most 1 point above "
        "LRA-E's; partly if at most 2.5 points; not reproduced otherwise.",
    ),
    # E8: [LRA19] Table 3
    Claim(
        "E8-other-optimizers-work", "E8", LRA19, E8_SECTION,
        "LRA-E is compatible with other learning rate schemes",
        True, _e8_test(), e8_compatible,
        "Reproduced if LRA-E's test errors with Adam and with RMSprop are each at most 3 points above SGD's; "
        "partly if one of them is; not reproduced otherwise.",
    ),
    Claim(
        "E8-better-generalization", "E8", LRA19, E8_SECTION,
        "reaches better generalization performance when using them",
        True, _e8_test(), e8_better,
        "Reproduced if LRA-E's test errors with Adam and with RMSprop are both below SGD's; partly if one "
        "is; not reproduced otherwise.",
    ),
    # E9: [LRA19] Fig 3
    Claim(
        "E9-dtp-unstable-deeper", "E9", LRA19, E9_SECTION,
        "DTP is highly unstable as the network gets deeper",
        True, _curves("valid accuracy", *E9_ROWS[:6]), e9_dtp_unstable,
        "Reproduced if DTP's 8-layer validation-accuracy curves end on average at least 2 points below "
        "their peak and further below it than its 5-layer curves; partly if only further; not reproduced "
        "otherwise.",
    ),
    Claim(
        "E9-dtp-sigma-stable", "E9", LRA19, E9_SECTION,
        "DTP-σ stays stable at 5 and at 8 layers, from every initialization",
        False, _curves("valid accuracy", *E9_ROWS[6:]), e9_dtp_sigma_stable,
        "Reproduced if every DTP-σ validation-accuracy curve (two depths, three inits) ends within 1 point "
        "of its peak; partly if within 3; not reproduced otherwise.",
    ),
    Claim(
        "E9-dtp-sigma-less-init-dependent", "E9", LRA19, E9_SECTION,
        "DTP-σ's performance appears to be less dependent on the weight initialization scheme",
        True, _curves("valid accuracy", *E9_ROWS), e9_init_dependence,
        "Reproduced if at both depths the spread of DTP-σ's final validation accuracy over the three inits "
        "is smaller than DTP's; partly if at one depth; not reproduced otherwise.",
    ),
)  # fmt: skip


def get_claim(claim_id: str) -> Claim:
    """Look a claim up by its id."""
    for claim in CLAIMS:
        if claim.id == claim_id:
            return claim
    raise ValueError(f"unknown claim {claim_id!r}; valid claims: {', '.join(c.id for c in CLAIMS)}")


def _leading_number(text: str) -> float | None:
    """The number a text cell starts with (12.06 for ``"12.06 (65)"``), or None."""
    match = re.match(r"\s*(-?\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else None


def _number(summary: dict[str, Any] | None) -> float | None:
    """A cell's value: its mean over seeds, or the number that a text cell ("12.06 (65)") starts with."""
    if summary is None:
        return None
    if summary["mean"] is not None:
        return summary["mean"]
    return _leading_number(summary["text"] or "")


def judge(claim: Claim, results: list[dict[str, Any]]) -> Verdict:
    """The verdict of ``claim`` from ``results`` (as :func:`~lra_edu.experiments.load_results` gives them).

    The rule runs at the first scale of ``paper``, ``full`` at which every cell it needs has a
    result of the spec's current configuration on the claim's data set; else the verdict is
    ``not run``, with the cells missing at the scale that has the most of them.
    """
    experiment = get_experiment(claim.experiment)
    reader = replace(experiment, cells=claim.read) if claim.read else experiment
    table = aggregate(reader, [r for r in results if r.get("dataset") == claim.dataset])
    missing_at: dict[str, tuple[Cell, ...]] = {}
    for scale in FULL_DATA_SCALES:
        summaries = table.get((claim.dataset, scale), {})
        needed = claim.cells(experiment.scales[scale].epochs)
        values = {cell: _number(summaries.get(cell)) for cell in needed}
        missing = tuple(cell for cell, x in values.items() if x is None)
        if not missing:
            verdict, numbers = claim.rule(values)
            seeds = seed_count_phrase(sorted({summaries[c]["seeds"] for c in needed}))
            return Verdict(claim, verdict, numbers, scale, seeds)
        missing_at[scale] = missing
    fewest = min(missing_at.values(), key=len)
    return Verdict(claim, NOT_RUN, "", None, "", fewest)


def judge_all(results: list[dict[str, Any]], claims: tuple[Claim, ...] = CLAIMS) -> list[Verdict]:
    """The verdict of every claim (default :data:`CLAIMS`) from ``results``."""
    return [judge(claim, results) for claim in claims]


CANNOT_LEARN = 90.0  # the value taken for the papers' "X": chance on ten classes


def paper_number(value: Any) -> float | None:
    """A cell of the papers' tables as a number, or None where the paper gives none.

    Parameters
    ----------
    value : float, str or None
        The cell as :mod:`~lra_edu.experiments.paper_numbers` holds it: a number, a text such as
        ``"12.74 (30)"`` (best error and its epoch), the papers' ``"X"``, or None (no such cell).

    Returns
    -------
    float or None
        The number (``12.74`` for ``"12.74 (30)"``); for ``"X"``, a network that could not learn
        from zero weights, :data:`CANNOT_LEARN` (90.0, chance on ten classes); else None.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if value.strip() == "X":
        return CANNOT_LEARN
    return _leading_number(value)


def paper_verdict(claim: Claim) -> Finding | None:
    """The claim's rule applied to the paper's own numbers for its data set, or None where they lack a cell.

    The cells are those the rule reads at paper scale (``claim.cells`` of the paper's epoch
    count), looked up in the experiment's published tables and read with :func:`paper_number`:
    ``"12.74 (30)"`` counts as 12.74, and an ``"X"`` (the run could not learn from zero
    weights) as 90.0, chance. A claim on curves the papers show only as figures (E1, E6, E9,
    the depth and angle curves of E2 and E5) has no tabulated cells and gives None.

    Returns
    -------
    tuple of str, or None
        ``(verdict, numbers)`` as the rule returns them, or None.
    """
    experiment = get_experiment(claim.experiment)
    tables = experiment.paper.get(claim.dataset, {})
    values: dict[Cell, float] = {}
    for cell in claim.cells(experiment.scales["paper"].epochs):
        table, row, column = cell
        value = paper_number(tables.get(table, {}).get(row, {}).get(column))
        if value is None:
            return None
        values[cell] = value
    return claim.rule(values)


def paper_evidence(claim: Claim) -> str:
    """The verdict on the paper's own numbers with the numbers compared, or "—" where the paper has none."""
    finding = paper_verdict(claim)
    return "—" if finding is None else f"*{finding[0]}*: {finding[1]}"


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|")


def evidence(verdict: Verdict) -> str:
    """A verdict's evidence in words: the numbers compared, the scale and the seeds, or what is missing."""
    experiment = get_experiment(verdict.claim.experiment)
    if verdict.scale is None:
        n = len(verdict.missing)
        return f"no current stored result for {n} of the cells the rule reads; `{experiment.command('full')}`"
    scale = f"{verdict.scale} scale: {scale_description(experiment, verdict.scale)}"
    return f"{verdict.numbers} ({verdict.claim.dataset}, {scale}; {verdict.seeds})"


def verdict_table(verdicts: list[Verdict]) -> str:
    """A Markdown (MyST) table of verdicts: claim, source, verdict, evidence, the paper's verdict, chapter.

    The column "the paper's own numbers" is the claim's rule applied to the paper's table
    (:func:`paper_evidence`). The chapter column links each claim's experiment chapter with the
    ``{doc}`` role, so the table must be rendered as MyST, not plain GitHub Markdown.
    """
    lines = [
        "| claim | paper, section | verdict | evidence | the paper's own numbers | chapter |",
        "|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        c = v.claim
        words = f"“{c.text}”" if c.quoted else f"{c.text} (paraphrased)"
        chapter = f"{{doc}}`{get_experiment(c.experiment).name}`"
        claim = f"**{c.id}**: {words}"
        cells = [claim, c.source, f"**{v.verdict}**", evidence(v), paper_evidence(c), chapter]
        lines.append("| " + " | ".join(_cell_text(x) for x in cells) + " |")
    return "\n".join(lines)


def rules_list(claims: tuple[Claim, ...] = CLAIMS) -> str:
    """A Markdown list of every claim's rule in words, by claim id."""
    return "\n".join(f"- **{c.id}**: {c.rule_words}" for c in claims)
