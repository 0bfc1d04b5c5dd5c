"""Gradient estimators for stochastic binary units, checked on a one-unit problem.

The problem: one input x, one Bernoulli hidden unit s ~ B(p), p = sigm(w x + b), and
a two-class softmax output on s. Its expected loss ``E[L] = p L(1) + (1 - p) L(0)``
has an exact gradient; each estimator's exact expectation is ``p g(1) + (1 - p) g(0)``
where ``g(s)`` is the estimate for a forced sample s.
"""

import numpy as np
import pytest
from finite_diff import central_difference
from hypothesis import assume, given
from hypothesis import strategies as st

from lra_edu import MLP, load_dataset, make_algorithm, train
from lra_edu.algorithms.stochastic import Sample
from lra_edu.backend import RNG
from lra_edu.losses import nll, softmax

ESTIMATORS = ["st_pass", "st_sigmoid", "st_anneal", "reinforce", "reinforce_baseline"]
reals = st.floats(-2.0, 2.0, allow_nan=False)


def one_unit(x, w1, b1, w2, b2):
    net = MLP((1, 1, 2), "sigmoid+bernoulli", seed=0, dtype="float64")
    net.params.update(
        W1=np.array([[w1]]), b1=np.array([b1]), W2=np.array([w2]).reshape(1, 2), b2=np.array(b2, dtype=float)
    )
    return net, np.array([[x]])


def loss_given(net, s, t):
    return float(nll(s * net.W(2) + net.params["b2"], t)[0])


def expected_loss(net, x, t):
    p = 1.0 / (1.0 + np.exp(-(x @ net.W(1) + net.params["b1"])[0, 0]))
    return p * loss_given(net, 1.0, t) + (1 - p) * loss_given(net, 0.0, t)


def exact_gradient(net, x, t):
    return {key: central_difference(p, lambda: expected_loss(net, x, t)) for key, p in net.params.items()}


def estimator_expectation(algo, net, x, t):
    """Exact expectation of the estimator: both samples, weighted by their probabilities."""
    m = algo.slope()
    h1 = x @ net.W(1) + net.params["b1"]
    p = 1.0 / (1.0 + np.exp(-m * h1))
    out = {}
    for s_value, weight in ((1.0, p[0, 0]), (0.0, 1 - p[0, 0])):
        s = np.array([[s_value]])
        smp = Sample(h=[None, h1, s @ net.W(2) + net.params["b2"]], p=[None, p], s=[x, s])
        for k, g in algo.estimate(net, smp, t).items():
            out[k] = out.get(k, 0.0) + weight * g
    return out


@given(
    x=reals, w1=reals, b1=reals, w2=st.tuples(reals, reals), b2=st.tuples(reals, reals), cls=st.integers(0, 1)
)
def test_reinforce_is_unbiased_exactly(x, w1, b1, w2, b2, cls):
    net, xs = one_unit(x, w1, b1, w2, b2)
    t = np.eye(2)[[cls]]
    exact = exact_gradient(net, xs, t)
    for name in ("reinforce", "reinforce_baseline"):
        algo = make_algorithm(name)
        if name == "reinforce_baseline":  # any baseline from earlier batches leaves the mean unchanged
            algo.num, algo.den = {1: np.array([0.37 + x])}, {1: np.array([0.21])}
        got = estimator_expectation(algo, net, xs, t)
        for k in exact:
            np.testing.assert_allclose(got[k], exact[k], rtol=1e-6, atol=1e-8, err_msg=f"{name} {k}")


def test_reinforce_monte_carlo_mean_matches_the_exact_gradient():
    net, xs = one_unit(1.0, 0.3, -0.2, (1.5, -1.0), (0.0, 0.2))
    t = np.eye(2)[[0]]
    exact = exact_gradient(net, xs, t)
    n = 40_000
    x_many, t_many = np.repeat(xs, n, axis=0), np.repeat(t, n, axis=0)
    for name in ("reinforce", "reinforce_baseline"):
        algo = make_algorithm(name)
        algo.setup(net, RNG(0))
        if name == "reinforce_baseline":
            algo.step(net, x_many[:1000], t_many[:1000])  # fill the running baseline first
        g = algo.step(net, x_many, t_many).grads
        # |L (s - p) x| <= 3 here, so the standard error of the mean is below 3 / sqrt(n) = 0.015
        assert abs(g["W1"][0, 0] - exact["W1"][0, 0]) < 0.05
        np.testing.assert_allclose(g["W2"], exact["W2"], atol=0.05)


def test_baseline_reduces_variance():
    net, xs = one_unit(1.0, 0.3, -0.2, (1.5, -1.0), (2.0, 0.2))
    t = np.eye(2)[[0]]
    spreads = {}
    for name in ("reinforce", "reinforce_baseline"):
        algo = make_algorithm(name, decay=0.5) if name == "reinforce_baseline" else make_algorithm(name)
        algo.setup(net, RNG(0))
        draws = [
            algo.step(net, np.repeat(xs, 20, 0), np.repeat(t, 20, 0)).grads["W1"][0, 0] for _ in range(300)
        ]
        spreads[name] = np.std(draws[20:])
    assert spreads["reinforce_baseline"] < 0.5 * spreads["reinforce"]


