"""Error-driven Local Representation Alignment, LRA-E ([LRA19] Algorithm 1).

Going down from the output, each error unit ``e_l`` is carried to the layer below by
*learned* error weights ``E_l`` (batch-first shape ``(n_l, n_{l-1})``) and turned into a
target, and the target into the next error unit::

    e_n     = softmax(h_n) - t                           # output error
    y_{l-1} = f(h_{l-1} - beta * (e_l @ E_l))            # target for the layer below
    e_{l-1} = dL_{l-1}(z_{l-1}, y_{l-1}) / dz_{l-1}      # Gaussian: 2 (z - y)

    V1: dW_l = z*_{l-1}^T @ (e_l * f'(h_l))              # (batch sum, see below)
    V2: dW_l = z*_{l-1}^T @ e_l                          # drops f' (monotone f)
    error weights: direction of E_l = gamma * dW_l^T

Choices (the book's LRA-E chapter repeats them):

* **Output error.** [LRA19] writes the output error unit w.r.t. the probabilities as
  ``-t / z_n``; pushed through the softmax Jacobian it is ``softmax(h_n) - t``, which is
  what both the output update (V1 and V2 alike) and the top target use here, as in the
  authors' code. (``-t / z_n`` itself is unbounded as ``z_n -> 0``.)
* **Sign of the E update.** The paper writes ``dE_l = -gamma * dW_l^T``; read literally
  with ``E <- E - lr * dE`` it would push E *away* from ``W^T``. The intended behaviour,
  and what the authors' code does, is co-adaptation: E moves in the same direction as
  ``W^T``. So ``Step.own_grads["E_l"] = gamma * dW_l^T`` and the optimizer moves E exactly
  as it moves ``W^T`` (scaled by gamma). ``tests/test_lra_e.py`` checks the behaviour: the
  angle between ``E_l`` and ``W_l^T`` falls during training and the update stays within
  90 degrees of backprop's.
* **Batch reduction.** ``reduction="sum"`` (default) sums the per-sample updates over
  the mini-batch, as the authors' code does and as LRA-diff/LRA-fdbk do here; with batch
  means (``reduction="mean"``) SGD 0.01 is 50 times slower and does not reach the
  [LRA19]-like errors within a few epochs (measured below).
* **Discrete units.** Targets are set on ``z_l``, updates use ``z*_{l-1}`` and only ``f'``
  is ever needed, so LRA-E, like LRA-fdbk, trains ``f+g`` units.

Presets (``preset=``) fix the defaults of the other hyperparameters; an explicit keyword
overrides its preset value:

================  ==================  ====================  =====================
                  ``"paper"``         ``"paper_variance"``  ``"official_code"``
================  ==================  ====================  =====================
local_loss        gaussian            gaussian              l2 (``e = z - y``)
update            v1                  v1                    v2
gamma             1.0                 0.5 (paper: < 1)      1.0
sigma_e (E std)   0.1                 sqrt(0.05)            1.0
biases learned    yes                 yes                   no
network init      gaussian:0.1        gaussian:0.2236       gaussian:0.1
optimizer         sgd:0.01            sgd:0.01              sgd:0.001
================  ==================  ====================  =====================

The last two rows are recommendations for the caller (:data:`PRESETS`), not something
the algorithm can set. [LRA19] initializes "the parameters" from "a zero-mean Gaussian
distribution (variance of 0.05)" and leaves gamma open (below 1). Read literally
(``"paper_variance"``: std 0.2236, for W and E alike) a deep tanh net starts saturated
(sigma^2 * fan-in = 12.8 with 256 inputs). ``"paper"`` keeps the paper's rules (Gaussian
local losses, V1, learned biases, SGD 0.01) with the initial scale and gamma that the
book's tuning study ``lra-e-init`` chose on validation error among the readings std
0.2236, 0.1 (the authors' code), 0.05 and 0.025 and gamma 0.25, 0.5, 1 (see the chapter
"What the papers did not say"): std 0.1 for W and E, gamma 1. E6-E8 use it. The authors'
TensorFlow scripts sum over the batch with SGD lr 0.001; ``"official_code"`` reproduces
them for the "paper vs code" comparison. ``beta = 0.1`` in all three.

Measured (Fashion-MNIST, 784-256-256-256-10 tanh, batch 50, W ~ N(0, 0.05^2), test error
after 2 epochs, the ``"paper_variance"`` preset's gamma and sigma_e): batch sum with SGD 0.01
(the CLI defaults): 16.6%; batch mean with SGD 0.01: 25.9%; batch mean with Adam 0.001: 15.7%. Backprop (batch
mean, SGD 0.01) on that net: 19.5%. ``"official_code"`` with W ~ N(0, 0.1^2) and SGD 0.001
(batch sum, as the authors' scripts): 17.6%.
"""

from __future__ import annotations

import math
from typing import Any

from lra_edu.algorithms.base import Algorithm, Step, batch_mean, batch_size, check_positive
from lra_edu.algorithms.bp import weight_grads
from lra_edu.algorithms.lra import REDUCTIONS
from lra_edu.backend import RNG, Array
from lra_edu.losses import LocalLoss, get_loss, nll, nll_delta
from lra_edu.mlp import MLP

