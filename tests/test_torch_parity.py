"""Backprop's and FA's updates equal PyTorch autograd's on identical weights (float64).

Optional: runs when the ``bench`` extra's PyTorch is installed, and is skipped otherwise.
FA's reference is autograd through a custom ``torch.autograd.Function`` whose backward
carries the error down with the fixed feedback matrix instead of ``W^T``.
"""

import numpy as np
import pytest

from lra_edu.algorithms import make_algorithm
from lra_edu.backend import RNG
from lra_edu.metrics import one_hot
from lra_edu.mlp import MLP

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[bench]')")

TOL = 1e-12
TORCH_UNITS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "softsign": torch.nn.functional.softsign,
}


class FeedbackLinear(torch.autograd.Function):
    """``z @ W + b`` whose backward sends ``grad @ B`` down (B fixed, shape (n_out, n_in))."""

    @staticmethod
    def forward(ctx, z, W, b, B):
        ctx.save_for_backward(z, B)
        return z @ W + b

    @staticmethod
    def backward(ctx, grad):
        z, B = ctx.saved_tensors
        return grad @ B, z.T @ grad, grad.sum(0), None


def _torch_grads(net, x, t, feedback=None):
    """Autograd's gradients of the batch-mean NLL (FA when ``feedback`` maps l -> B_l)."""
    f = TORCH_UNITS[net.unit.name]
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    a = torch.tensor(x)
    for l in range(1, net.n_layers + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        if feedback is not None and l > 1:
            h = FeedbackLinear.apply(a, W, b, torch.tensor(feedback[l]))
        else:
            h = a @ W + b
        a = f(h) if l < net.n_layers else h
    loss = -(torch.tensor(t) * torch.log_softmax(a, dim=-1)).sum(-1).mean()
    loss.backward()
    return float(loss.detach()), {k: p.grad.numpy() for k, p in params.items()}


CASES = [
    ((5, 7, 3), "tanh"),
    ((6, 8, 8, 4), "sigmoid"),
    ((6, 9, 7, 5, 3), "relu"),
    ((4, 6, 6, 6, 6, 6, 3), "softsign"),
    ((6, 8, 8, 4), "tanh"),
]


@pytest.mark.parametrize("algorithm", ["bp", "fa"])
@pytest.mark.parametrize(("sizes", "unit"), CASES)
def test_updates_equal_autograd(algorithm, sizes, unit):
    rng = RNG(11)
    net = MLP(sizes, unit, init="glorot", seed=3, dtype="float64")
    net.params = {k: v + rng.normal(v.shape, 0.1, "float64") for k, v in net.params.items()}  # nonzero biases
    algo = make_algorithm(algorithm)
    algo.setup(net, rng.spawn())
    x = rng.normal((9, sizes[0]), 1.0, "float64")
    t = one_hot(np.asarray(rng.host.integers(0, sizes[-1], 9)), sizes[-1], "float64")
    step = algo.step(net, x, t)
    loss, expected = _torch_grads(net, x, t, algo.B if algorithm == "fa" else None)
    assert step.diagnostics["loss"] == pytest.approx(loss, rel=TOL, abs=TOL)
    assert set(step.grads) == set(expected)
    for k, g in expected.items():
        np.testing.assert_allclose(step.grads[k], g, rtol=TOL, atol=TOL, err_msg=f"{algorithm} {k}")


def test_fa_differs_from_backprop_so_the_fa_check_can_fail():
    rng = RNG(5)
    net = MLP((6, 8, 8, 4), "tanh", init="glorot", seed=1, dtype="float64")
    fa = make_algorithm("fa")
    fa.setup(net, rng.spawn())
    x = rng.normal((9, 6), 1.0, "float64")
    t = one_hot(np.asarray(rng.host.integers(0, 4, 9)), 4, "float64")
    _, bp_grads = _torch_grads(net, x, t)
    _, fa_grads = _torch_grads(net, x, t, fa.B)
    assert not np.allclose(bp_grads["W1"], fa_grads["W1"], rtol=1e-3)
    np.testing.assert_allclose(bp_grads["W3"], fa_grads["W3"], rtol=TOL, atol=TOL)  # the top layer agrees
