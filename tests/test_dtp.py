"""Difference target propagation (DTP) and DTP-σ."""

from itertools import pairwise

import numpy as np
import pytest
from finite_diff import central_difference
from helpers import batch
from hypothesis import given
from hypothesis import strategies as st

from lra_edu import MLP, get_optimizer, load_dataset, make_algorithm, train
from lra_edu.backend import RNG
from lra_edu.losses import get_loss
from lra_edu.metrics import cosine


def exact_inverse_net(seed, width=6, depth=3):
    """A linear net with square orthogonal hidden layers and decoders ``E_l = W_l^{-1} = W_l^T``.

    ``g_l(z_l) = (z_l - b_l) W_l^{-1}`` inverts layer l exactly, so DTP's difference
    correction is exact: ``y_{l-1} - z_{l-1} = (y_l - z_l) W_l^{-1}``. Backprop carries
    ``dL/dz_l W_l^T`` down instead; the two agree where ``W^{-1} = W^T`` (orthogonal
    layers). With a non-orthogonal invertible W exact DTP is a Gauss-Newton-like step,
    not the gradient, and with a tanh layer no decoder of the form f(z E + c) can be exact.
    """
    rng = np.random.default_rng(seed)
    net = MLP((5, *([width] * depth), 3), "identity", init="orthogonal", seed=seed, dtype="float64")
    for k in net.params:
        if k.startswith("b"):
            net.params[k] = rng.normal(size=net.params[k].shape) * 0.3
    return net


@given(seed=st.integers(0, 10_000), depth=st.integers(2, 4), loss=st.sampled_from(["gaussian", "l2"]))
def test_dtp_with_exact_inverse_follows_backprop(seed, depth, loss):
    net = exact_inverse_net(seed, depth=depth)
    x, t = batch(5, 3, 7, seed)
    beta = 1e-4
    dtp = make_algorithm("dtp", beta=beta, local_loss=loss)
    dtp.setup(net, RNG(seed))
    for l in range(2, net.n_layers):
        dtp.params[f"E{l}"] = np.linalg.inv(net.W(l))
        dtp.params[f"c{l}"] = -net.params[f"b{l}"] @ np.linalg.inv(net.W(l))
    got = dtp.step(net, x, t).grads
    bp = make_algorithm("bp").step(net, x, t).grads
    scale = beta * (2.0 if loss == "gaussian" else 1.0)  # e = 2(z - y) or (z - y), and y - z = -beta dL/dz
    n = net.n_layers
    for l in range(1, n + 1):
        layer = {k: got[k] for k in (f"W{l}", f"b{l}")}
        ref = {k: bp[k] for k in layer}
        assert cosine(layer, ref) > 0.99
        factor = 1.0 if l == n else scale
        for k in layer:
            np.testing.assert_allclose(layer[k], factor * ref[k], rtol=1e-7, atol=1e-14, err_msg=k)


def test_dtp_forward_and_decoder_gradients_match_finite_differences():
    net = MLP((4, 5, 5, 5, 3), "tanh", init="glorot", seed=1, dtype="float64")
    x, t = batch(4, 3, 6, 2)
    dtp = make_algorithm("dtp", beta=0.3, sigma=0.0)  # no corruption: a deterministic decoder loss
    dtp.setup(net, RNG(0))
    step = dtp.step(net, x, t)
    loss = get_loss("gaussian")
    fw = net.forward(x)
    f = np.tanh
    eps = 1e-6
    # recompute the targets once (they are held fixed for the local losses)
    y = {3: fw.z[3] - 0.3 * ((fw.z[4] - t) @ net.W(4).T)}
    for l in (3, 2):
        g = lambda z, l=l: f(z @ dtp.params[f"E{l}"] + dtp.params[f"c{l}"])  # noqa: E731
        y[l - 1] = fw.z[l - 1] - g(fw.z[l]) + g(y[l])

    def local(l):
        return loss.value(f(fw.z[l - 1] @ net.W(l) + net.params[f"b{l}"]), y[l]).mean()

    def recon(l):
        z_l = f(fw.z[l - 1] @ net.W(l) + net.params[f"b{l}"])
        return loss.value(f(z_l @ dtp.params[f"E{l}"] + dtp.params[f"c{l}"]), fw.z[l - 1]).mean()

    for store, grads, fn, keys in (
        (net.params, step.grads, local, [(f"W{l}", l) for l in (1, 2, 3)]),
        (dtp.params, step.own_grads, recon, [(f"E{l}", l) for l in (2, 3)] + [(f"c{l}", l) for l in (2, 3)]),
    ):
        for key, l in keys:
            numeric = central_difference(store[key], lambda: fn(l), eps)  # noqa: B023 - called at once
            np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-9, err_msg=key)
    assert set(step.own_grads) == {"E2", "E3", "c2", "c3"}


