"""Ensembles: each member's history equals training it alone, in every recorded field.

Equality is checked in float64 to rtol 1e-10 (batched matrix products may round in a
different order) for every field but the wall-clock ``seconds``: errors, losses and the
step diagnostics (depth, discrepancy, loss), the ``diverged`` flag, the number of epochs
recorded, and the final parameters. Stochastic units keep their documented exception
(one noise stream for the whole ensemble): the last test shows that such a member does
differ from its lone run, so the documentation says what happens.
"""

import warnings

import numpy as np
import pytest

import lra_edu.ensemble
from lra_edu.algorithms import make_algorithm
from lra_edu.backend import RNG, to_numpy
from lra_edu.datasets import load_dataset
from lra_edu.ensemble import (
    Member,
    member_algorithm,
    member_network,
    stack_algorithms,
    stack_networks,
    train_ensemble,
)
from lra_edu.experiments import RunConfig
from lra_edu.experiments.runner import ENSEMBLE_SAFE, ensemble_key
from lra_edu.metrics import one_hot
from lra_edu.mlp import MLP
from lra_edu.train import train

SIZES = (64, 16, 16, 10)
MEMBERS = [Member(0, "gaussian:0.1", 0.1), Member(1, "glorot", 0.05), Member(2, "zeros", 0.2)]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train_subset=200)


def alone(data, algorithm, member, unit="tanh", epochs=2, hyperparameters=None):
    """Train one member by itself, as train() does; return its network and history."""
    net = MLP(SIZES, unit, member.init, member.seed, dtype="float64")
    algo = make_algorithm(algorithm, **(hyperparameters or {}))
    history = train(
        net, algo, data, f"sgd:{member.lr}", epochs=epochs, batch_size=30, seed=member.seed, progress=False
    )
    return net, history


def together(data, algorithm, members, unit="tanh", epochs=2, hyperparameters=None):
    return train_ensemble(
        SIZES, unit, algorithm, data, members, "sgd", epochs, 30, hyperparameters, dtype="float64"
    )


def assert_same_run(ens, r, history, net, lone):
    """Member ``r`` of ``ens`` with ``history`` equals the lone run (``net``, ``lone``)."""
    member = member_network(ens, r)
    for k in net.params:
        np.testing.assert_allclose(
            to_numpy(member.params[k]), to_numpy(net.params[k]), rtol=1e-10, atol=1e-12
        )
    assert history.diverged == lone.diverged
    assert [r["epoch"] for r in history.records] == [r["epoch"] for r in lone.records]
    for got, want in zip(history.records, lone.records):
        assert set(got) == set(want)
        for key in sorted(set(want) - {"seconds"}):
            np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("algorithm", sorted(ENSEMBLE_SAFE))
def test_members_equal_single_runs(digits, algorithm):
    ens, histories = together(digits, algorithm, MEMBERS)
    for r, m in enumerate(MEMBERS):
        assert_same_run(ens, r, histories[r], *alone(digits, algorithm, m))


@pytest.mark.parametrize("algorithm, eps", [("lra_fdbk", 2.0), ("lra_diff", 5.0)])
def test_members_that_halt_early_equal_single_runs(digits, algorithm, eps):
    members = [*MEMBERS[:2], Member(2, "gaussian:0.5", 0.2)]
    hp = {"eps": eps}
    ens, histories = together(digits, algorithm, members, hyperparameters=hp)
    depths = [h.curve("depth")[1:] for h in histories]
    assert min(min(d) for d in depths) < len(SIZES) - 1  # some member halted below the top ...
    assert len({tuple(d) for d in depths}) > 1  # ... and the members' depths differ
    for r, m in enumerate(members):
        assert_same_run(ens, r, histories[r], *alone(digits, algorithm, m, hyperparameters=hp))


