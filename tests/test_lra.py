"""LRA-diff and LRA-fdbk ([LRA18] Algorithms 1 and 2): identities, properties, training."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from helpers import batch
from hypothesis import given, settings
from hypothesis import strategies as st

from lra_edu import MLP, make_algorithm, one_hot, train
from lra_edu.activations import Unit, get_unit
from lra_edu.algorithms import BP
from lra_edu.algorithms.lra import LRADiff, LRAFdbk
from lra_edu.backend import RNG
from lra_edu.diagnostics import layer_cosines
from lra_edu.lemma import lra_diff_bridge
from lra_edu.losses import nll
from lra_edu.mlp import Forward

bridge = lra_diff_bridge


# --- the bridge from Lemma 1: LRA-diff with K=1, small beta, no Normalize is backprop ---


@settings(max_examples=25, deadline=None)
@given(
    depth=st.integers(2, 5),
    width=st.integers(2, 9),
    beta=st.floats(1e-3, 2.0),
    seed=st.integers(0, 10_000),
)
def test_lra_diff_linear_net_is_scaled_backprop_exactly(
    depth: int, width: int, beta: float, seed: int
) -> None:
    # With f = identity the target displacement beta*dh passes unchanged into the local L2
    # error, so each layer's error is beta times the one above: delta_l = beta^(n-l) delta_l^BP.
    sizes = (6,) + (width,) * (depth - 1) + (4,)
    net = MLP(sizes, "identity", "gaussian:0.5", seed=seed, dtype="float64")
    x, t = batch(seed=seed)
    algo = bridge(beta)
    lra = algo.step(net, x, t).grads
    bp = BP().step(net, x, t).grads
    n = net.n_layers
    for l in range(1, n + 1):
        for p in ("W", "b"):
            np.testing.assert_allclose(lra[f"{p}{l}"], beta ** (n - l) * bp[f"{p}{l}"], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("unit", ["tanh", "sigmoid", "relu"])
def test_lra_diff_small_beta_follows_backprop_direction(digits, unit: str) -> None:
    # Lemma 1's bridge: K=1, small beta, no Normalize -> backprop's direction
    # in every layer (cosine > 0.99). Not exactly equal: see the next test for the gap.
    net = MLP((64, 32, 32, 32, 10), unit, "gaussian:0.05", seed=1, dtype="float64")
    x = digits.x_train[:50].astype("float64")
    t = one_hot(digits.y_train[:50], 10, "float64")
    lra = bridge(1e-2).step(net, x, t).grads
    bp = BP().step(net, x, t).grads
    assert min(layer_cosines(lra, bp, net.n_layers)) > 0.99


def cubed_backprop(net: MLP, x, t) -> dict:
    """Backprop with f'(h)^3 in place of f'(h): LRA-diff's first-order limit (divided by beta)."""
    fw = net.forward(x)
    delta = fw.z[-1] - t
    grads = {}
    for l in range(net.n_layers, 0, -1):
        grads[f"W{l}"] = fw.z[l - 1].T @ delta / len(x)
        if l > 1:
            delta = (delta @ net.W(l).T) * net.unit.f.df(fw.h[l - 1]) ** 3
    return grads


@pytest.mark.parametrize("unit", ["tanh", "sigmoid", "softsign"])
def test_lra_diff_converges_to_cubed_derivative_backprop(unit: str) -> None:
    # y = f(h - beta dh) = z - beta f'(h) dh + O(beta^2) and dh = (delta W^T) f'(h), so the
    # local L2 error times f' is beta f'^3 (delta W^T): LRA-diff / beta^(n-l) tends to
    # backprop with f'^3, and the gap shrinks linearly with beta.
    net = MLP((6, 7, 7, 4), unit, "gaussian:0.8", seed=2, dtype="float64")
    x, t = batch(seed=2)
    ref = cubed_backprop(net, x, t)
    gaps = []
    for beta in (1e-2, 1e-3):
        lra = bridge(beta).step(net, x, t).grads
        gaps.append(
            max(
                np.linalg.norm(lra[f"W{l}"] / beta ** (3 - l) - ref[f"W{l}"]) / np.linalg.norm(ref[f"W{l}"])
                for l in (1, 2)
            )
        )
    assert gaps[1] < 0.2 * gaps[0] and gaps[1] < 1e-2, gaps


