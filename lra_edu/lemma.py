"""Lemma 1 of [LRA18]: backpropagation is target propagation with gradient targets.

Set ``y_n = t``. Going down, each hidden layer gets the target

    y_l = z_l - d L_{l+1}(z_{l+1}, y_{l+1}) / d z_l,

with ``L_l = 0.5 * ||z_l - y_l||^2`` for ``l < n`` and ``L_n`` the output NLL, where
``z_{l+1}`` is seen as a function of ``z_l`` and the target ``y_{l+1}`` is held fixed.
Then the gradient of every *local* loss ``L_l`` with respect to ``W_l`` equals the
gradient of the *global* loss ``L_n`` with respect to ``W_l``: one simultaneous local
step on every layer is one step of backprop.

Two routes check the lemma against the library's backprop:

- :func:`lemma1_check` computes the targets and the local gradients from hand-written
  derivatives of the local losses. It never calls backprop's sweep, but its chain-rule
  step is the same algebra, so agreement to rounding (about 1e-9 and far below) mostly
  confirms ``z - (z - g) = g``.
- :func:`lemma1_fd_check` obtains every target and every local gradient by central
  finite differences of the local losses' *values* (only the forward pass and the loss
  values are used: no derivative formula at all). Agreement with backprop to the
  accuracy that route can reach (about 1e-6 in float64) shows that the targets of
  Lemma 1 and the local losses really give backprop's gradients.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from lra_edu.algorithms.bp import BP, weight_grads
from lra_edu.algorithms.lra import LRADiff
from lra_edu.backend import RNG, Array, to_numpy, xp_of
from lra_edu.losses import get_loss, nll, nll_delta
from lra_edu.mlp import MLP, Forward

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


def _local_loss_sum(net: MLP, l: int, z_in: Array, W: Array, b: Array, y_l: Array) -> Array:
    """Per-sample value of layer ``l``'s local loss as a function of its input and weights."""
    h = z_in @ W + b
    if l == net.n_layers:
        return nll(h, y_l)
    return L2.value(net.unit.f(h), y_l)


def fd_targets(net: MLP, fw: Forward, t: Array, step: float = 1e-6) -> list[Array]:
    """Lemma 1's targets with ``d L_{l+1} / d z_l`` from central differences of loss values.

    Samples are independent, so one column ``z_l[:, j]`` is perturbed for the whole batch
    at once and each sample's loss difference gives its own derivative.
    """
    n = net.n_layers
    y: list[Array] = [None] * (n + 1)
    y[n] = t
    for l in range(n - 1, 0, -1):
        z = fw.z[l].copy()
        W, b = net.W(l + 1), net.b(l + 1)
        grad = xp_of(z).zeros_like(z)
        for j in range(z.shape[-1]):
            old = z[..., j].copy()
            z[..., j] = old + step
            up = _local_loss_sum(net, l + 1, z, W, b, y[l + 1])
            z[..., j] = old - step
            down = _local_loss_sum(net, l + 1, z, W, b, y[l + 1])
            z[..., j] = old
            grad[..., j] = (up - down) / (2 * step)
        y[l] = fw.z[l] - grad
    return y


def fd_local_gradients(net: MLP, fw: Forward, y: list[Array], step: float = 1e-6) -> dict[str, Array]:
    """Gradients of each batch-mean local loss w.r.t. ``W_l, b_l`` by central differences."""
    grads: dict[str, Array] = {}
    for l in range(1, net.n_layers + 1):
        z_in = fw.zs[l - 1]
        for name, p in ((f"W{l}", net.W(l).copy()), (f"b{l}", net.b(l).copy())):
            grad = xp_of(p).zeros_like(p)
            for idx in itertools.product(*map(range, p.shape)):
                old = float(p[idx])
                values = []
                for sign in (1.0, -1.0):
                    p[idx] = old + sign * step
                    W, b = (p, net.b(l)) if name[0] == "W" else (net.W(l), p)
                    values.append(float(_local_loss_sum(net, l, z_in, W, b, y[l]).mean()))
                p[idx] = old
                grad[idx] = (values[0] - values[1]) / (2 * step)
            grads[name] = grad.reshape(net.params[name].shape)
    return grads


@dataclass
class Lemma1FDResult(Lemma1Result):
    """Finite-difference local gradients beside backprop's, and the targets' difference."""

    target_rel_diff: dict[int, float]


def lemma1_fd_check(net: MLP, x: Array, t: Array, step: float = 1e-6) -> Lemma1FDResult:
    """Compare backprop's gradients with local gradients whose targets and gradients are
    central differences of the local losses' values (float64; keep clear of kinks)."""
    if not net.unit.differentiable:
        raise ValueError(f"Lemma 1 needs a differentiable unit; {net.unit.name!r} is not")
    if net.dtype != "float64":
        raise ValueError(f"the finite-difference check needs a float64 network, not {net.dtype}")
    fw = net.forward(x)
    y = fd_targets(net, fw, t, step)
    local = fd_local_gradients(net, fw, y, step)
    bp = BP().step(net, x, t).grads
    exact = lemma1_targets(net, fw, t)
    target_diff = {
        l: relative_difference(fw.z[l] - y[l], fw.z[l] - exact[l]) for l in range(1, net.n_layers)
    }
    return Lemma1FDResult(local, bp, {k: relative_difference(local[k], bp[k]) for k in bp}, target_diff)


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


def lra_diff_bridge(beta: float) -> LRADiff:
    """LRA-diff set up as Lemma 1's bridge to backprop: one step, squared local loss, no caps, batch means.

    With ``K = 1`` and no Normalize, LRA-diff's update of layer ``l`` is
    ``beta^(n-l)`` times backprop's for linear units, and tends to backprop's direction as
    ``beta -> 0`` for any differentiable unit.
    """
    return LRADiff(K=1, beta=beta, c1=None, c2=None, local_loss="l2", reduction="mean")
