"""Experiment specifications: a grid of fully specified runs plus the paper's numbers.

One :class:`Experiment` describes a figure or table of the papers. Its ``runs(scale)``
method yields :class:`RunConfig` objects, the same grid at every scale: ``paper`` uses
the papers' settings (full data, 100 epochs, ...), ``full`` keeps the full data and every
setting but trains fewer epochs (a budget a 2-core CPU finishes in an hour or two; the
report says so beside every ``full`` cell), and ``quick`` shrinks data and epochs so that
the whole grid runs in about a minute on a laptop CPU. Each run carries the
``cell`` of the paper table it fills, so reports can put our number beside the paper's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

SCALES = ("quick", "full", "paper")

#: Symbols of table labels spelled out in run ids, so result file names are ASCII.
SPELLED_OUT = {"σ": "sigma", "β": "beta", "γ": "gamma", "ε": "eps", "×": "x"}


@dataclass(frozen=True)
class Scale:
    """How a scale shrinks a run: epochs, training subset and test subset."""

    epochs: int
    train_subset: int | None = None
    test_subset: int | None = None


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to reproduce one training run (except the seed and dataset)."""

    algorithm: str
    hidden: tuple[int, ...]
    unit: str = "tanh"
    init: str = "gaussian:0.05"
    optimizer: str = "sgd:0.01"
    batch_size: int = 50
    epochs: int = 100
    train_subset: int | None = None
    test_subset: int | None = None
    valid_size: int | None = None
    hyperparameters: tuple[tuple[str, Any], ...] = ()
    track_angle: bool = False
    #: Optional second phase (fine-tuning): ``(algorithm, optimizer, epochs)``.
    finetune: tuple[str, str, int] | None = None
    #: Posterior samples averaged at evaluation (stochastic networks).
    samples: int = 1
    #: Training images the training error is measured on each epoch (None: all of them).
    train_eval_subset: int | None = None
    #: The paper-table cell this run fills: ``(table, row, column)``.
    cell: tuple[str, str, str] = ("", "", "")

    @property
    def run_id(self) -> str:
        """A readable, stable name: table cell plus a short hash of the configuration."""
        label = "-".join(p for p in self.cell if p) or self.algorithm
        label = "".join(SPELLED_OUT.get(c, c) for c in label.replace(" ", "_"))
        slug = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in label)
        digest = hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
        return f"{slug}-{digest}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the configuration."""
        d = asdict(self)
        if self.train_eval_subset is None:  # unset, it leaves the run id unchanged
            del d["train_eval_subset"]
        d["hidden"] = list(self.hidden)
        d["hyperparameters"] = dict(self.hyperparameters)
        return d


@dataclass
class Experiment:
    """One experiment of the papers (E1 … E9).

    Attributes
    ----------
    key, name, title : str
        ``"E2"``, ``"init-robustness"``, and a human title.
    source : str
        Where it is in the papers, e.g. ``"[LRA18] §3.2, Table 1"``.
    grid : callable
        ``grid(scale: Scale) -> list[RunConfig]``.
    scales : dict
        The :class:`Scale` of ``quick``, ``full`` and ``paper``.
    paper : dict
        The paper's numbers: ``{dataset: {table: {row: {column: value}}}}``.
    cells : callable, optional
        ``cells(result) -> {(table, row, column): value}``: the table cells one stored
        result fills; by default the run's own ``cell`` gets the test error (%) at the
        epoch of best validation error.
    """

    key: str
    name: str
    title: str
    source: str
    grid: Callable[[Scale], list[RunConfig]]
    scales: dict[str, Scale]
    paper: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    cells: Callable[[dict[str, Any]], dict[tuple[str, str, str], float]] | None = None
    notes: str = ""
    _current: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)

    def cell_values(self, result: dict[str, Any]) -> dict[tuple[str, str, str], float]:
        """The table cells filled by one stored run result."""
        if self.cells is not None:
            return self.cells(result)
        return {tuple(result["cell"]): result["best"]["test_error"]}

    def is_current(self, result: dict[str, Any]) -> bool:
        """Whether a stored ``result`` was made with the configuration the spec asks for today.

        A run's id hashes its whole configuration, so a result made before a setting of
        the spec changed (a superseded reading) no longer matches any run of the grid.
        """
        scale = result.get("scale")
        if scale not in self.scales:
            return False
        if scale not in self._current:
            self._current[scale] = {r.run_id for r in self.runs(scale)}
        return result.get("run_id") in self._current[scale]

    def runs(self, scale: str) -> list[RunConfig]:
        """The grid of runs at ``scale`` ('quick', 'full' or 'paper')."""
        if scale not in self.scales:
            raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(self.scales)}")
        return self.grid(self.scales[scale])

    def command(self, scale: str = "paper", dataset: str | None = None) -> str:
        """The ``lra-edu run`` command line that computes this experiment at ``scale`` (on ``dataset``)."""
        if scale not in self.scales:
            raise ValueError(f"unknown scale {scale!r}; valid scales: {', '.join(self.scales)}")
        return f"lra-edu run {self.name} --scale {scale}" + (f" --dataset {dataset}" if dataset else "")
