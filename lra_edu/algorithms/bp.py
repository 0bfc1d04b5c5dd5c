"""Backpropagation of errors: the reference every other algorithm is compared with.

With ``delta_n = softmax(h_n) - t`` and, going down,
``delta_{l-1} = (delta_l @ B_l) * f'(h_{l-1})`` where ``B_l = W_l^T``,
the gradient of the mean NLL is ``dW_l = z*_{l-1}^T @ delta_l / B``,
``db_l = sum_batch(delta_l) / B``. Feedback-alignment variants replace ``B_l``
(:meth:`BP.feedback`), which is why the backward sweep lives here once.
"""

from __future__ import annotations

from lra_edu.algorithms.base import Algorithm, Step, batch_mean, batch_size
from lra_edu.backend import Array
from lra_edu.losses import nll, nll_delta
from lra_edu.mlp import MLP, Forward


def weight_grads(fw: Forward, l: int, delta: Array) -> dict[str, Array]:
    """Mean-over-batch gradients of layer ``l`` from its pre-activation error ``delta``."""
    delta = delta / batch_size(delta)  # scale the small (batch, n_l) error, not the large dW
    return {
        f"W{l}": fw.zs[l - 1].swapaxes(-1, -2) @ delta,
        f"b{l}": delta.sum(axis=-2),
    }


class BP(Algorithm):
    """Backpropagation (the exact gradient of the mean output NLL)."""

    name = "bp"

    def feedback(self, net: MLP, l: int) -> Array:
        """The matrix that carries layer ``l``'s error down: ``W_l^T`` for backprop."""
        return net.W(l).swapaxes(-1, -2)

    def step(self, net: MLP, x: Array, t: Array) -> Step:
        """One backward sweep; every layer is updated (depth = n)."""
        fw = net.forward(x)
        delta = nll_delta(fw.logits, t)
        grads: dict[str, Array] = {}
        for l in range(net.n_layers, 0, -1):
            grads.update(weight_grads(fw, l, delta))
            if l > 1:
                delta = (delta @ self.feedback(net, l)) * net.unit.f.derivative(fw.h[l - 1], fw.z[l - 1])
        loss = batch_mean(nll(fw.logits, t))
        return Step(grads, diagnostics={"depth": net.n_layers, "discrepancy": loss, "loss": loss})
