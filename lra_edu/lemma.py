"""Lemma 1 of [LRA18]: backpropagation is target propagation with gradient targets.

Set ``y_n = t``. Going down, each hidden layer gets the target

    y_l = z_l - d L_{l+1}(z_{l+1}, y_{l+1}) / d z_l,

with ``L_l = 0.5 * ||z_l - y_l||^2`` for ``l < n`` and ``L_n`` the output NLL, where
``z_{l+1}`` is seen as a function of ``z_l`` and the target ``y_{l+1}`` is held fixed.
Then the gradient of every *local* loss ``L_l`` with respect to ``W_l`` equals the
gradient of the *global* loss ``L_n`` with respect to ``W_l``: one simultaneous local
step on every layer is one step of backprop.

The functions here compute the targets and the local gradients from the layers'
local losses only; they never call backprop's code, so comparing the two
(:func:`lemma1_check`) is a real test of the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lra_edu.algorithms.bp import BP, weight_grads
from lra_edu.backend import RNG, to_numpy, xp_of
from lra_edu.losses import get_loss, nll_delta
from lra_edu.mlp import MLP, Forward

Array = Any
L2 = get_loss("l2")


def _local_loss_grad_wrt_input(net: MLP, fw: Forward, l: int, y_l: Array) -> Array:
    """``d L_l(z_l, y_l) / d z_{l-1}`` for the subgraph z_{l-1} -> h_l -> z_l."""
    if l == net.n_layers:
        delta = nll_delta(fw.h[l], y_l)
    else:
        delta = L2.error(fw.z[l], y_l) * net.unit.f.df(fw.h[l])
    return delta @ net.W(l).swapaxes(-1, -2)


def lemma1_targets(net: MLP, fw: Forward, t: Array) -> list[Array]:
    """Targets ``[None, y_1, ..., y_n]`` of Lemma 1 (``y_n = t``)."""
    n = net.n_layers
    y: list[Array] = [None] * (n + 1)
    y[n] = t
    for l in range(n - 1, 0, -1):
        y[l] = fw.z[l] - _local_loss_grad_wrt_input(net, fw, l + 1, y[l + 1])
    return y


def local_gradients(net: MLP, fw: Forward, y: list[Array]) -> dict[str, Array]:
    """Gradients of each layer's own local loss ``L_l(z_l, y_l)`` w.r.t. ``W_l, b_l``."""
    grads: dict[str, Array] = {}
    for l in range(1, net.n_layers + 1):
        if l == net.n_layers:
            delta = nll_delta(fw.h[l], y[l])
        else:
            delta = L2.error(fw.z[l], y[l]) * net.unit.f.df(fw.h[l])
        grads.update(weight_grads(fw, l, delta))
    return grads


@dataclass
class Lemma1Result:
    """Local (target-propagation) gradients beside backprop's, with their differences."""

    local: dict[str, Array]
    backprop: dict[str, Array]
    rel_diff: dict[str, float]

    @property
    def worst(self) -> float:
        """The largest relative difference over all parameters."""
        return max(self.rel_diff.values())


def relative_difference(a: Array, b: Array) -> float:
    """``||a - b|| / max(||b||, tiny)`` in the Frobenius norm."""
    xp = xp_of(a)
    return float(xp.linalg.norm((a - b).ravel()) / max(float(xp.linalg.norm(b.ravel())), 1e-300))


def lemma1_check(net: MLP, x: Array, t: Array) -> Lemma1Result:
    """Compare Lemma 1's local gradients with backprop's on one batch."""
    if not net.unit.differentiable:
        raise ValueError(f"Lemma 1 needs a differentiable unit; {net.unit.name!r} is not")
    fw = net.forward(x)
    local = local_gradients(net, fw, lemma1_targets(net, fw, t))
    bp = BP().step(net, x, t).grads
    return Lemma1Result(local, bp, {k: relative_difference(local[k], bp[k]) for k in bp})


def random_lemma1_worst(
    depths: tuple[int, ...] = (2, 3, 4, 6, 8),
    units: tuple[str, ...] = ("tanh", "sigmoid", "softsign", "softplus", "relu"),
    width: int = 16,
    batch: int = 8,
    n_in: int = 10,
    n_out: int = 5,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Run :func:`lemma1_check` on random float64 nets; one record per (depth, unit)."""
    rng = RNG(seed)
    records = []
    for depth in depths:
        for unit in units:
            sizes = (n_in,) + (width,) * (depth - 1) + (n_out,)
            net = MLP(sizes, unit, init="gaussian:0.5", seed=int(rng.host.integers(2**31)), dtype="float64")
            for k in net.params:
                if k.startswith("b"):
                    net.params[k] += rng.normal(net.params[k].shape, 0.1, "float64")
            x = rng.normal((batch, n_in), 1.0, "float64")
            labels = rng.host.integers(0, n_out, size=batch)
            t = xp_of(x).eye(n_out, dtype="float64")[to_numpy(labels)]
            result = lemma1_check(net, x, t)
            records.append({"depth": depth, "unit": unit, "worst_rel_diff": result.worst})
    return records
