"""Activations: derivatives by finite differences, discrete units' defining properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lra_edu.activations import ACTIVATIONS, DISCRETE, get_unit
from lra_edu.backend import RNG

finite = st.floats(-6, 6, allow_nan=False, allow_infinity=False)
KINKS = {"relu": [0.0], "relu6": [0.0, 6.0], "hard_tanh": [-1.0, 1.0], "hard_sigmoid": [0.0, 1.0]}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(h=arrays(np.float64, (7,), elements=finite))
def test_derivative_matches_central_difference(name, h):
    act = ACTIVATIONS[name]
    for kink in KINKS.get(name, []):
        h = np.where(np.abs(h - kink) < 1e-4, h + 3e-4, h)
    eps = 1e-6
    numeric = (act.f(h + eps) - act.f(h - eps)) / (2 * eps)
    np.testing.assert_allclose(act.df(h), numeric, rtol=1e-5, atol=1e-7)


def test_sigmoid_is_stable_for_large_inputs():
    f = ACTIVATIONS["sigmoid"].f
    out = f(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


def test_sign_and_heaviside_values():
    z = np.array([-2.0, -0.0, 0.0, 0.5])
    np.testing.assert_array_equal(DISCRETE["sign"](z), [-1, 0, 0, 1])
    np.testing.assert_array_equal(DISCRETE["heaviside"](z), [0, 1, 1, 1])


@given(z=arrays(np.float64, (3, 8), elements=st.floats(-3, 3)))
def test_lwta_keeps_one_winner_per_block(z):
    out = DISCRETE["lwta"](z).reshape(3, 2, 4)
    blocks = z.reshape(3, 2, 4)
    winners = blocks.argmax(axis=-1)
    for i in range(3):
        for j in range(2):
            kept = np.zeros(4)
            kept[winners[i, j]] = blocks[i, j, winners[i, j]]
            np.testing.assert_array_equal(out[i, j], kept)


def test_lwta_ties_go_to_lowest_index():
    out = DISCRETE["lwta"](np.array([[0.5, 0.5, 0.1, 0.5]]))
    np.testing.assert_array_equal(out, [[0.5, 0.0, 0.0, 0.0]])


@given(z=arrays(np.float64, (2, 4), elements=st.floats(-3, 3)))
def test_slwta_scales_by_block_softmax(z):
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(DISCRETE["slwta"](z), z * p)


def test_lwta_needs_blocks_of_four():
    with pytest.raises(ValueError, match="blocks of 4"):
        DISCRETE["lwta"](np.zeros((2, 6)))


def test_bernoulli_sample_mean_is_probability():
    p = np.full((20000, 3), [0.1, 0.5, 0.9])
    s = DISCRETE["bernoulli"](p, RNG(0))
    assert set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_allclose(s.mean(axis=0), [0.1, 0.5, 0.9], atol=0.02)


def test_unit_forward_feeds_discretized_output():
    unit = get_unit("tanh+sign")
    z, zs = unit(np.array([[0.3, -2.0]]))
    np.testing.assert_allclose(z, np.tanh([[0.3, -2.0]]))
    np.testing.assert_array_equal(zs, [[1.0, -1.0]])
    assert not unit.differentiable and unit.name == "tanh+sign"


@pytest.mark.parametrize(
    ("alias", "name"), [("lwta1", "tanh+lwta"), ("lwta2", "hard_tanh+lwta"), ("SLWTA2", "hard_tanh+slwta")]
)
def test_aliases(alias, name):
    assert get_unit(alias).name == name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("foo", "unknown unit"),
        ("sign", "tanh\\+sign"),
        ("tanh+foo", "unknown discrete unit"),
        ("tanh+bernoulli", "sigmoid\\+bernoulli"),
    ],
)
def test_bad_unit_names_explain_themselves(spec, message):
    with pytest.raises(ValueError, match=message):
        get_unit(spec)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(h=arrays(np.float64, (5, 3), elements=st.floats(-8, 8)))
def test_derivative_from_output_equals_derivative_from_input(name, h):
    act = ACTIVATIONS[name]
    np.testing.assert_allclose(act.derivative(h, act(h)), act.df(h), rtol=1e-12, atol=1e-15)
