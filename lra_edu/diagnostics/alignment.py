"""Alignment: angles and cosines between updates, and between forward and feedback weights.

Every helper *calls* the library (``algorithm.step``, :func:`lra_edu.metrics.angle`) and
re-implements nothing, so what a chapter shows is what the algorithms do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy

from lra_edu.algorithms.base import Algorithm
from lra_edu.algorithms.bp import BP
from lra_edu.backend import Array, asarray, to_numpy
from lra_edu.metrics import angle, cosine
from lra_edu.mlp import MLP


def layer_cosines(a: Mapping[str, Array], b: Mapping[str, Array], n_layers: int) -> list[float]:
    """Cosine between two updates' weight matrices, one value per layer ``W1..Wn``."""
    return [cosine(a[f"W{l}"], b[f"W{l}"]) for l in range(1, n_layers + 1)]


def layer_angles(
    update: Mapping[str, Array], reference: Mapping[str, Array], n_layers: int
) -> dict[int, float]:
    """Per-layer angle (degrees) between two updates, ``W_l`` and ``b_l`` flattened together."""
    out = {}
    for l in range(1, n_layers + 1):
        keys = [k for k in (f"W{l}", f"b{l}") if k in update and k in reference]
        if not keys:
            raise ValueError(f"layer {l} has no update in both dictionaries")
        out[l] = angle({k: update[k] for k in keys}, {k: reference[k] for k in keys})
    return out


def layer_update_norms(grads: Mapping[str, Array], n_layers: int) -> list[float]:
    """Frobenius norm of each weight update ``grads["W1"] .. grads["Wn"]`` (0 where absent)."""
    if n_layers < 1:
        raise ValueError(f"n_layers must be at least 1, got {n_layers}")
    return [
        float(numpy.linalg.norm(to_numpy(grads[f"W{l}"]))) if f"W{l}" in grads else 0.0
        for l in range(1, n_layers + 1)
    ]


def feedback_angles(net: MLP, algorithm: Algorithm) -> dict[int, float]:
    """Angle (degrees) between ``W_l^T`` and FA's fixed feedback ``B_l`` for each ``l`` of ``algorithm.B``."""
    feedback = getattr(algorithm, "B", None)
    if not feedback:
        raise ValueError("feedback_angles needs an algorithm with feedback matrices B (FA, after setup)")
    out = {}
    for l, B in sorted(feedback.items()):
        Wt = net.W(l).swapaxes(-1, -2)
        if Wt.shape != B.shape:
            raise ValueError(f"B[{l}] has shape {B.shape} but W_{l}^T has {Wt.shape}: not FA's feedback")
        out[l] = angle(Wt, B)
    return out


def error_weight_angles(net: MLP, algorithm: Algorithm) -> list[float]:
    """Angle (degrees) between LRA-E's error weights ``E_l`` and ``W_l^T`` for l = 2..n (single networks)."""
    if net.ensemble is not None:
        raise ValueError("error_weight_angles takes a single network; use member_network for ensembles")
    out = []
    for l in range(2, net.n_layers + 1):
        if f"E{l}" not in algorithm.params:
            raise ValueError(f"{algorithm.name} has no learned error weights E{l} (call setup first)")
        out.append(angle(algorithm.params[f"E{l}"], net.W(l).swapaxes(-1, -2)))
    return out


class AlignmentLog:
    """A ``train`` callback: each epoch, the per-layer angle of the update to backprop's on a
    fixed batch and, for FA, the angle between ``W_l^T`` and ``B_l``.

    The probe step runs on deep copies of the network and the algorithm, so it changes
    neither (no noise drawn from the net's stream, no entry in DTP's sigma log).
    """

    def __init__(self, net: MLP, algorithm: Algorithm, x: Array, t: Array) -> None:
        self.net, self.algorithm = net, algorithm
        self.x, self.t = asarray(x, net.dtype), asarray(t, net.dtype)
        self.epochs: list[int] = []
        self.weight: dict[int, list[float]] = {}
        self.update: dict[int, list[float]] = {}

    def __call__(self, record: Mapping[str, Any]) -> None:
        """Measure the angles at the end of an epoch (``record`` is the training loop's)."""
        self.epochs.append(int(record["epoch"]))
        if getattr(self.algorithm, "B", None) and all(
            B.shape == self.net.W(l).swapaxes(-1, -2).shape for l, B in self.algorithm.B.items()
        ):
            for l, a in feedback_angles(self.net, self.algorithm).items():
                self.weight.setdefault(l, []).append(a)
        net, algorithm = copy.deepcopy(self.net), copy.deepcopy(self.algorithm)
        got = algorithm.step(net, self.x, self.t).grads
        ref = BP().step(net, self.x, self.t).grads
        for l, a in layer_angles(got, ref, self.net.n_layers).items():
            self.update.setdefault(l, []).append(a)