def test_decoder_training_reduces_reconstruction_loss():
    net = MLP((6, 8, 8, 8, 3), "tanh", init="glorot", seed=0)
    x, t = batch(6, 3, 40, 0)
    dtp = make_algorithm("dtp", sigma=0.05)
    dtp.setup(net, RNG(0))
    opt = get_optimizer("rmsprop:0.01")
    first = dtp.step(net, x, t).diagnostics["inverse_loss"]
    for _ in range(150):
        opt.update(dtp.params, dtp.step(net, x, t).own_grads)
    assert dtp.step(net, x, t).diagnostics["inverse_loss"] < 0.3 * first


@given(
    seed=st.integers(0, 10_000),
    depth=st.integers(1, 6),
    alpha=st.floats(0.001, 1.0),
    floor_frac=st.floats(0.0, 1.0),
    beta=st.floats(1e-4, 10.0),
)
def test_dtp_sigma_noise_is_logged_floored_and_falls_downward(seed, depth, alpha, floor_frac, beta):
    net = MLP((5, *([6] * depth), 3), "tanh", init="glorot", seed=seed, dtype="float64")
    x, t = batch(5, 3, 4, seed)
    algo = make_algorithm("dtp_sigma", alpha=alpha, sigma_min=alpha * floor_frac, beta=beta)
    algo.setup(net, RNG(seed))
    diag = algo.step(net, x, t).diagnostics
    sigmas = [diag[f"sigma_{k}"] for k in range(1, depth)]
    assert sorted(k for k in diag if k.startswith("sigma_")) == sorted(f"sigma_{k}" for k in range(1, depth))
    assert len(algo.sigma_log) == (1 if depth > 1 else 0)
    if depth > 1:
        assert sigmas[-1] == alpha
        assert all(s >= alpha * floor_frac >= 0 for s in sigmas)
        assert all(lo <= hi for lo, hi in pairwise(sigmas))


def test_dtp_sigma_follows_equation_11_until_the_floor():
    net = MLP((5, 6, 6, 6, 6, 3), "tanh", init="glorot", seed=4, dtype="float64")
    x, t = batch(5, 3, 8, 4)
    small = make_algorithm("dtp_sigma", alpha=0.5, sigma_min=0.0, beta=0.05)
    small.setup(net, RNG(0))
    d = small.step(net, x, t).diagnostics
    assert d["sigma_3"] == 0.5
    assert 0.0 < d["sigma_1"] < d["sigma_2"] < d["sigma_3"]  # small targets: small local losses
    big = make_algorithm("dtp_sigma", alpha=0.01, sigma_min=0.002, beta=50.0)
    big.setup(net, RNG(0))
    d = big.step(net, x, t).diagnostics
    assert d["sigma_3"] == 0.01 and d["sigma_2"] == d["sigma_1"] == 0.002  # large losses hit the floor