@pytest.mark.parametrize("algorithm", ["bp", "lra_fdbk"])
def test_a_diverging_member_stops_as_alone_and_leaves_the_others_alone(digits, algorithm):
    members = [MEMBERS[0], Member(1, "glorot", 1e308), MEMBERS[2]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the diverging member overflows
        ens, histories = together(digits, algorithm, members, epochs=3)
        runs = [alone(digits, algorithm, m, epochs=3) for m in members]
    assert [h.diverged for h in histories] == [False, True, False]
    assert len(histories[1].records) == 2 and len(histories[0].records) == 4  # stopped after epoch 1
    for r, (net, lone) in enumerate(runs):
        assert_same_run(ens, r, histories[r], net, lone)


def test_stochastic_units_keep_their_documented_exception(digits):
    doc = " ".join(lra_edu.ensemble.__doc__.split())
    assert "stochastic units draw their noise from one ensemble-wide stream" in doc
    ens, histories = together(digits, "lra_fdbk", MEMBERS[:2], unit="sigmoid+bernoulli")
    net, lone = alone(digits, "lra_fdbk", MEMBERS[0], unit="sigmoid+bernoulli")
    assert histories[0].curve("train_loss")[0] != pytest.approx(lone.curve("train_loss")[0], rel=1e-10)
    assert not np.allclose(to_numpy(member_network(ens, 0).params["W1"]), to_numpy(net.params["W1"]))


@pytest.mark.parametrize(
    "algorithm, unit",
    [(a, "tanh") for a in ("bp", "fa", "dfa", "lra_diff", "lra_fdbk", "lra_e", "dtp", "dtp_sigma")]
    + [("equil_prop", "hard_sigmoid")],
)
def test_every_diagnostic_is_reported_per_member(digits, algorithm, unit):
    nets = [MLP(SIZES, unit, "glorot", m.seed, dtype="float64") for m in MEMBERS]
    hp = {"eps": 2.0} if algorithm in ("lra_diff", "lra_fdbk") else {}  # members halt at different depths
    algos = [make_algorithm(algorithm, **hp) for _ in nets]
    for net, algo, m in zip(nets, algos, MEMBERS):
        algo.setup(net, RNG(m.seed))
    x, t = digits.x_train[:30], one_hot(digits.y_train[:30], 10, "float64")
    ens_step = stack_algorithms(algos).step(stack_networks(nets), x, t)
    steps = [algo.step(net, x, t) for net, algo in zip(nets, algos)]
    assert set(ens_step.diagnostics) == set(steps[0].diagnostics)
    for key, value in ens_step.diagnostics.items():
        assert isinstance(steps[0].diagnostics[key], (int, float))
        per_member = np.broadcast_to(value, (len(MEMBERS),))
        if algorithm.startswith("dtp") and key in ("inverse_loss", "discrepancy", "sigma_1"):
            continue  # the decoders' corruption noise comes from the shared noise stream
        alone_values = [s.diagnostics[key] for s in steps]
        np.testing.assert_allclose(per_member, alone_values, rtol=1e-10, atol=1e-12, err_msg=key)


def test_runs_an_ensemble_would_not_reproduce_train_alone():
    def key(**kw):
        return ensemble_key(RunConfig(kw.pop("algorithm", "lra_fdbk"), (8,), **kw), 0)

    assert key() is not None and key(init="glorot", optimizer="sgd:0.1") == key()
    assert key(hyperparameters=(("eps", 0.5),)) is not None  # halting with SGD: exact
    assert key(hyperparameters=(("eps", 0.5),), optimizer="adam:0.001") is None
    assert key(optimizer="adam:0.001") is not None
    assert key(unit="sigmoid+bernoulli") is None  # one noise stream for all members
    assert key(algorithm="dtp") is None


def test_stack_requires_matching_networks():
    with pytest.raises(ValueError, match="share sizes"):
        stack_networks([MLP((4, 3, 2)), MLP((4, 5, 2))])
    with pytest.raises(ValueError, match="at least one member"):
        train_ensemble(SIZES, "tanh", "bp", None, [])


def test_member_algorithm_undoes_stack_algorithms():
    algos = []
    for seed in (0, 1):
        algo = make_algorithm("lra_fdbk")
        algo.setup(MLP((6, 5, 4, 3), "tanh", seed=seed), RNG(seed).spawn())
        algos.append(algo)
    stacked = stack_algorithms(algos)
    compared = 0
    for r, algo in enumerate(algos):
        member = vars(member_algorithm(stacked, r))
        for name, value in vars(algo).items():
            if isinstance(value, dict) and value and all(hasattr(v, "shape") for v in value.values()):
                for k, v in value.items():
                    assert np.array_equal(to_numpy(member[name][k]), to_numpy(v)), (r, name, k)
                    compared += 1
    assert compared > 0  # LRA-fdbk's feedback matrices were split back out
