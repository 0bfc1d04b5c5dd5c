"""Optimizers: exact first steps, bit-identity with the formulas evaluated term by term, validation."""

import copy
import pickle

import numpy as np
import pytest

from lra_edu.optimizers import SGD, Adam, RMSprop, get_optimizer


def test_sgd_step_is_lr_times_direction():
    p = {"W": np.ones(3)}
    get_optimizer("sgd:0.5").update(p, {"W": np.array([1.0, -2.0, 0.0])})
    np.testing.assert_allclose(p["W"], [0.5, 2.0, 1.0])


def test_sgd_momentum_accumulates():
    p = {"W": np.zeros(1)}
    opt = get_optimizer("sgd:1")
    opt.momentum = 0.5
    opt.update(p, {"W": np.ones(1)})
    opt.update(p, {"W": np.ones(1)})
    np.testing.assert_allclose(p["W"], [-(1 + 1.5)])


def test_adam_first_step_is_lr_times_sign():
    p = {"W": np.zeros(3)}
    Adam(0.1).update(p, {"W": np.array([3.0, -0.01, 2.0])})
    np.testing.assert_allclose(p["W"], [-0.1, 0.1, -0.1], rtol=1e-6)


def test_rmsprop_first_step():
    p = {"W": np.zeros(1)}
    RMSprop(0.01, rho=0.9).update(p, {"W": np.array([2.0])})
    np.testing.assert_allclose(p["W"], [-0.01 * 2.0 / np.sqrt(0.1 * 4.0)], rtol=1e-6)


def test_missing_keys_are_left_alone():
    p = {"W1": np.ones(2), "W2": np.ones(2)}
    get_optimizer("adam").update(p, {"W2": np.ones(2)})
    np.testing.assert_array_equal(p["W1"], np.ones(2))


def test_in_place_keeps_dtype():
    p = {"W": np.ones(2, dtype=np.float32)}
    get_optimizer("rmsprop:0.1").update(p, {"W": np.ones(2, dtype=np.float32)})
    assert p["W"].dtype == np.float32


# --- The formulas evaluated term by term, with temporaries: what the in-place updates must equal.


def _rate(lr, g):
    if isinstance(lr, float):
        return lr
    lr = np.asarray(lr)
    return lr.reshape(lr.shape + (1,) * (g.ndim - 1)).astype(g.dtype)


def _reference_step(kind, hp, lr, s, g):
    """The amount to subtract, by the textbook formula (``s`` is this key's state)."""
    if kind == "sgd":
        if not hp["momentum"]:
            return _rate(lr, g) * g
        s.setdefault("v", np.zeros_like(g))
        s["v"] = hp["momentum"] * s["v"] + g
        return _rate(lr, g) * s["v"]
    if kind == "adam":
        b1, b2 = hp["beta1"], hp["beta2"]
        if not s:
            s.update(m=np.zeros_like(g), v=np.zeros_like(g), t=0)
        s["t"] += 1
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1 ** s["t"])
        v_hat = s["v"] / (1 - b2 ** s["t"])
        return _rate(lr, g) * m_hat / (np.sqrt(v_hat) + hp["eps"])
    s.setdefault("v", np.zeros_like(g))
    s["v"] = hp["rho"] * s["v"] + (1 - hp["rho"]) * g * g
    return _rate(lr, g) * g / (np.sqrt(s["v"]) + hp["eps"])


CASES = [
    ("sgd", {"momentum": 0.0}),
    ("sgd", {"momentum": 0.9}),
    ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
    ("adam", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3}),
    ("rmsprop", {"rho": 0.9, "eps": 1e-8}),
    ("rmsprop", {"rho": 0.99, "eps": 1e-6}),
]
CLASSES = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def _problem(dtype, members):
    """Parameters larger than one block, a bias, a scalar, and per-step directions (some missing)."""
    rng = np.random.default_rng(7)
    lead = (members,) if members else ()
    shapes = {"W1": (170, 130), "b1": (130,), "W2": (13, 7), "s": (), "Wt": (11, 9)}
    params = {k: rng.standard_normal(lead + s).astype(dtype) for k, s in shapes.items()}
    # a non-contiguous parameter: not walked in blocks
    params["Wt"] = np.ascontiguousarray(params["Wt"].swapaxes(-1, -2)).swapaxes(-1, -2)
    steps = []
    for t in range(6):
        g = {k: (rng.standard_normal(lead + s) * 10.0 ** rng.integers(-6, 2)).astype(dtype)
             for k, s in shapes.items()}
        if t == 2:
            del g["b1"]
        if t == 3:
            g["W2"][..., :3] = 0.0
        if t == 4 and not members:
            g["W1"] = np.ascontiguousarray(g["W1"].T).T  # a non-contiguous direction
        steps.append(g)
    return params, steps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("members", [0, 3])
