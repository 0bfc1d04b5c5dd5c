"""Feedback alignment (FA/RFA) and direct feedback alignment (DFA)."""

import numpy as np
import pytest
from helpers import batch
from hypothesis import given
from hypothesis import strategies as st

from lra_edu import MLP, get_optimizer, load_dataset, make_algorithm, train
from lra_edu.algorithms.fa import DFA, FA
from lra_edu.backend import RNG

UNITS = ["tanh", "sigmoid", "relu", "softsign", "identity"]


@given(
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    unit=st.sampled_from(UNITS),
    seed=st.integers(0, 1000),
)
def test_fa_with_transposed_forward_weights_is_backprop(hidden, unit, seed):
    net = MLP((4, *hidden, 3), unit, init="gaussian:0.6", seed=seed, dtype="float64")
    x, t = batch(4, 3, 5, seed)
    fa = make_algorithm("fa")
    fa.setup(net, RNG(seed))
    fa.B = {l: net.W(l).T.copy() for l in fa.B}
    got = fa.step(net, x, t).grads
    want = make_algorithm("bp").step(net, x, t).grads
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-15, err_msg=k)


@given(width=st.integers(1, 8), unit=st.sampled_from(UNITS), seed=st.integers(0, 1000))
def test_dfa_with_one_hidden_layer_and_transposed_weights_is_backprop(width, unit, seed):
    # with one hidden layer the output error reaches it through W_2^T in backprop
    net = MLP((4, width, 3), unit, init="gaussian:0.6", seed=seed, dtype="float64")
    x, t = batch(4, 3, 6, seed)
    dfa = make_algorithm("dfa")
    dfa.setup(net, RNG(seed))
    dfa.B = {1: net.W(2).T.copy()}
    got = dfa.step(net, x, t).grads
    want = make_algorithm("bp").step(net, x, t).grads
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-15, err_msg=k)


def test_random_feedback_differs_from_backprop_but_output_layer_agrees():
    net = MLP((5, 7, 7, 3), "tanh", init="glorot", seed=3, dtype="float64")
    x, t = batch(5, 3, 8, 0)
    bp = make_algorithm("bp").step(net, x, t).grads
    for name in ("fa", "dfa"):
        algo = make_algorithm(name)
        algo.setup(net, RNG(0))
        g = algo.step(net, x, t).grads
        np.testing.assert_allclose(g["W3"], bp["W3"], rtol=1e-12)
        assert not np.allclose(g["W1"], bp["W1"])


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_feedback_is_fixed_seeded_and_uniform_fanin(name):
    net = MLP((6, 9, 8, 4), "tanh", seed=0)
    a, b = make_algorithm(name), make_algorithm(name)
    a.setup(net, RNG(5))
    b.setup(net, RNG(5))
    for l, B in a.B.items():
        np.testing.assert_array_equal(B, b.B[l])
        bound = 1.0 / np.sqrt(B.shape[0])
        assert np.abs(B).max() <= bound
        assert np.abs(B).max() > 0.5 * bound
    shapes = {l: B.shape for l, B in a.B.items()}
    if name == "fa":
        assert shapes == {2: (8, 9), 3: (4, 8)}
    else:
        assert shapes == {1: (4, 9), 2: (4, 8)}
    before = {l: B.copy() for l, B in a.B.items()}
    opt = get_optimizer("sgd:0.5")
    w1 = net.W(1).copy()
    x, t = batch(6, 4, 5, 0)
    for _ in range(3):
        opt.update(net.params, a.step(net, x, t).grads)
    assert not np.allclose(net.W(1), w1)
    for l in before:
        np.testing.assert_array_equal(a.B[l], before[l])


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_ensemble_members_use_their_own_feedback(name):
    ens = MLP((4, 5, 5, 3), "tanh", init="glorot", ensemble=3, seed=2, dtype="float64")
    algo = make_algorithm(name)
    algo.setup(ens, RNG(1))
    x, t = batch(4, 3, 6, 1)
    got = algo.step(ens, x, t).grads
    for r in range(3):
        member = MLP((4, 5, 5, 3), "tanh", dtype="float64")
        member.params = {k: v[r].copy() for k, v in ens.params.items()}
        single = make_algorithm(name)
        single.B = {l: B[r].copy() for l, B in algo.B.items()}
        want = single.step(member, x, t).grads
        for k in want:
            np.testing.assert_allclose(got[k][r], want[k], rtol=1e-12, err_msg=f"{k} member {r}")


@pytest.mark.parametrize("name", ["fa", "dfa"])
@pytest.mark.parametrize("bad", ["zeros", "bogus", "gaussian", 3])
def test_bad_feedback_init_raises(name, bad):
    with pytest.raises(ValueError, match="feedback_init"):
        make_algorithm(name, feedback_init=bad)


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_feedback_alignment_needs_derivatives_and_setup(name):
    with pytest.raises(ValueError, match="non-differentiable"):
        make_algorithm(name).setup(MLP((4, 4, 2), "tanh+sign"), RNG(0))
    with pytest.raises(RuntimeError, match="setup"):
        make_algorithm(name).step(MLP((4, 4, 4, 2)), np.ones((2, 4)), np.eye(2))
    with pytest.raises(ValueError, match="does not take"):
        make_algorithm(name, lr=0.1)


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_feedback_alignment_learns_digits(name):
    data = load_dataset("digits")
    net = MLP((64, 32, 32, 10), "tanh", init="glorot", seed=0)
    hist = train(net, make_algorithm(name), data, "sgd:0.1", epochs=8, progress=False, splits=("test",))
    assert hist.curve("test_error")[0] > 70
    assert hist.final["test_error"] < 35
    assert hist.final["depth"] == 3


def test_fa_and_dfa_share_their_feedback_setting():
    assert FA.hyperparameters() == DFA.hyperparameters() == ["feedback_init"]
    with pytest.raises(ValueError, match="sends no error"):
        make_algorithm("dfa", feedback_init="zeros")
