"""LRA's target search measured: the local loss along the inner steps, the displacement's direction.

The helpers only *call* the library (``target_below``, ``displacement``, ``net.layer``,
:func:`lra_edu.metrics.angle`): what a chapter shows is what the algorithm does.
"""

from __future__ import annotations

from collections.abc import Callable

from lra_edu.algorithms.lra import LRA
from lra_edu.backend import Array
from lra_edu.losses import nll
from lra_edu.metrics import angle
from lra_edu.mlp import MLP, Forward


def subgraph_loss(net: MLP, algorithm: LRA, l: int, z_below: Array, y: Array) -> float:
    """Batch-mean local loss ``L_l`` of subgraph ``l`` re-run on the layer-below output ``z_below``.

    The output layer (``l = n``) uses the NLL against ``y = t``; hidden layers use the
    algorithm's local loss. ``z_below`` is a (not yet discretized) ``z_{l-1}``: the
    unit's ``g`` is applied before layer ``l`` sees it, as in the forward pass.
    """
    g = net.unit.g
    zs = z_below if g is None or l == 1 else g(z_below, net.noise)
    h, z, _ = net.layer(l, zs)
    if l == net.n_layers:
        return float(nll(h, y).mean())
    return float(algorithm.loss.value(z, y).mean())


def walk_losses(net: MLP, fw: Forward, l: int, y: Array, K: int, make: Callable[[int], LRA]) -> list[float]:
    """Local loss of subgraph ``l`` after ``k = 0..K`` steps of the target search below it.

    ``make(k)`` builds the algorithm with ``K = k`` (set up already if it needs feedback
    matrices); entry ``k`` re-runs layer ``l`` on the target ``y_{l-1}`` that ``k`` steps
    of ``target_below`` produce (entry 0 is the forward pass). Costs O(K^2) steps.
    """
    if not 1 <= l - 1 < net.n_layers or K < 1:
        raise ValueError(f"need a subgraph 2 <= l <= {net.n_layers} and K >= 1, got l={l}, K={K}")
    first = make(1)
    losses = [subgraph_loss(net, first, l, fw.z[l - 1], y)]
    for k in range(1, K + 1):
        algo = first if k == 1 else make(k)
        losses.append(subgraph_loss(net, algo, l, algo.target_below(net, fw, l, y), y))
    return losses


def displacement_angles(net: MLP, fw: Forward, t: Array, algorithm: LRA, reference: LRA) -> dict[int, float]:
    """Angle (degrees) between two algorithms' first displacements ``dh_{l-1}``, per layer ``l >= 2``.

    Both displacements start from the same forward pass and the same target ``y_l``
    (the ``reference`` algorithm's targets, found going down from ``y_n = t``), so the
    angle isolates the direction each algorithm would move ``h_{l-1}``.
    """
    out: dict[int, float] = {}
    y = t
    for l in range(net.n_layers, 1, -1):
        delta = reference.pre_error(net, l, fw.h[l], y)
        a = algorithm.displacement(net, l, delta, fw.h[l - 1])
        b = reference.displacement(net, l, delta, fw.h[l - 1])
        out[l] = angle(a, b)
        y = reference.target_below(net, fw, l, y)
    return out
