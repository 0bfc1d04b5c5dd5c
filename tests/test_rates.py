"""Fair comparisons: each algorithm's rate from one grid, chosen on validation only."""

from dataclasses import replace

import numpy as np
import pytest

from lra_edu.algorithms import make_algorithm
from lra_edu.backend import to_numpy
from lra_edu.datasets import load_dataset
from lra_edu.experiments.rates import (
    RATES,
    TIE,
    Contender,
    RateChoice,
    choose_rates,
    pick_rate,
    rate_table,
    run_score,
)
from lra_edu.mlp import MLP
from lra_edu.train import History, train

SIZES = (64, 16, 16, 10)
GRID = (0.01, 0.1, 1.0)
SETTING = {"sizes": SIZES, "unit": "tanh", "init": "uniform_fanin", "epochs": 2, "dtype": "float64"}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train_subset=200)


def _history(valid, diverged=False):
    records = [{"epoch": 0, "valid_error": 5.0}] + [
        {"epoch": e + 1, "valid_error": v} for e, v in enumerate(valid)
    ]
    return History(records=records, diverged=diverged)


def test_the_shared_grid_spans_two_decades_in_order():
    assert RATES == tuple(sorted(RATES)) and RATES[-1] / RATES[0] == pytest.approx(100)


def test_a_run_scores_its_best_trained_validation_error_and_100_when_it_diverged():
    assert run_score(_history([30.0, 12.5, 20.0])) == 12.5  # epoch 0's 5.0 is not a trained epoch
    assert run_score(_history([30.0, 12.5], diverged=True)) == 100.0
    assert run_score(_history([float("nan")])) == 100.0


def test_the_lowest_score_wins_and_ties_go_to_the_rate_listed_first():
    assert pick_rate({0.01: 20.0, 0.1: 10.0, 1.0: 15.0}) == 0.1
    assert pick_rate({0.01: 10.0 + TIE, 0.1: 10.0}) == 0.01
    assert pick_rate({0.01: 10.0 + 2 * TIE, 0.1: 10.0}) == 0.1
    assert pick_rate({1.0: 7.0, 0.01: 7.0}) == 1.0
    with pytest.raises(ValueError, match="at least one rate"):
        pick_rate({})


@pytest.mark.parametrize("contender", [Contender("bp"), Contender("lra_fdbk", {"beta": 0.5})])
def test_every_rate_is_the_lone_run_and_the_choice_is_the_lowest_mean_validation_score(digits, contender):
    seeds = (0, 1)
    (choice,) = choose_rates({"x": contender}, digits, rates=GRID, seeds=seeds, **SETTING).values()
    alone = {}
    for rate in GRID:
        for seed in seeds:
            net = MLP(SIZES, "tanh", "uniform_fanin", seed, dtype="float64")
            algo = make_algorithm(contender.algorithm, **contender.hyperparameters)
            h = train(net, algo, digits, f"sgd:{rate}", epochs=2, seed=seed, progress=False)
            alone[rate, seed] = net, algo, h
    for rate in GRID:
        want = np.mean([run_score(alone[rate, s][2]) for s in seeds])
        assert choice.scores[rate] == pytest.approx(want, abs=1e-9)
    assert list(choice.scores) == list(GRID)
    assert choice.rate == pick_rate(choice.scores) and choice.score == min(choice.scores.values())
    for s, seed in enumerate(seeds):
        net, algo, lone = alone[choice.rate, seed]
        for k in net.params:
            np.testing.assert_allclose(
                to_numpy(choice.nets[s].params[k]), to_numpy(net.params[k]), rtol=1e-10
            )
        for key in ("valid_error", "test_error", "train_loss"):
            np.testing.assert_allclose(
                choice.histories[s].curve(key), lone.curve(key), rtol=1e-10, atol=1e-12
            )
        for name, value in vars(algo).items():  # the algorithm's state: e.g. LRA-fdbk's feedback E
            if isinstance(value, dict) and value:
                for k in value:
                    np.testing.assert_array_equal(
                        to_numpy(vars(choice.algorithms[s])[name][k]), to_numpy(value[k])
                    )
    assert choice.history is choice.histories[0]


def test_the_choice_never_reads_the_test_split(digits):
    rng = np.random.default_rng(0)
    scrambled = replace(
        digits,
        x_test=rng.random(digits.x_test.shape).astype(digits.x_test.dtype),
        y_test=rng.permutation(digits.y_test),
    )
    contenders = {"BP": Contender("bp"), "LRA-fdbk": Contender("lra_fdbk")}
    a = choose_rates(contenders, digits, rates=GRID, **SETTING)
    b = choose_rates(contenders, scrambled, rates=GRID, **SETTING)
    for label in contenders:
        assert a[label].scores == b[label].scores and a[label].rate == b[label].rate
        assert a[label].history.curve("test_error") != b[label].history.curve("test_error")


def test_the_angle_to_backprop_is_recorded_as_train_records_it(digits):
    (choice,) = choose_rates(
        {"LRA-fdbk": Contender("lra_fdbk")}, digits, rates=GRID, track_angle=True, **SETTING
    ).values()
    net = MLP(SIZES, "tanh", "uniform_fanin", 0, dtype="float64")
    lone = train(
        net,
        make_algorithm("lra_fdbk"),
        digits,
        f"sgd:{choice.rate}",
        epochs=2,
        track_angle=True,
        progress=False,
    )
    np.testing.assert_allclose(choice.history.curve("angle")[1:], lone.curve("angle")[1:], rtol=1e-8)


def test_the_table_shows_every_rate_and_marks_each_choice():
    choices = {
        "BP": _choice({0.01: 80.0, 0.1: 10.0}, 0.1),
        "LRA": _choice({0.01: 6.0, 0.1: 9.0}, 0.01),
    }
    table = rate_table(choices).splitlines()
    assert table[0] == "| algorithm | rate 0.01 | rate 0.1 | chosen |"
    assert table[2] == "| BP | 80.0 | **10.0** | 0.1 |"
    assert table[3] == "| LRA | **6.0** | 9.0 | 0.01 |"
    with pytest.raises(ValueError, match="one grid"):
        rate_table({**choices, "other": _choice({0.3: 5.0}, 0.3)})


def _choice(scores, rate):
    return RateChoice(rate=rate, scores=scores, histories=[], nets=[], algorithms=[])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rates": ()}, "at least one learning rate"),
        ({"rates": (0.1, 0.1)}, "distinct"),
        ({"rates": (0.1, -1.0)}, "positive"),
        ({"seeds": ()}, "at least one seed"),
        ({"optimizer": "sgd:0.1"}, "without a rate"),
        ({"optimizer": "sgdd"}, "unknown optimizer"),
        ({"unit": "sigmoid+bernoulli"}, "stochastic"),
        ({"contenders": {"DTP": Contender("dtp")}}, "cannot train as an ensemble"),
        ({"contenders": {"LRA": Contender("lra_fdbk", {"eps": 1.0})}, "optimizer": "adam"}, "SGD only"),
        ({"contenders": {}}, "at least one contender"),
    ],
)
def test_bad_input_gets_a_one_line_error(digits, kwargs, match):
    args = {**SETTING, "contenders": {"BP": Contender("bp")}, "rates": GRID, **kwargs}
    with pytest.raises(ValueError, match=match):
        choose_rates(data=digits, **args)