@given(
    x=reals, w1=reals, b1=reals, w2=st.tuples(reals, reals), b2=st.tuples(reals, reals), cls=st.integers(0, 1)
)
def test_straight_through_estimators_have_the_sign_of_the_gradient(x, w1, b1, w2, b2, cls):
    # L(s) is convex in s, so L'(0) <= L(1) - L(0) <= L'(1): where L'(0) and L'(1) share a
    # sign, the exact gradient (L(1) - L(0)) p (1 - p) x has it too, and every
    # straight-through expectation, a positive multiple of p L'(1) + (1 - p) L'(0) times x,
    # must agree with it.
    net, xs = one_unit(x, w1, b1, w2, b2)
    t = np.eye(2)[[cls]]
    slope = [
        (np.exp(s * net.W(2) + net.params["b2"]) / np.exp(s * net.W(2) + net.params["b2"]).sum() - t)
        @ net.W(2).T
        for s in (0.0, 1.0)
    ]
    d0, d1 = float(slope[0][0, 0]), float(slope[1][0, 0])
    assume(d0 * d1 > 0 and min(abs(d0), abs(d1)) > 1e-3 and abs(x) > 1e-2)
    exact = exact_gradient(net, xs, t)["W1"][0, 0]
    for name in ("st_pass", "st_sigmoid", "st_anneal"):
        got = estimator_expectation(make_algorithm(name), net, xs, t)["W1"][0, 0]
        assert np.sign(got) == np.sign(exact), name


def test_slope_annealing_schedule_and_forward():
    algo = make_algorithm("st_anneal", slope_start=1.0, slope_rate=0.5, slope_max=2.2)
    net = MLP((3, 4, 2), "sigmoid+bernoulli", seed=0, dtype="float64")
    algo.setup(net, RNG(0))
    x, t = np.ones((2, 3)), np.eye(2)
    slopes = [algo.step(net, x, t).diagnostics["slope"] for _ in range(5)]
    assert slopes == [1.0, 1.5, 2.0, 2.2, 2.2]
    smp = algo.sample(net, x)
    np.testing.assert_allclose(smp.p[1], 1.0 / (1.0 + np.exp(-2.2 * smp.h[1])))
    assert set(np.unique(smp.s[1])) <= {0.0, 1.0}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_proba_averages_posterior_samples(name):
    net = MLP((4, 6, 6, 3), "sigmoid+bernoulli", init="gaussian:1.0", seed=0, dtype="float64")
    x = np.random.default_rng(0).uniform(size=(5, 4))
    one, many = make_algorithm(name, samples=1), make_algorithm(name, samples=400)
    p1, p400 = one.predict_proba(net, x), many.predict_proba(net, x)
    np.testing.assert_allclose(p400.sum(-1), 1.0)
    ref = np.mean([one.predict_proba(net, x) for _ in range(400)], axis=0)
    assert np.abs(p400 - ref).max() < 0.05  # two estimates of the same posterior mean
    assert np.abs(p1 - ref).max() > np.abs(p400 - ref).max()


@pytest.mark.parametrize("sizes", [(6, 5, 4, 3), (6, 5, 3), (6, 3)])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_proba_draws_exactly_the_samples_of_whole_passes(name, sizes):
    """Computing p_1 once for all draws changes nothing: same numbers, same random stream after."""
    x = np.random.default_rng(1).random((40, 6))
    nets = [MLP(sizes, "sigmoid+bernoulli", init="glorot", seed=3, dtype="float64") for _ in "ab"]
    algo = make_algorithm(name, samples=5, **({"slope_start": 2.5} if name == "st_anneal" else {}))
    whole = sum(softmax(algo.sample(nets[1], x).h[-1]) for _ in range(5)) / 5
    np.testing.assert_array_equal(algo.predict_proba(nets[0], x), whole)
    np.testing.assert_array_equal(nets[0].noise.uniform((3,)), nets[1].noise.uniform((3,)))


@pytest.mark.parametrize("name", ["st_pass", "st_sigmoid", "reinforce_baseline"])
def test_estimators_learn_digits(name):
    data = load_dataset("digits")
    net = MLP((64, 48, 10), "sigmoid+bernoulli", init="glorot", seed=0)
    algo = make_algorithm(name, samples=5)
    lr = "sgd:0.1" if name == "st_pass" else "sgd:0.5"
    hist = train(net, algo, data, lr, epochs=6, progress=False, splits=("test",))
    assert hist.final["test_error"] < 0.6 * hist.curve("test_error")[0]


def test_unit_requirements():
    with pytest.raises(ValueError, match="sigmoid\\+bernoulli"):
        make_algorithm("reinforce").setup(MLP((4, 4, 2), "tanh+sign"), RNG(0))
    with pytest.raises(ValueError, match="has none"):
        make_algorithm("st_pass").setup(MLP((4, 4, 2), "tanh"), RNG(0))
    make_algorithm("st_pass").setup(MLP((4, 4, 2), "tanh+sign"), RNG(0))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("st_pass", {"samples": 0}),
        ("st_sigmoid", {"samples": 2.5}),
        ("st_anneal", {"slope_start": 0.0}),
        ("st_anneal", {"slope_rate": -1.0}),
        ("st_anneal", {"slope_start": 3.0, "slope_max": 2.0}),
        ("reinforce", {"decay": 0.5}),
        ("reinforce_baseline", {"decay": 1.0}),
        ("reinforce_baseline", {"decay": -0.1}),
    ],
)
def test_bad_hyperparameters_raise(name, kwargs):
    with pytest.raises(ValueError):
        make_algorithm(name, **kwargs)