def test_lra_diff_walk_lowers_the_upper_loss() -> None:
    # Manifold walking: re-running layer n on the target y_{n-1} lowers the output loss,
    # and more steps lower it further.
    net = MLP((6, 8, 4), "tanh", "gaussian:0.5", seed=3, dtype="float64")
    x, t = batch(seed=3)
    fw = net.forward(x)
    losses = []
    for K in (1, 5, 20):
        y = LRADiff(K=K, beta=0.05, c2=None).target_below(net, fw, 2, t)
        losses.append(float(nll(net.layer(2, y)[0], t).mean()))
    assert float(nll(fw.logits, t).mean()) > losses[0] > losses[1] > losses[2]


# --- Normalize and halting ---


@settings(max_examples=30, deadline=None)
@given(
    c1=st.floats(1e-3, 10.0),
    c2=st.floats(1e-3, 10.0),
    beta=st.floats(1e-2, 3.0),
    K=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_normalize_bounds_updates_and_displacements(
    c1: float, c2: float, beta: float, K: int, seed: int
) -> None:
    net = MLP((6, 7, 5, 4), "identity", "gaussian:1.0", seed=seed, dtype="float64")
    x, t = batch(seed=seed)
    for algo in (LRADiff(K=K, beta=beta, c1=c1, c2=c2), LRAFdbk(K=K, beta=beta, c1=c1, c2=c2, sigma_e=3.0)):
        algo.setup(net, RNG(seed))
        for g in algo.step(net, x, t).grads.values():
            assert np.linalg.norm(g) <= c1 * (1 + 1e-9)
        # identity units: y_{l-1} - z_{l-1} = -beta * (sum of K capped displacements)
        fw = net.forward(x)
        for l in (2, 3):
            y = algo.target_below(net, fw, l, t if l == 3 else fw.z[l])
            assert np.all(np.linalg.norm(y - fw.z[l - 1], axis=-1) <= K * beta * c2 * (1 + 1e-9))


def test_sum_reduction_is_batch_size_times_the_mean() -> None:
    net = MLP((6, 5, 5, 4), "tanh", "gaussian:0.5", seed=6, dtype="float64")
    x, t = batch(seed=6)
    for cls in (LRADiff, LRAFdbk):
        total, mean = cls(c1=None), cls(c1=None, reduction="mean")
        total.setup(net, RNG(6))
        mean.setup(net, RNG(6))
        a, b = total.step(net, x, t).grads, mean.step(net, x, t).grads
        for k in b:
            np.testing.assert_allclose(a[k], len(x) * b[k], rtol=1e-12)


def test_large_eps_updates_only_the_top_layer() -> None:
    net = MLP((6, 5, 5, 5, 4), "tanh", "gaussian:0.5", seed=0)
    x, t = batch(dtype="float32")
    for algo in (LRADiff(eps=1e9), LRAFdbk(eps=1e9)):
        algo.setup(net, RNG(0))
        step = algo.step(net, x, t)
        assert sorted(step.grads) == ["W4", "b4"]
        assert step.diagnostics["depth"] == 1.0


@pytest.mark.parametrize("eps", [0.0, 1e-4, 1e-2, 0.1, 1.0])
def test_halting_updates_a_contiguous_block_of_top_layers(eps: float) -> None:
    net = MLP((6, 5, 5, 5, 4), "tanh", "gaussian:0.5", seed=0, dtype="float64")
    x, t = batch()
    algo = LRAFdbk(eps=eps, beta=0.5)
    algo.setup(net, RNG(0))
    step = algo.step(net, x, t)
    depth = int(step.diagnostics["depth"])
    assert 1 <= depth <= 4
    expected = {f"{p}{l}" for l in range(5 - depth, 5) for p in "Wb"}
    assert set(step.grads) == expected
    if eps == 0.0:
        assert depth == 4


# --- locality ---


@pytest.mark.parametrize("cls", [LRADiff, LRAFdbk])
def test_layer_update_reads_only_its_own_inputs_outputs_and_target(cls) -> None:
    # Layer l's update is a function of z*_{l-1}, h_l (hence z_l) and y_l alone: replace
    # every other stored activation by NaN and the update is unchanged.
    net = MLP((6, 5, 5, 5, 4), "tanh", "gaussian:0.5", seed=2, dtype="float64")
    x, t = batch(seed=2)
    fw = net.forward(x)
    algo = cls()
    for l in range(1, 5):
        y = t if l == 4 else fw.z[l] + 0.1
        poisoned = Forward(
            h=[fw.h[k] if k == l else np.full_like(fw.z[k], np.nan) for k in range(5)],
            z=[fw.z[k] if k == l else np.full_like(fw.z[k], np.nan) for k in range(5)],
            zs=[fw.zs[k] if k == l - 1 else np.full_like(fw.z[k], np.nan) for k in range(5)],
        )
        got, want = (
            algo.layer_update(f, l, algo.pre_error(net, l, f.h[l], y, f.z[l])) for f in (poisoned, fw)
        )
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])


