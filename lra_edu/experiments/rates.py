"""Fair comparisons: every algorithm gets its own learning rate, chosen on validation from one grid.

A comparison of algorithms at one shared learning rate favours whichever algorithm that
rate suits (LRA's capped batch-sum steps and backprop's batch-mean gradients mean
different things by the same number). :func:`choose_rates` gives each algorithm of a
comparison its own rate by the protocol of :mod:`lra_edu.experiments.tuning`, applied to
this one knob:

* **Grid.** Every algorithm is trained at every rate of one grid (:data:`RATES` by
  default), with the same network, initialization, seeds, epochs and data.
* **Score.** A run's score is its best validation error (%) over the trained epochs, 100
  if it diverged (:func:`~lra_edu.experiments.tuning.trial_score`); a rate's score is the
  mean over the seeds.
* **Choice.** Each algorithm takes the rate with the lowest score; ties (within
  :data:`TIE` points) go to the rate listed first. No choice ever reads the test split.

All rates and seeds of one algorithm train in one ensemble pass through the library's
training loop (:func:`lra_edu.train.fit`, see :mod:`lra_edu.ensemble`); each member's
history equals its lone run, so the runs at the chosen rate are the comparison's runs
and nothing needs retraining.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lra_edu.activations import get_unit
from lra_edu.algorithms import Algorithm, make_algorithm
from lra_edu.backend import RNG
from lra_edu.datasets import Dataset
from lra_edu.ensemble import member_algorithm, member_network, stack_algorithms, stack_networks
from lra_edu.experiments.runner import ENSEMBLE_SAFE
from lra_edu.experiments.tuning import TIE, first_lowest, trial_score
from lra_edu.mlp import MLP
from lra_edu.optimizers import get_optimizer
from lra_edu.train import History, fit

#: The shared grid: five rates about a factor of 3 apart, two decades in all.
RATES = (0.01, 0.03, 0.1, 0.3, 1.0)


@dataclass
class Contender:
    """One algorithm of a comparison: its registry name and hyperparameters."""

    algorithm: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class RateChoice:
    """One algorithm's learning rates: every rate's score and the runs at the chosen rate.

    Attributes
    ----------
    rate : float
        The chosen rate.
    scores : dict
        ``{rate: score}`` for every rate of the grid, in the grid's order (score: best
        validation error in %, mean over seeds).
    histories, nets, algorithms : list
        The runs at the chosen rate, one per seed: their histories, trained networks and
        algorithm states (e.g. LRA-fdbk's feedback matrices).
    """

    rate: float
    scores: dict[float, float]
    histories: list[History]
    nets: list[MLP]
    algorithms: list[Algorithm]

    @property
    def history(self) -> History:
        """The first seed's history at the chosen rate."""
        return self.histories[0]

    @property
    def score(self) -> float:
        """The chosen rate's score."""
        return self.scores[self.rate]


def run_score(history: History) -> float:
    """A run's score: its best validation error (%) over trained epochs; 100 if it diverged."""
    return trial_score({"status": "diverged" if history.diverged else "ok", "curves": history.records})


def pick_rate(scores: Mapping[float, float], tie: float = TIE) -> float:
    """The rate with the lowest score; ties (within ``tie`` points) go to the rate listed first."""
    if not scores:
        raise ValueError("no scores to choose from: give at least one rate")
    return list(scores)[first_lowest(list(scores.values()), tie)]


def _check(rates: Sequence[float], seeds: Sequence[int], optimizer: str, unit: str) -> None:
    if not rates:
        raise ValueError("rates must name at least one learning rate, e.g. lra_edu.experiments.rates.RATES")
    if len(set(rates)) != len(rates):
        raise ValueError(f"rates must be distinct, got {tuple(rates)}")
    if not seeds:
        raise ValueError("seeds must name at least one seed, e.g. (0,)")
    if ":" in optimizer:
        raise ValueError(f"give the optimizer's name without a rate (e.g. 'sgd'), got {optimizer!r}")
    for rate in rates:
        get_optimizer(f"{optimizer}:{rate}")  # a clear error for a bad name or rate
    if get_unit(unit).stochastic:
        raise ValueError(f"unit {unit!r} is stochastic: its runs cannot train together as one ensemble")


def train_rates(
    contender: Contender,
    data: Dataset,
    sizes: Sequence[int],
    unit: str,
    init: str,
    rates: Sequence[float] = RATES,
    seeds: Sequence[int] = (0,),
    epochs: int = 1,
    optimizer: str = "sgd",
    batch_size: int = 50,
    track_angle: bool = False,
    dtype: str = "float32",
) -> tuple[MLP, Algorithm, list[History]]:
    """Train ``contender`` at every rate and seed in one ensemble pass.

    Returns the ensemble network, its algorithm and one history per member, members
    ordered rate by rate and, within a rate, seed by seed. Member (rate, seed) equals
    ``train(MLP(sizes, unit, init, seed), ..., f"{optimizer}:{rate}", seed=seed)``.
    """
    _check(rates, seeds, optimizer, unit)
    if contender.algorithm not in ENSEMBLE_SAFE:
        raise ValueError(
            f"algorithm {contender.algorithm!r} cannot train as an ensemble; "
            f"choose_rates takes {', '.join(sorted(ENSEMBLE_SAFE))}"
        )
    halts = contender.hyperparameters.get("eps", 0) > 0
    if halts and optimizer != "sgd":
        raise ValueError(f"LRA that halts (eps > 0) trains as an ensemble with SGD only, got {optimizer!r}")
    nets, algos, rngs = [], [], []
    for _ in rates:
        for seed in seeds:
            net = MLP(sizes, unit, init=init, seed=seed, dtype=dtype)
            algo = make_algorithm(contender.algorithm, **contender.hyperparameters)
            rng = RNG(seed)
            algo.setup(net, rng.spawn())
            nets.append(net)
            algos.append(algo)
            rngs.append(rng)
    ens, algo = stack_networks(nets), stack_algorithms(algos)
    opt = type(get_optimizer(optimizer))([float(rate) for rate in rates for _ in seeds])
    members = {"members": [f"rate {rate}, seed {seed}" for rate in rates for seed in seeds]}
    histories = fit(ens, algo, data, opt, rngs, epochs, batch_size, members, False, track_angle)
    return ens, algo, histories


def choose_rates(
    contenders: Mapping[str, Contender],
    data: Dataset,
    sizes: Sequence[int],
    unit: str,
    init: str,
    rates: Sequence[float] = RATES,
    seeds: Sequence[int] = (0,),
    epochs: int = 1,
    optimizer: str = "sgd",
    batch_size: int = 50,
    track_angle: bool = False,
    dtype: str = "float32",
) -> dict[str, RateChoice]:
    """Give every contender its own learning rate from ``rates``, chosen on validation.

    Parameters
    ----------
    contenders : dict
        ``{label: Contender}``, the algorithms of the comparison.
    data, sizes, unit, init, seeds, epochs, batch_size, dtype
        The comparison's setting, the same for every contender and rate.
    rates : sequence of float
        The shared grid, listed in order of preference for ties.
    optimizer : str
        The optimizer's name (``"sgd"``); each run gets it at one rate of the grid.
    track_angle : bool
        Record each run's angle to backprop's update (as :func:`lra_edu.train.train`).

    Returns
    -------
    dict
        ``{label: RateChoice}``, in the order of ``contenders``.
    """
    if not contenders:
        raise ValueError("choose_rates needs at least one contender")
    rates, seeds = tuple(rates), tuple(seeds)
    out = {}
    for label, contender in contenders.items():
        ens, algo, histories = train_rates(
            contender,
            data,
            sizes,
            unit,
            init,
            rates,
            seeds,
            epochs,
            optimizer,
            batch_size,
            track_angle,
            dtype,
        )
        per_rate = {rate: histories[i * len(seeds) : (i + 1) * len(seeds)] for i, rate in enumerate(rates)}
        scores = {rate: statistics.fmean(run_score(h) for h in hs) for rate, hs in per_rate.items()}
        rate = pick_rate(scores)
        first = rates.index(rate) * len(seeds)
        members = range(first, first + len(seeds))
        out[label] = RateChoice(
            rate=rate,
            scores=scores,
            histories=per_rate[rate],
            nets=[member_network(ens, r) for r in members],
            algorithms=[member_algorithm(algo, r) for r in members],
        )
    return out


def rate_table(choices: Mapping[str, RateChoice]) -> str:
    """A Markdown table of the scores: one row per algorithm, one column per rate, the choice in bold."""
    if not choices:
        raise ValueError("rate_table needs at least one RateChoice")
    rates = list(next(iter(choices.values())).scores)
    if any(list(c.scores) != rates for c in choices.values()):
        raise ValueError("rate_table compares choices made on one grid; these have different rates")
    lines = [
        "| algorithm | " + " | ".join(f"rate {r:g}" for r in rates) + " | chosen |",
        "|---|" + "---:|" * len(rates) + "---:|",
    ]
    for label, choice in choices.items():
        cells = [
            f"**{choice.scores[r]:.1f}**" if r == choice.rate else f"{choice.scores[r]:.1f}" for r in rates
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {choice.rate:g} |")
    return "\n".join(lines)