def test_dtp_sigma_noise_is_per_ensemble_member():
    ens = MLP((5, 6, 6, 6, 6, 3), "tanh", init="glorot", ensemble=3, seed=1, dtype="float64")
    x, t = batch(5, 3, 8, 1)
    algo = make_algorithm("dtp_sigma", alpha=0.5, sigma_min=0.0, beta=0.3)
    algo.setup(ens, RNG(0))
    got = algo.noise_levels(ens, ens.forward(x), _targets(algo, ens, x, t))
    for r in range(3):
        member = MLP((5, 6, 6, 6, 6, 3), "tanh", dtype="float64")
        member.params = {k: v[r].copy() for k, v in ens.params.items()}
        single = make_algorithm("dtp_sigma", alpha=0.5, sigma_min=0.0, beta=0.3)
        single.params = {k: v[r].copy() for k, v in algo.params.items()}
        want = single.noise_levels(member, member.forward(x), _targets(single, member, x, t))
        assert got[3] == want[3] == 0.5  # the top level is alpha for everyone
        for k in (1, 2):
            assert got[k].shape == (3,)
            np.testing.assert_allclose(got[k][r], want[k], rtol=1e-12)
    assert len({float(got[1][r]) for r in range(3)}) == 3


def _targets(algo, net, x, t):
    """DTP's targets, recomputed from its public inverse (for checking the noise recursion)."""
    fw = net.forward(x)
    n = net.n_layers
    y = [None] * (n + 1)
    y[n - 1] = fw.z[n - 1] - algo.beta * ((fw.z[n] - t) @ net.W(n).swapaxes(-1, -2))
    for l in range(n - 1, 1, -1):
        y[l - 1] = fw.z[l - 1] - algo.inverse(net, l, fw.z[l]) + algo.inverse(net, l, y[l])
    return y


def test_dtp_sigma_log_over_training():
    data = load_dataset("digits", train_subset=500)
    net = MLP((64, 24, 24, 24, 10), "tanh", init="glorot", seed=0)
    algo = make_algorithm("dtp_sigma")
    hist = train(net, algo, data, "rmsprop:0.003", epochs=2, progress=False, splits=("test",))
    assert len(algo.sigma_log) == 2 * 10
    table = algo.sigma_table(10)
    assert len(table) == 2 and set(table[0]) == {"sigma_1", "sigma_2"}
    for rec in hist.records[1:]:
        assert rec["sigma_2"] == pytest.approx(0.01)
        assert 0.0 < rec["sigma_1"] <= 0.01
    with pytest.raises(ValueError):
        algo.sigma_table(0)


@pytest.mark.parametrize("name", ["dtp", "dtp_sigma"])
def test_dtp_learns_digits(name):
    data = load_dataset("digits")
    net = MLP((64, 32, 32, 32, 10), "tanh", init="glorot", seed=0)
    hist = train(net, make_algorithm(name), data, "rmsprop:0.002", epochs=5, progress=False, splits=("test",))
    assert hist.curve("test_error")[0] > 70
    assert hist.final["test_error"] < 20


def test_dtp_trains_stochastic_binary_units_without_their_derivative():
    net = MLP((6, 8, 8, 3), "sigmoid+bernoulli", seed=0)
    algo = make_algorithm("dtp")
    algo.setup(net, RNG(0))
    step = algo.step(net, *batch(6, 3, 5, 0))
    assert set(step.grads) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert all(np.isfinite(g).all() for g in step.grads.values())


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("dtp", {"beta": 0.0}),
        ("dtp", {"beta": -1.0}),
        ("dtp", {"sigma": -0.1}),
        ("dtp", {"sigma": float("nan")}),
        ("dtp", {"local_loss": "bogus"}),
        ("dtp", {"inverse_init": "bogus"}),
        ("dtp_sigma", {"alpha": 0.0}),
        ("dtp_sigma", {"sigma_min": -0.001}),
        ("dtp_sigma", {"alpha": 0.01, "sigma_min": 0.1}),
        ("dtp_sigma", {"beta": float("inf")}),
        ("dtp_sigma", {"sigma": 0.1}),
    ],
)
def test_bad_hyperparameters_raise(name, kwargs):
    with pytest.raises(ValueError):
        make_algorithm(name, **kwargs)


def test_step_before_setup_raises():
    with pytest.raises(RuntimeError, match="setup"):
        make_algorithm("dtp").step(MLP((4, 4, 4, 2)), np.ones((2, 4)), np.eye(2))