def test_lra_fdbk_transports_no_weights() -> None:
    # Given the forward pass, LRA-fdbk (K=1) never reads a weight matrix: scrambling all
    # weights after the forward pass leaves every update unchanged.
    net = MLP((6, 5, 5, 4), "tanh", "gaussian:0.5", seed=4, dtype="float64")
    x, t = batch(seed=4)
    algo = LRAFdbk()
    algo.setup(net, RNG(4))
    fw = net.forward(x)
    want = algo.step(net, x, t).grads
    scrambled = net.copy()
    for k in scrambled.params:
        scrambled.params[k] = scrambled.params[k] * -7.0 + 1.0
    scrambled.forward = lambda _x: fw
    got = algo.step(scrambled, x, t).grads
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])


def test_lra_diff_information_flows_only_downwards() -> None:
    # LRA-diff uses W_j only in subgraph j's target search, so with the forward pass
    # fixed, changing W_j changes the updates of layers below j and never of layers >= j.
    net = MLP((6, 5, 5, 5, 4), "tanh", "gaussian:0.5", seed=5, dtype="float64")
    x, t = batch(seed=5)
    fw = net.forward(x)
    algo = LRADiff(K=3)
    want = algo.step(net, x, t).grads
    for j in (2, 3, 4):
        other = net.copy()
        other.params[f"W{j}"] = other.params[f"W{j}"] + 0.3
        other.forward = lambda _x: fw
        got = algo.step(other, x, t).grads
        for l in range(1, 5):
            same = np.array_equal(got[f"W{l}"], want[f"W{l}"])
            assert same == (l >= j), (j, l)


# --- non-differentiable and stochastic units (Algorithm 2) ---


class GuardedG:
    """A discrete unit's function that may only be *called* (forward); counts the calls."""

    def __init__(self, fn) -> None:
        object.__setattr__(self, "_fn", fn)
        object.__setattr__(self, "calls", 0)

    def __call__(self, z, rng=None):
        object.__setattr__(self, "calls", self.calls + 1)
        return self._fn(z, rng)

    def __getattr__(self, name: str):
        raise AssertionError(f"something asked g for {name!r}; only its forward pass is allowed")


def guarded_unit(spec: str) -> tuple[Unit, GuardedG]:
    base = get_unit(spec)
    guard = GuardedG(base.g.g)
    return Unit(base.f, dataclasses.replace(base.g, g=guard)), guard