PRESETS: dict[str, dict[str, Any]] = {
    "paper": {
        "local_loss": "gaussian",
        "update": "v1",
        "gamma": 1.0,
        "sigma_e": 0.1,
        "learn_biases": True,
        "init": "gaussian:0.1",
        "optimizer": "sgd:0.01",
    },
    "paper_variance": {
        "local_loss": "gaussian",
        "update": "v1",
        "gamma": 0.5,
        "sigma_e": math.sqrt(0.05),
        "learn_biases": True,
        "init": "gaussian:0.2236",
        "optimizer": "sgd:0.01",
    },
    "official_code": {
        "local_loss": "l2",
        "update": "v2",
        "gamma": 1.0,
        "sigma_e": 1.0,
        "learn_biases": False,
        "init": "gaussian:0.1",
        "optimizer": "sgd:0.001",
    },
}
UPDATES = ("v1", "v2")


class LRAE(Algorithm):
    """LRA-E: targets from learned error weights, local updates (see the module doc).

    Parameters
    ----------
    beta : float
        Step of the target: ``y_{l-1} = f(h_{l-1} - beta * e_l @ E_l)``.
    gamma : float, optional
        Scale of the error-weight update relative to ``dW^T`` (preset default).
    update : {"v1", "v2"}, optional
        Weight update with or without ``f'(h_l)`` (preset default).
    local_loss : str, optional
        Hidden local loss, e.g. ``"gaussian"`` or ``"cauchy"`` (preset default).
    preset : {"paper", "paper_variance", "official_code"}
        Which set of defaults to use.
    sigma_e : float, optional
        Standard deviation of the initial error weights (preset default).
    reduction : {"sum", "mean"}
        Sum (default) or average the per-sample updates over the mini-batch.
    """

    name = "lra_e"
    needs_derivatives = False

    def __init__(
        self,
        beta: float = 0.1,
        gamma: float | None = None,
        update: str | None = None,
        local_loss: str | None = None,
        preset: str = "paper",
        sigma_e: float | None = None,
        reduction: str = "sum",
    ) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise ValueError(f"unknown LRA-E preset {preset!r}; valid presets: {', '.join(PRESETS)}")
        defaults = PRESETS[preset]
        self.preset = preset
        self.beta = check_positive("beta", beta)
        self.gamma = check_positive("gamma", defaults["gamma"] if gamma is None else gamma, allow_zero=True)
        self.update = defaults["update"] if update is None else update
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {self.update!r}")
        self.local_loss = defaults["local_loss"] if local_loss is None else local_loss
        self.loss: LocalLoss = get_loss(self.local_loss)
        self.sigma_e = check_positive("sigma_e", defaults["sigma_e"] if sigma_e is None else sigma_e)
        self.learn_biases: bool = defaults["learn_biases"]
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction

    def setup(self, net: MLP, rng: RNG) -> None:
        """Draw the initial error weights ``E_2..E_n`` ~ N(0, sigma_e^2) into ``self.params``."""
        super().setup(net, rng)
        lead = net.lead
        self.params = {
            f"E{l}": rng.normal((*lead, net.sizes[l], net.sizes[l - 1]), self.sigma_e, net.dtype)
            for l in range(2, net.n_layers + 1)
        }

    def E(self, l: int) -> Array:
        """The error weights of layer ``l`` (shape ``(n_l, n_{l-1})``)."""
        try:
            return self.params[f"E{l}"]
        except KeyError:
            raise RuntimeError("lra_e has no error weights yet: call setup(net, rng) first") from None

    def step(self, net: MLP, x: Array, t: Array) -> Step:
        """Targets and errors top-down, then every layer's local update (depth = n)."""
        fw = net.forward(x)
        n = net.n_layers
        f = net.unit.f
        grads: dict[str, Array] = {}
        own: dict[str, Array] = {}
        loss = batch_mean(nll(fw.logits, t))
        discrepancy = loss
        e = nll_delta(fw.logits, t)  # e_n = softmax(h_n) - t
        scale = batch_size(x) if self.reduction == "sum" else 1
        for l in range(n, 0, -1):
            v1 = self.update == "v1" and l < n
            delta = e * f.derivative(fw.h[l], fw.z[l]) if v1 else e  # V1 keeps f'(h_l)
            delta = delta * scale  # weight_grads averages; scale turns that into a batch sum
            update = weight_grads(fw, l, delta)  # dW_l = z*_{l-1}^T delta_l, db_l
            grads[f"W{l}"] = update[f"W{l}"]
            if self.learn_biases:
                grads[f"b{l}"] = update[f"b{l}"]
            if l > 1:
                E = self.E(l)
                own[f"E{l}"] = self.gamma * update[f"W{l}"].swapaxes(-1, -2)  # E_l co-adapts with W_l^T
                y = f(fw.h[l - 1] - self.beta * (e @ E))  # y_{l-1} = f(h_{l-1} - beta * e_l E_l)
                e = self.loss.error(fw.z[l - 1], y)  # e_{l-1} = dL(z_{l-1}, y_{l-1})/dz_{l-1}
                discrepancy = discrepancy + batch_mean(self.loss.value(fw.z[l - 1], y))
        return Step(grads, own, {"depth": float(n), "discrepancy": discrepancy, "loss": loss})
