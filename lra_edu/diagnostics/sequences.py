"""Recurrent nets on symbol sequences: a learning curve, and where their accuracy comes from."""

from __future__ import annotations

from typing import Any

import numpy

from lra_edu.backend import Array, to_numpy
from lra_edu.metrics import angle
from lra_edu.rnn import ElmanRNN, draw_error_weights, train_rnn


def train_rnn_curve(
    rnn: ElmanRNN,
    x: Array,
    y: Array,
    x_test: Array,
    y_test: Array,
    method: str = "lra",
    epochs: int = 20,
    **kwargs: Any,
) -> dict[str, list[float]]:
    """Train ``rnn`` one epoch at a time with :func:`lra_edu.rnn.train_rnn`; record per epoch
    the training loss and the test accuracy (``"loss"``, ``"accuracy"``; index 0 = untrained)
    and, for ``method="lra"``, the angle between ``U`` and ``E^T`` (``"u_angle"``, degrees).

    Each call of ``train_rnn`` draws the same error weights and the same batch order from
    its ``seed``, so the epochs repeat one shuffle (SGD keeps no state between calls).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    E = None
    if method == "lra":
        E = draw_error_weights(rnn, kwargs.get("sigma_e", 1.0), kwargs.get("seed", 0))
    curve: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if E is not None:
        curve["u_angle"] = []

    def record(loss: float) -> None:
        curve["loss"].append(loss)
        curve["accuracy"].append(rnn.accuracy(x_test, y_test))
        if E is not None:
            curve["u_angle"].append(angle(rnn.params["U"], E.swapaxes(-1, -2)))

    record(rnn.loss(x, y))
    for _ in range(epochs):
        record(train_rnn(rnn, x, y, method, epochs=1, **kwargs)[-1])
    return curve


def _symbols(onehot: Array) -> numpy.ndarray:
    """Integer symbols from one-hot sequences ``(T, N, n_sym)``."""
    a = to_numpy(onehot)
    if a.ndim != 3:
        raise ValueError(f"expected one-hot sequences of shape (T, N, n_symbols), got {a.shape}")
    return a.argmax(axis=-1)


def memoryless_accuracy(x_train: Array, y_train: Array, x_test: Array, y_test: Array) -> float:
    """Test accuracy of the best predictor that sees only the current symbol.

    It predicts, for each current symbol, the next symbol most frequent after it in the
    training sequences (one-hot, shape ``(T, N, n_symbols)``).
    """
    cur, nxt = _symbols(x_train), _symbols(y_train)
    n = to_numpy(x_train).shape[-1]
    counts = numpy.zeros((n, n))
    numpy.add.at(counts, (cur.ravel(), nxt.ravel()), 1)
    rule = counts.argmax(axis=1)
    return float((rule[_symbols(x_test)] == _symbols(y_test)).mean())


def accuracy_by_context(rnn: ElmanRNN, x: Array, y: Array, symbol: int) -> tuple[float, float]:
    """Accuracy of ``rnn`` at the steps whose current input is ``symbol``, and at all others."""
    pred = numpy.stack([to_numpy(o) for o in rnn.forward(x).o]).argmax(axis=-1)
    cur, nxt = _symbols(x), _symbols(y)
    at = cur == symbol
    if not at.any() or at.all():
        raise ValueError(f"symbol {symbol} must occur at some but not all steps")
    right = pred == nxt
    return float(right[at].mean()), float(right[~at].mean())
