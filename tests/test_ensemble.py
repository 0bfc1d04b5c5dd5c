"""Ensembles: each member's training equals training it alone."""

import numpy as np
import pytest

from lra_edu.algorithms import make_algorithm
from lra_edu.datasets import load_dataset
from lra_edu.ensemble import Member, member_network, stack_networks, train_ensemble
from lra_edu.experiments.runner import ENSEMBLE_SAFE
from lra_edu.mlp import MLP
from lra_edu.train import train

SIZES = (64, 16, 16, 10)
MEMBERS = [Member(0, "gaussian:0.1", 0.1), Member(1, "glorot", 0.05), Member(2, "zeros", 0.2)]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train_subset=200)


@pytest.mark.parametrize("algorithm", sorted(ENSEMBLE_SAFE))
def test_members_equal_single_runs(digits, algorithm):
    ens, histories = train_ensemble(
        SIZES, "tanh", algorithm, digits, MEMBERS, "sgd", epochs=2, batch_size=30, dtype="float64"
    )
    for r, m in enumerate(MEMBERS):
        net = MLP(SIZES, "tanh", m.init, m.seed, dtype="float64")
        h = train(
            net,
            make_algorithm(algorithm),
            digits,
            f"sgd:{m.lr}",
            epochs=2,
            batch_size=30,
            seed=m.seed,
            progress=False,
        )
        alone = member_network(ens, r)
        for k in net.params:
            np.testing.assert_allclose(alone.params[k], net.params[k], rtol=1e-10, atol=1e-12)
        assert histories[r].curve("test_error") == pytest.approx(h.curve("test_error"))


def test_stack_requires_matching_networks():
    with pytest.raises(ValueError, match="share sizes"):
        stack_networks([MLP((4, 3, 2)), MLP((4, 5, 2))])
    with pytest.raises(ValueError, match="at least one member"):
        train_ensemble(SIZES, "tanh", "bp", None, [])
