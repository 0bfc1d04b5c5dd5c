"""Matmul counts per step, measured by instrumenting NumPy, against [LRA19]'s cost claims."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lra_edu import MLP, make_algorithm
from lra_edu.algorithms import ALGORITHMS
from lra_edu.counting import CountingArray, count_matmuls, lra19_claim, phase


def setting(hidden, seed=0, width=6, unit="tanh"):
    net = MLP((5, *([width] * hidden), 3), unit, init="glorot", seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    return net, rng.normal(size=(7, 5)), np.eye(3)[rng.integers(0, 3, 7)]


@given(hidden=st.integers(1, 8))
def test_backprop_counts(hidden):
    net, x, t = setting(hidden)
    n = net.n_layers
    c = count_matmuls(make_algorithm("bp"), net, x, t)
    assert dict(c.by_phase) == {"forward": n, "targets": n - 1, "updates": n}
    assert c.total == len(c.calls) == 3 * n - 1


@given(hidden=st.integers(2, 8), name=st.sampled_from(["dtp", "dtp_sigma"]))
def test_dtp_counts_match_the_papers_formula(hidden, name):
    net, x, t = setting(hidden)
    n = net.n_layers
    c = count_matmuls(make_algorithm(name), net, x, t)
    # top target 1 + two decodes per decoder; encode + decode of the corrupted activity
    assert dict(c.by_phase) == {
        "forward": n,
        "targets": 1 + 2 * (n - 2),
        "inverse": 2 * (n - 2),
        "updates": 2 * n - 2,
    }
    # [LRA19]: 4(L-3)+L "to create targets to train the forward weights and inverse-mapping
    # weights", L = n + 1 levels: forward pass + targets + corrupted passes, exactly
    assert c["forward"] + c["targets"] + c["inverse"] == lra19_claim(name, n)


@pytest.mark.skipif("lra_e" not in ALGORITHMS, reason="LRA-E is not registered")
@given(hidden=st.integers(1, 8))
def test_lra_e_counts_against_the_papers_formula(hidden):
    net, x, t = setting(hidden)
    n = net.n_layers
    c = count_matmuls(make_algorithm("lra_e"), net, x, t)
    assert c["forward"] == n and c["targets"] == n - 1 and c["updates"] == n
    # the paper's 2(L-1) counts one more than our forward pass + targets (2n - 1)
    assert lra19_claim("lra_e", n) - (c["forward"] + c["targets"]) == 1


def test_counting_changes_no_result():
    net, x, t = setting(3)
    for name in ("bp", "fa", "dfa", "lra_fdbk", "lra_e"):
        if name not in ALGORITHMS:
            continue
        algo = make_algorithm(name)
        c = count_matmuls(algo, net, x, t)  # runs setup on a copy of net: same shapes, same draws
        plain = algo.step(net, x, t).grads
        assert set(c.grads) == set(plain)
        for k in plain:
            assert not isinstance(c.grads[k], CountingArray)
            np.testing.assert_array_equal(c.grads[k], plain[k], err_msg=f"{name} {k}")
        assert not any(isinstance(v, CountingArray) for v in net.params.values())
        again = count_matmuls(algo, net, x, t, setup=False)
        assert dict(again.by_phase) == dict(c.by_phase)


def test_dtp_decoders_are_restored_after_counting():
    net, x, t = setting(3)
    algo = make_algorithm("dtp")
    count_matmuls(algo, net, x, t)
    assert set(algo.params) == {"E2", "E3", "c2", "c3"}
    assert not any(isinstance(v, CountingArray) for v in algo.params.values())


def test_phases_nest_and_updates_are_structural():
    from lra_edu.counting import _RECORD

    a = np.ones((7, 4)).view(CountingArray)
    w = np.ones((4, 3))
    log = []
    _RECORD.update(log=log, batch=7)
    try:
        _ = a @ w
        with phase("outer"):
            _ = a @ w
            with phase("inner"):
                _ = a @ w
                _ = a.swapaxes(-1, -2) @ np.ones((7, 3))
            _ = (a @ w) @ np.ones((3, 2))
    finally:
        _RECORD.update(log=None, batch=None)
    assert [k for k, _, _ in log] == ["targets", "outer", "inner", "updates", "outer", "outer"]
    assert isinstance(a @ w, CountingArray)


def test_batch_size_equal_to_a_width_is_refused():
    net, _, _ = setting(2, width=7)
    with pytest.raises(ValueError, match="batch size"):
        count_matmuls(make_algorithm("bp"), net, np.ones((7, 5)), np.eye(3)[[0] * 7])
    with pytest.raises(ValueError, match="dtp, dtp_sigma and lra_e"):
        lra19_claim("bp", 3)
