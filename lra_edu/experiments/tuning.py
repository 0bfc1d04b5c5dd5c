"""Tuning studies: the constants the papers leave unstated, chosen on validation error.

Protocol (the same for every study, LRA and baselines alike):

* **Data.** Fashion-MNIST. Each trial trains on a seeded subset of 5,000 training
  images for 3 epochs (the ``tune`` scale) and is judged on the experiment's own
  validation split (10,000 images for [LRA18]'s experiments, 2,000 for [LRA19]'s).
  The test split is evaluated on 1,000 images only because every run records all
  splits; no selection ever reads it.
* **Score.** A trial's score is its best validation error over the trained epochs; a
  run that diverges or never breaks symmetry scores 100 %. A setting's score is the
  mean over its contexts (e.g. the 3- and 8-layer nets) and seeds.
* **Labels.** Settings are labelled in ASCII (``beta``, ``gamma``, ``sigma_E``): the labels
  name the result files.
* **Choice.** The setting with the lowest score. Ties (within 0.01 points) go to the
  setting listed first, which is the paper's own reading where there is one. A study
  whose contexts differ in a way the experiment itself varies (``choose_within``, e.g.
  the unit of E2's sigmoid and tanh columns) makes one choice per value of that field,
  each from its own contexts only.
* **Budget.** Every study states its grid: settings × contexts × seeds × 3 epochs ×
  5,000 images. Studies of one experiment give the baselines that the paper leaves
  unspecified the same per-trial budget as LRA.

Each study is an :class:`~lra_edu.experiments.spec.Experiment` whose table cell is
``("tuning", context, setting)``, so ``lra-edu tune NAME`` runs it with the resumable
experiment runner, one JSON per trial under ``results/tuning/``.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lra_edu.experiments.spec import Experiment, RunConfig, Scale

#: The one scale of every study: 3 epochs on 5,000 training images (test on 1,000).
TUNE = Scale(epochs=3, train_subset=5000, test_subset=1000)
TUNE_SEEDS = (0, 1)
#: Scores within this many points of the lowest are ties, won by the one listed first.
TIE = 0.01


@dataclass
class Study:
    """One tuning question: a grid of settings, tried in a few contexts.

    Attributes
    ----------
    name, title : str
        ``"lra-e-init"`` and a human title.
    experiment : str
        The experiment(s) whose specs take the chosen values, e.g. ``"E6, E7, E8"``.
    paper_says : str
        What the papers say about the constants, quoted where they say anything.
    base : dict
        RunConfig fields shared by every trial.
    contexts : dict
        ``{label: RunConfig fields}``: the settings the choice must hold across.
    settings : dict
        ``{label: RunConfig fields}``: the candidate values (paper's reading first).
    seeds : tuple of int
        Seeds of every trial.
    values : dict
        ``{label: {constant: value}}``: what each setting sets, for sensitivity plots.
    targets : tuple of (experiment name, algorithm)
        The runs that take the chosen setting: every run of that algorithm in that
        experiment's grid (empty for a study that only checks).
    first_is : str
        What the first setting listed is, as the summary table marks it.
    choose_within : str
        A RunConfig field (e.g. ``"unit"``) whose values split the contexts into groups
        with one choice each; ``""`` (the default) makes one choice for all contexts.
    """

    name: str
    title: str
    experiment: str
    paper_says: str
    base: dict[str, Any]
    contexts: dict[str, dict[str, Any]]
    settings: dict[str, dict[str, Any]]
    seeds: tuple[int, ...] = TUNE_SEEDS
    notes: str = ""
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: tuple[tuple[str, str], ...] = ()
    choose_within: str = ""
    first_is: str = "the paper's reading"
    spec: Experiment = field(init=False)

    def __post_init__(self) -> None:
        self.spec = Experiment(
            key=self.name,
            name=self.name,
            title=self.title,
            source=self.experiment,
            grid=self._grid,
            scales={"tune": TUNE},
            notes=self.notes,
            cells=_score_cell,
        )

    def _grid(self, scale: Scale) -> list[RunConfig]:
        runs = []
        for context, c in self.contexts.items():
            for setting, s in self.settings.items():
                fields = {**self.base, **c, **s}
                hyper = {**dict(self.base.get("hyperparameters", ())), **dict(c.get("hyperparameters", ()))}
                hyper.update(dict(s.get("hyperparameters", ())))
                fields["hyperparameters"] = tuple(sorted(hyper.items()))
                run = RunConfig(**fields, cell=("tuning", context, setting))
                runs.append(
                    replace(
                        run,
                        epochs=scale.epochs,
                        train_subset=scale.train_subset,
                        test_subset=scale.test_subset,
                    )
                )
        return runs

    @property
    def groups(self) -> list[str | None]:
        """The values of ``choose_within`` in context order (``[None]``: one choice)."""
        if not self.choose_within:
            return [None]
        return list(dict.fromkeys(self.group_of(c) for c in self.contexts))

    def group_of(self, context: str) -> str | None:
        """The group a context belongs to (None when the study makes one choice)."""
        if not self.choose_within:
            return None
        fields = {**self.base, **self.contexts[context]}
        return str(fields[self.choose_within])

    def contexts_of(self, group: str | None) -> list[str]:
        """The contexts whose trials decide ``group``'s choice (all of them for None)."""
        if group is not None and group not in self.groups:
            raise ValueError(
                f"study {self.name!r} has no group {group!r}; its groups: {', '.join(map(str, self.groups))}"
            )
        return [c for c in self.contexts if group is None or self.group_of(c) == group]

    @property
    def budget(self) -> str:
        """The study's budget in words: trials × epochs × images."""
        n = len(self.settings) * len(self.contexts) * len(self.seeds)
        return (
            f"{len(self.settings)} settings × {len(self.contexts)} contexts × {len(self.seeds)} seeds = "
            f"{n} trials of {TUNE.epochs} epochs on {TUNE.train_subset:,} images"
        )


def grid(
    label: Callable[..., str], fields: Callable[..., dict[str, Any]], **axes: Sequence[Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every combination of ``axes``: ``({label: RunConfig fields}, {label: values})``."""
    settings, values = {}, {}
    for combo in itertools.product(*axes.values()):
        v = dict(zip(axes, combo))
        settings[label(**v)] = fields(**v)
        values[label(**v)] = v
    return settings, values


def _score_cell(result: dict[str, Any]) -> dict[tuple[str, str, str], float]:
    return {tuple(result["cell"]): trial_score(result)}


def trial_score(result: dict[str, Any]) -> float:
    """A trial's score: its best validation error (%) over trained epochs; 100 if it failed."""
    if result.get("status", "ok") != "ok":
        return 100.0
    errors = [r.get("valid_error") for r in result.get("curves", []) if r.get("epoch", 0) > 0]
    errors = [e for e in errors if isinstance(e, (int, float)) and not math.isnan(e)]
    return min(errors) if errors else 100.0


def _e7_base(depths: Sequence[int]) -> dict[str, dict[str, Any]]:
    return {f"{d} layers": {"hidden": (256,) * d} for d in depths}


def _e2_contexts() -> dict[str, dict[str, Any]]:
    return {
        f"{unit} {label}": {"unit": unit, "init": init}
        for unit in ("sigmoid", "tanh")
        for label, init in (("zero init", "zeros"), ("std 0.05", "gaussian:0.05"))
    }


_LRA_E_STD_LABELS = {
    0.2236: "0.2236 (variance 0.05)",
    0.1: "0.1 (authors' code)",
    0.05: "0.05",
    0.025: "0.025",
}

STUDIES: dict[str, Study] = {}


def _register(study: Study) -> Study:
    STUDIES[study.name] = study
    return study


_lra_e_settings, _lra_e_values = grid(
    lambda std, gamma: f"std {_LRA_E_STD_LABELS[std]}, gamma {gamma}",
    lambda std, gamma: {"init": f"gaussian:{std}", "hyperparameters": (("gamma", gamma), ("sigma_e", std))},
    std=(0.2236, 0.1, 0.05, 0.025),
    gamma=(0.5, 0.25, 1.0),
)
LRA_E_INIT = _register(
    Study(
        "lra-e-init",
        "LRA-E: initial weight scale and error-weight rate γ",
        "E6, E7, E8",
        "[LRA19]: 'we initialized the parameters using a zero-mean Gaussian distribution (variance of "
        "0.05)'; γ is only said to be below 1. The authors' code uses W ~ N(0, 0.1²) and γ = 1.",
        base={"algorithm": "lra_e", "unit": "tanh", "optimizer": "sgd:0.01", "valid_size": 2000},
        contexts=_e7_base((3, 8)),
        settings=_lra_e_settings,
        values=_lra_e_values,
        targets=(("update-angles", "lra_e"), ("depth-sweep", "lra_e"), ("optimizers", "lra_e")),
        notes="The error weights E start at the same scale as the weights (both are 'the parameters').",
    )
)

_bp_settings, _bp_values = grid(
    lambda init, lr: f"{init.replace('gaussian:', 'std ')}, SGD {lr}",
    lambda init, lr: {"init": init, "optimizer": f"sgd:{lr}"},
    init=("glorot", "gaussian:0.2236", "gaussian:0.1", "gaussian:0.05"),
    lr=(0.01, 0.005, 0.02),
)
BP_E7_BUDGET = _register(
    Study(
        "bp-e7-budget",
        "Backprop on LRA-E's budget: initial scale and learning rate",
        "E7 (check only)",
        "[LRA19] states Backprop's settings: Glorot uniform init and SGD 0.01. They are kept in E7; "
        "this study gives Backprop the same number of trials as LRA-E's study, to show what tuning "
        "would have bought it.",
        base={"algorithm": "bp", "unit": "tanh", "valid_size": 2000},
        contexts=_e7_base((3, 8)),
        settings=_bp_settings,
        values=_bp_values,
        seeds=(0,),
    )
)

_EP_RATES = {1.0: ("one rate 0.01", "sgd:0.01"), 4.0: ("rates x4 per layer from 0.002", "sgd:0.002")}
# The nudge is the book's zeta (the library's and the label's ``beta``).
_ep_settings, _ep_values = grid(
    lambda rate_ratio, zeta, n_free: f"{_EP_RATES[rate_ratio][0]}, beta {zeta}, {n_free} free steps",
    lambda rate_ratio, zeta, n_free: {
        "optimizer": _EP_RATES[rate_ratio][1],
        "hyperparameters": (("beta", zeta), ("n_free", n_free), ("rate_ratio", rate_ratio)),
    },
    rate_ratio=(1.0, 4.0),
    zeta=(0.5, 1.0),
    n_free=(20, 40),
)
EQUIL_PROP = _register(
    Study(
        "equil-prop",
        "Equilibrium propagation: learning rates per layer, nudge β and free steps",
        "E7",
        "[LRA19] gives no setting for Equil-Prop. Scellier & Bengio (2017) use per-layer rates that "
        "grow by a factor of about 4 per layer downwards, β = 1, and 20 to 500 free steps (more for "
        "deeper nets).",
        base={
            "algorithm": "equil_prop",
            "unit": "tanh",
            "init": "glorot",
            "valid_size": 2000,
            "hyperparameters": (("n_nudged", 4), ("step", 0.5)),
        },
        contexts=_e7_base((3,)),
        settings=_ep_settings,
        values=_ep_values,
        targets=(("depth-sweep", "equil_prop"),),
        seeds=(0,),
        choose_within="hidden",
        notes="One seed: a trial costs 3 to 6 minutes of one core. The choice holds for the 3-layer "
        "net it was made on: a rate ratio of 4 per layer would give the bottom layer of the 5- and "
        "8-layer nets 4^5 and 4^8 times the top layer's rate.",
    )
)

_fdbk_settings, _fdbk_values = grid(
    lambda beta, c1, c2, sigma_e: f"beta {beta}, c1 {c1}, c2 {c2}, sigma_E {sigma_e}",
    lambda beta, c1, c2, sigma_e: {
        "hyperparameters": (("beta", beta), ("c1", c1), ("c2", c2), ("sigma_e", sigma_e))
    },
    beta=(1.0, 0.3, 0.1),
    c1=(5.0, 50.0),
    c2=(20.0, None),
    sigma_e=(1.0,),
)
LRA_FDBK_CAPS = _register(
    Study(
        "lra-fdbk-caps",
        "LRA-fdbk: target step β and the norm caps c1 and c2",
        "E2",
        "[LRA18] gives no values for β, c1 or c2; its §2.5 says parameter updates are rescaled to "
        "norm c1. E is a standard Gaussian (§3.5), so σ_E = 1 is kept.",
        base={"algorithm": "lra_fdbk", "hidden": (128,) * 8, "optimizer": "sgd:0.01"},
        contexts=_e2_contexts(),
        settings=_fdbk_settings,
        values=_fdbk_values,
        targets=(("init-robustness", "lra_fdbk"),),
        seeds=(0,),
        choose_within="unit",
        first_is="the library's default",
        notes="One choice per unit: on the sigmoid nets most settings stay at chance for the whole "
        "budget, so a mean over both units would let the tanh nets decide for the sigmoid column.",
    )
)

#: The caps ``lra-fdbk-caps`` chose per unit: the fixed part of every ``lra-fdbk-halt`` trial.
FDBK_CAPS = {
    unit: _fdbk_settings[label]["hyperparameters"]
    for unit, label in (
        ("sigmoid", "beta 1.0, c1 50.0, c2 20.0, sigma_E 1.0"),
        ("tanh", "beta 0.1, c1 5.0, c2 20.0, sigma_E 1.0"),
    )
}
_halt_settings, _halt_values = grid(
    lambda eps: f"eps {eps}", lambda eps: {"hyperparameters": (("eps", eps),)}, eps=(0.0, 0.1, 0.3, 1.0, 3.0)
)
LRA_FDBK_HALT = _register(
    Study(
        "lra-fdbk-halt",
        "LRA-fdbk: the halting threshold ε",
        "E2",
        "[LRA18] Algorithm 1 stops the backward sweep where a layer's local loss is below ε, and "
        "Fig 5 shows the credit-assignment depth falling during training; no value of ε is given.",
        base={"algorithm": "lra_fdbk", "hidden": (128,) * 8, "optimizer": "sgd:0.01"},
        contexts={
            label: {**fields, "hyperparameters": FDBK_CAPS[fields["unit"]]}
            for label, fields in _e2_contexts().items()
        },
        settings=_halt_settings,
        values=_halt_values,
        targets=(("init-robustness", "lra_fdbk"),),
        seeds=(0,),
        choose_within="unit",
        first_is="never halt: the library's default",
        notes="Each unit keeps the caps lra-fdbk-caps chose for it; ε is the batch-mean local loss "
        "below which a layer, and every layer under it, is skipped.",
    )
)

_dtp_settings, _dtp_values = grid(
    lambda lr: f"RMSprop {lr}", lambda lr: {"optimizer": f"rmsprop:{lr}"}, lr=(0.001, 0.0003, 0.003)
)
DTP_E2_RATE = _register(
    Study(
        "dtp-e2-rate",
        "DTP in E2: RMSprop's learning rate",
        "E2",
        "[LRA18] does not say how DTP was trained; [LRA19] uses RMSprop 0.001 for DTP.",
        base={"algorithm": "dtp", "hidden": (128,) * 8},
        contexts=_e2_contexts(),
        settings=_dtp_settings,
        values=_dtp_values,
        targets=(("init-robustness", "dtp"),),
    )
)


def trial_table(study: Study, results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per stored trial of ``study``: context, setting, seed, score."""
    rows = []
    for r in results:
        if r.get("experiment") != study.name:
            continue
        _, context, setting = r["cell"]
        rows.append({"context": context, "setting": setting, "seed": r["seed"], "score": trial_score(r)})
    return rows


def summarize(
    study: Study, results: Sequence[dict[str, Any]], group: str | None = None
) -> list[dict[str, Any]]:
    """Per setting: the mean score over contexts and seeds, per-context means, and trial count.

    Rows follow the study's order of settings; only settings with every trial stored
    get a ``score`` (the others show how many of their trials are missing). With
    ``group``, only that group's contexts count (see ``Study.choose_within``).
    """
    contexts = study.contexts_of(group)
    by: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in trial_table(study, results):
        if row["context"] in contexts:
            by[row["setting"]][row["context"]].append(row["score"])
    wanted = len(contexts) * len(study.seeds)
    out = []
    for setting in study.settings:
        cells = by.get(setting, {})
        scores = [s for c in cells.values() for s in c]
        per_context = {c: statistics.fmean(cells[c]) for c in contexts if cells.get(c)}
        spread = [statistics.stdev(cells[c]) for c in contexts if len(cells.get(c, [])) > 1]
        out.append(
            {
                "setting": setting,
                "score": statistics.fmean(scores) if len(scores) == wanted else None,
                "contexts": per_context,
                "seed_std": statistics.fmean(spread) if spread else None,
                "trials": len(scores),
                "missing": wanted - len(scores),
            }
        )
    return out


def first_lowest(scores: Sequence[float], tie: float = TIE) -> int:
    """The index of the lowest score; scores within ``tie`` points of it go to the earliest."""
    best = min(scores)
    return next(i for i, score in enumerate(scores) if score <= best + tie)


def choose(
    study: Study, results: Sequence[dict[str, Any]], group: str | None = None
) -> dict[str, Any] | None:
    """The chosen setting's summary row (lowest score, earliest on ties); None until complete.

    A study that chooses within groups (``Study.choose_within``) needs the ``group``.
    """
    if study.choose_within and group is None:
        raise ValueError(
            f"study {study.name!r} makes one choice per {study.choose_within}: "
            f"pass group= one of {', '.join(map(str, study.groups))}"
        )
    rows = summarize(study, results, group)
    if any(r["score"] is None for r in rows):
        return None
    return rows[first_lowest([r["score"] for r in rows])]


def choices(study: Study, results: Sequence[dict[str, Any]]) -> dict[str | None, dict[str, Any] | None]:
    """``{group: chosen row or None}`` for every group of the study (``{None: row}`` without groups)."""
    return {group: choose(study, results, group) for group in study.groups}


def chosen_fields(
    study: Study, results: Sequence[dict[str, Any]], group: str | None = None
) -> dict[str, Any] | None:
    """The RunConfig fields of the chosen setting (None until the study is complete)."""
    row = choose(study, results, group)
    return None if row is None else study.settings[row["setting"]]


def get_study(name: str) -> Study:
    """Look a study up by name; the error lists the valid names."""
    if name not in STUDIES:
        raise ValueError(f"unknown tuning study {name!r}; valid studies: {', '.join(STUDIES)}")
    return STUDIES[name]


def tuning_dir(root: str | Path) -> Path:
    """Where a results folder keeps its tuning trials."""
    return Path(root) / "tuning"


def study_results(study: Study, root: str | Path) -> list[dict[str, Any]]:
    """The stored trials of ``study`` under ``root`` (a results folder)."""
    from lra_edu.experiments.report import load_results

    return [r for r in load_results(tuning_dir(root)) if r.get("experiment") == study.name]


def sensitivity(
    study: Study, results: Sequence[dict[str, Any]], group: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Validation error against each constant, the others held at the chosen setting.

    Returns ``{constant: [{"value": v, "setting": label, "scores": {context: [per seed]}}]}``
    in the study's order of values, over ``group``'s contexts; empty until the study is
    complete.
    """
    row = choose(study, results, group)
    if row is None or not study.values:
        return {}
    chosen = study.values[row["setting"]]
    contexts = study.contexts_of(group)
    trials: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for t in trial_table(study, results):
        if t["context"] in contexts:
            trials[t["setting"]][t["context"]].append(t["score"])
    out: dict[str, list[dict[str, Any]]] = {}
    for constant in chosen:
        points = []
        for label, values in study.values.items():
            if all(values[k] == chosen[k] for k in chosen if k != constant):
                points.append({"value": values[constant], "setting": label, "scores": dict(trials[label])})
        out[constant] = points
    return out


def spec_mismatches(study: Study, fields: dict[str, Any], group: str | None = None) -> list[str]:
    """Where the experiment specs differ from a setting's ``fields`` (``[]``: they agree).

    Checks every run of each of ``study.targets`` at every scale (only the runs of
    ``group`` for a study that chooses within groups): each field the setting fixes must
    have the setting's value, and each hyperparameter must be the value the run's
    algorithm actually uses (given in the spec or its default).
    """
    from lra_edu.algorithms import make_algorithm
    from lra_edu.experiments.catalog import EXPERIMENTS

    problems = []
    for name, algorithm in study.targets:
        experiment = EXPERIMENTS[name]
        for scale in experiment.scales:
            for run in experiment.runs(scale):
                if run.algorithm != algorithm:
                    continue
                if group is not None and str(getattr(run, study.choose_within)) != group:
                    continue
                for key, want in fields.items():
                    if key == "hyperparameters":
                        algo = make_algorithm(run.algorithm, **dict(run.hyperparameters))
                        used = algo.hyperparameter_values()
                        problems += [
                            f"{name} {scale} {run.run_id}: {k} = {used.get(k)!r}, tuned {v!r}"
                            for k, v in want
                            if used.get(k) != v
                        ]
                    elif getattr(run, key) != want:
                        have = getattr(run, key)
                        problems.append(f"{name} {scale} {run.run_id}: {key} = {have!r}, tuned {want!r}")
    return problems


def describe(study: Study, results: Sequence[dict[str, Any]], top: int = 5) -> str:
    """A Markdown summary of a study: its budget, the best settings and the choice (per group)."""
    done = len(trial_table(study, results))
    total = len(study.settings) * len(study.contexts) * len(study.seeds)
    if done == 0:
        return f"*No trials of `{study.name}` are stored yet: run `lra-edu tune {study.name}`.*"
    text = [
        f"Budget: {study.budget} ({done} of {total} stored). Score: best validation error (%), "
        "mean over contexts and seeds."
    ]
    for group in study.groups:
        text += ["", *_describe_group(study, results, group, top)]
    return "\n".join(text)


def _describe_group(
    study: Study, results: Sequence[dict[str, Any]], group: str | None, top: int
) -> list[str]:
    rows = summarize(study, results, group)
    contexts = study.contexts_of(group)
    head = "| setting | score | " + " | ".join(contexts) + " |\n|---|---|" + "---|" * len(contexts)
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: r["score"])
    first = rows[0]
    shown = ranked[:top] + ([first] if first not in ranked[:top] and first["score"] is not None else [])
    lines = [head]
    for r in shown:
        cells = " | ".join(f"{r['contexts'][c]:.1f}" if c in r["contexts"] else "–" for c in contexts)
        mark = f" ({study.first_is})" if r is first else ""
        lines.append(f"| {r['setting']}{mark} | {r['score']:.1f} | {cells} |")
    lead = "The" if group is None else f"{study.choose_within.capitalize()} {group}: the"
    text = [f"{lead} {len(shown)} best settings:", "", "\n".join(lines), ""]
    chosen = choose(study, results, group)
    if chosen is None:
        missing = sum(r["missing"] for r in rows)
        text.append(f"*{missing} trials are still missing; no choice is made until all are stored.*")
    else:
        seed_note = (
            f" (seed-to-seed spread within a context: ±{chosen['seed_std']:.1f} points)"
            if chosen["seed_std"] is not None
            else " (one seed per trial)"
        )
        text.append(
            f"**Chosen{' for ' + study.choose_within + ' ' + group if group else ''}: "
            f"{chosen['setting']}**, score {chosen['score']:.1f}%{seed_note}."
        )
    return text
