"""The Elman RNN appendix ([LRA18] Appendix B): BPTT, LRA-fdbk in time, the pattern task."""

from __future__ import annotations

import numpy as np
import pytest
from finite_diff import central_difference
from hypothesis import given, settings
from hypothesis import strategies as st

from lra_edu.metrics import cosine
from lra_edu.rnn import ElmanRNN, bptt_grads, draw_error_weights, lra_grads, pattern_sequences, train_rnn


def random_problem(T: int = 5, B: int = 3, n_in: int = 3, n_h: int = 4, n_out: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, n_in))
    y = rng.normal(size=(T, B, n_out))
    return x, y


def test_bptt_is_the_gradient_of_the_loss() -> None:
    rnn = ElmanRNN(3, 4, 2, init_std=0.5, seed=1, dtype="float64")
    x, y = random_problem(seed=1)
    grads = bptt_grads(rnn, x, y)
    for key, p in rnn.params.items():
        numeric = central_difference(p, lambda: rnn.loss(x, y))
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(T=st.integers(1, 6), beta=st.floats(1e-3, 2.0), seed=st.integers(0, 10_000))
def test_lra_with_transposed_output_weights_and_linear_units_is_truncated_bptt(
    T: int, beta: float, seed: int
) -> None:
    # With phi = identity and E = U^T, the hidden target is h_t - beta * e2_t U^T, so the
    # hidden error is beta times the error that BPTT would carry from step t's output
    # alone: LRA-fdbk is beta x (BPTT truncated to one step), and dU is identical.
    rnn = ElmanRNN(3, 4, 2, unit="identity", init_std=0.5, seed=seed, dtype="float64")
    x, y = random_problem(T=T, seed=seed)
    lra = lra_grads(rnn, x, y, rnn.params["U"].T, beta)
    fw = rnn.forward(x)
    deltas = [(fw.o[t] - y[t]) @ rnn.params["U"].T for t in range(T)]  # no carry through V
    scale = 1.0 / (T * x.shape[1])
    want_W = beta * scale * sum(x[t].T @ deltas[t] for t in range(T))
    want_V = beta * scale * sum(fw.z_prev(t).T @ deltas[t] for t in range(T))
    np.testing.assert_allclose(lra["W"], want_W, rtol=1e-9)
    np.testing.assert_allclose(lra["V"], want_V, rtol=1e-9)
    np.testing.assert_allclose(lra["U"], bptt_grads(rnn, x, y)["U"], rtol=1e-12)


def test_lra_update_points_downhill_with_aligned_feedback() -> None:
    rnn = ElmanRNN(3, 8, 3, init_std=0.3, seed=2, dtype="float64")
    x, y = pattern_sequences(32, 10, seed=2, dtype="float64")
    lra = lra_grads(rnn, x, y, rnn.params["U"].T, beta=0.1)
    assert cosine(lra, bptt_grads(rnn, x, y)) > 0.5


def test_lra_learns_the_pattern_beyond_a_memoryless_predictor() -> None:
    # In 0 1 2 1 0 1 2 1 ... the symbol after a 1 depends on the one before it: a
    # predictor that sees only the current symbol is right at most 75% of the time.
    x, y = pattern_sequences(256, 20, noise=0.05, seed=0)
    x_test, y_test = pattern_sequences(256, 20, noise=0.0, seed=1)
    for method in ("lra", "bptt"):
        rnn = ElmanRNN(3, 16, 3, seed=0)
        losses = train_rnn(rnn, x, y, method, epochs=20)
        assert losses[-1] < 0.3 * losses[0]
        assert rnn.accuracy(x_test, y_test) > 0.9, method


def test_pattern_sequences_shapes_and_shift() -> None:
    x, y = pattern_sequences(5, 12, pattern=(0, 1, 2, 1), noise=0.0, seed=3)
    assert x.shape == y.shape == (12, 5, 3)
    np.testing.assert_array_equal(x[1:], y[:-1])
    symbols = x.argmax(axis=-1)
    np.testing.assert_array_equal(symbols[4:], symbols[:-4])  # period 4 without noise
    noisy, _ = pattern_sequences(200, 50, noise=0.5, seed=3)
    assert np.all(noisy.sum(axis=-1) == 1.0)
    assert not np.array_equal(noisy.argmax(-1)[4:], noisy.argmax(-1)[:-4])


def test_error_weights_shape() -> None:
    rnn = ElmanRNN(3, 7, 2)
    assert draw_error_weights(rnn).shape == (2, 7)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ElmanRNN(0, 4, 2),
        lambda: ElmanRNN(3, 4, 2, unit="sign"),
        lambda: ElmanRNN(3, 4, 2, init_std=-1.0),
        lambda: pattern_sequences(3, 4, noise=1.5),
        lambda: pattern_sequences(3, 4, pattern=()),
        lambda: train_rnn(ElmanRNN(3, 4, 3), *pattern_sequences(4, 5), method="rtrl"),
        lambda: train_rnn(ElmanRNN(3, 4, 3), *pattern_sequences(4, 5), beta=0.0),
    ],
)
def test_bad_arguments_raise(call) -> None:
    with pytest.raises(ValueError):
        call()