@pytest.mark.parametrize(
    "spec", ["tanh+sign", "tanh+heaviside", "tanh+lwta", "tanh+slwta", "sigmoid+bernoulli"]
)
def test_lra_fdbk_trains_non_differentiable_units_without_their_derivative(digits, spec: str) -> None:
    # g is wrapped so that anything but its forward call fails; backprop and LRA-diff
    # refuse the unit (they need g's derivative), LRA-fdbk trains it from all-zero weights.
    unit, guard = guarded_unit(spec)
    net = MLP((64, 64, 64, 10), unit, "zeros", seed=0)
    with pytest.raises(ValueError, match="derivative"):
        BP().setup(net, RNG(0))
    with pytest.raises(ValueError, match="derivative"):
        LRADiff().setup(net, RNG(0))
    history = train(net, LRAFdbk(), digits, "adam:0.01", epochs=12, batch_size=50, progress=False)
    assert guard.calls > 0
    assert history.records[-1]["test_error"] < 35.0, history.curve("test_error")


# --- ensembles, validation, registry ---


@pytest.mark.parametrize("cls", [LRADiff, LRAFdbk])
def test_ensemble_step_equals_each_member_alone(cls) -> None:
    sizes = (6, 5, 5, 4)
    ens = MLP(sizes, "tanh", "gaussian:0.5", seed=7, dtype="float64", ensemble=3)
    x, t = batch(seed=7)
    algo = cls(K=2)
    algo.setup(ens, RNG(7))
    step = algo.step(ens, x, t)
    for r in range(3):
        single = MLP(sizes, "tanh", "gaussian:0.5", seed=0, dtype="float64")
        single.params = {k: v[r].copy() for k, v in ens.params.items()}
        alone = cls(K=2)
        if cls is LRAFdbk:
            alone.E = {l: E[r] for l, E in algo.E.items()}
        want = alone.step(single, x, t).grads
        for k in want:
            np.testing.assert_allclose(step.grads[k][r], want[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "name, hp",
    [
        ("lra_diff", {"K": 0}),
        ("lra_diff", {"K": 2.5}),
        ("lra_diff", {"beta": 0.0}),
        ("lra_diff", {"eps": -1.0}),
        ("lra_diff", {"c1": 0.0}),
        ("lra_diff", {"c2": -1.0}),
        ("lra_diff", {"local_loss": "huber"}),
        ("lra_diff", {"reduction": "median"}),
        ("lra_fdbk", {"sigma_e": -0.5}),
        ("lra_fdbk", {"beta": math.nan}),
        ("lra_diff", {"sigma_e": 1.0}),
    ],
)
def test_bad_hyperparameters_raise(name: str, hp: dict) -> None:
    with pytest.raises(ValueError):
        make_algorithm(name, **hp)


def test_registry_and_hyperparameter_names() -> None:
    assert isinstance(make_algorithm("lra_diff"), LRADiff)
    assert isinstance(make_algorithm("lra_fdbk"), LRAFdbk)
    common = ["K", "beta", "eps", "c1", "c2", "local_loss", "reduction"]
    assert LRADiff.hyperparameters() == common
    assert LRAFdbk.hyperparameters() == [*common, "sigma_e"]
    assert LRAFdbk.needs_derivatives is False and LRADiff.needs_derivatives is True


def test_fdbk_step_before_setup_is_a_clear_error() -> None:
    net = MLP((6, 5, 4), "tanh", seed=0)
    x, t = batch(dtype="float32")
    with pytest.raises(RuntimeError, match="setup"):
        LRAFdbk().step(net, x, t)


def test_diagnostics_are_floats(digits) -> None:
    net = MLP((64, 16, 16, 10), "tanh", seed=0)
    algo = LRAFdbk()
    algo.setup(net, RNG(0))
    step = algo.step(net, digits.x_train[:20], one_hot(digits.y_train[:20], 10))
    assert set(step.diagnostics) == {"depth", "discrepancy", "loss"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in step.diagnostics.values())
    assert step.diagnostics["discrepancy"] >= step.diagnostics["loss"]
