"""MLP: forward pass storage, ensembles equal their members, validation."""

import numpy as np
import pytest

from lra_edu.losses import softmax
from lra_edu.mlp import MLP, ensemble_axes, over_batch


def test_forward_stores_every_layer():
    net = MLP((5, 4, 3), "tanh", init="gaussian:0.5", dtype="float64")
    x = np.random.default_rng(0).normal(size=(6, 5))
    fw = net.forward(x)
    assert [a.shape for a in fw.z] == [(6, 5), (6, 4), (6, 3)]
    np.testing.assert_allclose(fw.h[1], x @ net.W(1) + net.b(1))
    np.testing.assert_allclose(fw.z[1], np.tanh(fw.h[1]))
    np.testing.assert_allclose(fw.z[2].sum(axis=1), 1.0)
    np.testing.assert_allclose(net.logits(x), fw.logits)


def test_discrete_unit_feeds_g_upward():
    net = MLP((5, 4, 3), "tanh+sign", init="gaussian:0.5", dtype="float64")
    fw = net.forward(np.ones((2, 5)))
    np.testing.assert_array_equal(fw.zs[1], np.sign(fw.z[1]))
    np.testing.assert_allclose(fw.h[2], fw.zs[1] @ net.W(2) + net.b(2))


def test_ensemble_members_match_single_networks():
    sizes = (5, 4, 3)
    ens = MLP(sizes, "sigmoid", init="gaussian:0.5", ensemble=3, dtype="float64")
    x = np.random.default_rng(1).normal(size=(7, 5))
    out = ens.forward(x).logits
    assert out.shape == (3, 7, 3)
    for r in range(3):
        single = MLP(sizes, "sigmoid", dtype="float64")
        single.params = {k: v[r] for k, v in ens.params.items()}
        np.testing.assert_allclose(single.forward(x).logits, out[r], rtol=1e-12)


def test_same_seed_same_weights():
    a, b = MLP((4, 3, 2), seed=5), MLP((4, 3, 2), seed=5)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.W(1), MLP((4, 3, 2), seed=6).W(1))


def test_copy_is_independent():
    a = MLP((4, 3, 2))
    b = a.copy()
    b.params["W1"] += 1
    assert not np.array_equal(a.W(1), b.W(1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": (4,)}, "at least an input and an output"),
        ({"sizes": (4, 0, 2)}, "positive integers"),
        ({"sizes": (4, 2), "dtype": "int8"}, "float32"),
        ({"sizes": (4, 2), "init": "nope"}, "unknown initializer"),
        ({"sizes": (4, 2), "unit": "nope"}, "unknown unit"),
        ({"sizes": (4, 2), "ensemble": 0}, "ensemble"),
    ],
)
def test_bad_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_bad_input_shape():
    with pytest.raises(ValueError, match=r"expected inputs of shape \(batch, 4\)"):
        MLP((4, 2)).forward(np.ones((3, 5)))


def test_lead_is_the_ensemble_axis_and_biases_broadcast_over_the_batch():
    single, ensemble = MLP((3, 4, 2)), MLP((3, 4, 2), ensemble=5)
    assert single.lead == () and ensemble.lead == (5,)
    assert ensemble_axes(None) == () and ensemble_axes(5) == (5,)
    assert single.W(1).shape == (*single.lead, 3, 4) and ensemble.W(1).shape == (*ensemble.lead, 3, 4)
    assert single.b(1).shape == (4,) and ensemble.b(1).shape == (5, 1, 4)
    assert over_batch(ensemble.params["b1"]).shape == (5, 1, 4)


@pytest.mark.parametrize("sizes", [(6, 5, 4, 3), (6, 5, 3), (6, 3)])
def test_predict_proba_draws_exactly_the_samples_of_whole_passes(sizes):
    """Computing f(h_1) once for all draws changes nothing: same numbers, same random stream after."""
    x = np.random.default_rng(1).random((40, 6))
    cached, whole = (MLP(sizes, "sigmoid+bernoulli", init="glorot", seed=3, dtype="float64") for _ in "ab")
    p = softmax(whole.logits(x))
    for _ in range(4):
        p = p + softmax(whole.logits(x))
    np.testing.assert_array_equal(cached.predict_proba(x, 5), p / 5)
    np.testing.assert_array_equal(cached.noise.uniform((3,)), whole.noise.uniform((3,)))
    if len(sizes) > 2:  # a different stream gives different draws: the check above can fail
        assert not np.array_equal(MLP(sizes, "sigmoid+bernoulli", init="glorot", seed=3, dtype="float64")
                                  .predict_proba(x, 1), cached.predict_proba(x, 1))