@pytest.mark.parametrize(("kind", "hp"), CASES)
def test_in_place_update_is_bit_identical_to_the_formula(kind, hp, dtype, members):
    params, steps = _problem(dtype, members)
    lr = [0.1, 0.003, 0.02] if members else 0.01
    opt = CLASSES[kind](lr, **hp)
    opt.block = 1000  # several blocks per array, and blocks that end mid-row
    expected = {k: v.copy() for k, v in params.items()}
    state = {}
    for t, g in enumerate(steps):
        if t == 3:
            opt = pickle.loads(pickle.dumps(opt))  # a resumed checkpoint continues identically
        opt.update(params, g)
        for k, gk in g.items():
            expected[k] -= _reference_step(kind, hp, lr, state.setdefault(k, {}), gk).astype(dtype)
        for k in params:
            assert params[k].dtype == dtype
            np.testing.assert_array_equal(params[k], expected[k], err_msg=f"{kind} {k} step {t}")
    for k, s in state.items():
        for name, value in s.items():
            np.testing.assert_array_equal(opt.state[k][name], value)
    assert set(opt._scratch.buffers) == {"Wt"}  # whole-array scratch only where blocks cannot be cut


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_is_bit_identical_once_the_bias_corrections_round_to_one(dtype):
    rng = np.random.default_rng(3)
    hp = {"beta1": 0.5, "beta2": 0.6, "eps": 1e-8}
    opt = Adam(0.01, **hp)
    params = {"W": rng.standard_normal((5, 4)).astype(dtype)}
    expected, state = params["W"].copy(), {}
    for _ in range(80):  # 0.5^t and 0.6^t fall below half an ulp of 1 in float32 and float64
        g = rng.standard_normal((5, 4)).astype(dtype)
        opt.update(params, {"W": g})
        expected -= _reference_step("adam", hp, 0.01, state, g).astype(dtype)
        np.testing.assert_array_equal(params["W"], expected)
    assert dtype(1 - 0.6**80) == 1


def test_blocking_does_not_change_the_result():
    params, steps = _problem(np.float32, 0)
    copies = {k: v.copy() for k, v in params.items()}
    one, many = Adam(0.01), Adam(0.01)
    one.block, many.block = 10**9, 7
    for g in steps:
        one.update(params, g)
        many.update(copies, g)
    for k in params:
        np.testing.assert_array_equal(params[k], copies[k])


def test_scratch_is_reused_and_not_pickled():
    p = {"W": np.zeros((4, 5), np.float32)}
    opt = Adam(0.01)
    opt.update(p, {"W": np.ones((4, 5), np.float32)})
    bufs = opt._scratch.blocks["<f4"]
    opt.update(p, {"W": np.ones((4, 5), np.float32)})
    assert all(a is b for a, b in zip(bufs, opt._scratch.blocks["<f4"]))
    assert "_scratch" not in opt.__getstate__()
    assert pickle.loads(pickle.dumps(opt))._scratch.blocks == {}
    assert copy.deepcopy(opt)._scratch.blocks == {}


def test_float32_state_stays_float32_with_numpy_scalar_hyperparameters():
    p = {"W": np.zeros(3, np.float32)}
    g = {"W": np.array([1.0, -2.0, 3.0], np.float32)}
    a = Adam(np.float32(0.01), beta1=np.float64(0.9), beta2=np.float32(0.999), eps=np.float64(1e-8))
    b = Adam(0.01, beta1=0.9, beta2=float(np.float32(0.999)), eps=1e-8)
    q = {"W": p["W"].copy()}
    a.update(p, g)
    b.update(q, g)
    assert a.state["W"]["m"].dtype == np.float32
    np.testing.assert_array_equal(p["W"], q["W"])


def test_numpy_scalars_are_numbers():
    assert SGD(np.int64(1), momentum=np.float32(0.5)).lr == 1.0
    assert RMSprop([np.float32(0.5), np.float64(0.25)], rho=np.float64(0.9)).lr.tolist() == [0.5, 0.25]
    assert isinstance(Adam(np.float32(0.01)).beta1, float)


def test_too_few_members_for_the_rates():
    with pytest.raises(ValueError, match="2 learning rates need a leading"):
        SGD([0.1, 0.2]).update({"W": np.zeros((3, 2))}, {"W": np.ones((3, 2))})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Adam(beta1=1.0), r"beta1 must be in \[0, 1\), got 1.0"),
        (lambda: Adam(beta1=-0.1), r"beta1 must be in \[0, 1\)"),
        (lambda: Adam(beta2=1.5), r"beta2 must be in \[0, 1\)"),
        (lambda: Adam(eps=0.0), "eps must be a positive number"),
        (lambda: Adam(eps=-1e-8), "eps must be a positive number"),
        (lambda: Adam(beta1=float("nan")), "beta1 must be a finite number"),
        (lambda: Adam(beta2="0.9"), "beta2 must be a finite number"),
        (lambda: RMSprop(rho=1.0), r"rho must be in \[0, 1\)"),
        (lambda: RMSprop(eps=0), "eps must be a positive number"),
        (lambda: SGD(momentum=1.0), r"momentum must be in \[0, 1\)"),
        (lambda: SGD(True), "learning rate must be a positive number"),
        (lambda: SGD([0.1, np.float32(-1)]), "learning rate must be a positive number"),
        (lambda: Adam(np.float64(np.inf)), "learning rate must be a positive number"),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sgdx", "valid optimizers: sgd, adam, rmsprop"),
        ("sgd:-1", "positive"),
        ("adam:x", "must be a number"),
        ("sgd:nan", "positive"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        get_optimizer(spec)
