"""Equilibrium propagation (Scellier & Bengio 2017) on the library's layered network.

The network is read as a layered Hopfield-like energy model. Its states are
``s_1..s_n`` (one row per sample), the input is clamped (``rho(s_0) := x``), ``rho`` is
the net's unit ``f`` (the paper's hard sigmoid ``clip(s, 0, 1)``: use the unit
``"hard_sigmoid"``), and ``W_l, b_l`` are the MLP's weights and biases:

    E(s) = sum_l 0.5 ||s_l||^2 - sum_l rho(s_{l-1}) W_l rho(s_l)^T - sum_l b_l rho(s_l)^T
    C(s) = 0.5 ||t - s_n||^2,        F = E + beta C

Each phase relaxes the states by ``n`` steps of size ``eps`` (hyperparameter ``step``)
down the gradient of F, all layers at once from the previous states:

    -dF/ds_l = rho'(s_l) * (rho(s_{l-1}) @ W_l + b_l + rho(s_{l+1}) @ W_{l+1}^T) - s_l
               (+ beta (t - s_n) at the output layer)
    s_l <- s_l + eps * (-dF/ds_l),   then projected onto [0, 1] for the hard sigmoid

(the projection is Scellier & Bengio's implementation; other units are not projected).
The free phase (beta = 0, ``n_free`` steps) starts from zero states; the nudged phase
(``n_nudged`` steps) starts from the free fixed point ``s^0`` and reaches ``s^beta``.
The update is the paper's contrastive rule, written as a gradient-like direction of
``J = C(s^0)`` (batch means; the optimizer subtracts it):

    dW_l = (rho(s^0_{l-1})^T rho(s^0_l) - rho(s^b_{l-1})^T rho(s^b_l)) / (beta B)
    db_l = mean_batch(rho(s^0_l) - rho(s^b_l)) / beta

As beta -> 0 (and the phases converge) it tends to the exact gradient dJ/dtheta of
the cost at the free fixed point, which the tests check against finite differences of
J (the gradient that backpropagation through the settled network would compute).

Evaluation: the output of EP is a state vector, not a softmax. :meth:`EquilProp.predict_proba`
settles the free phase and reads the output states, which the cost pulls towards the
one-hot target, as unnormalised class scores: ``p = (max(s_n, 0) + 1e-4) / sum(...)``.
The argmax (hence the error rate) is that of the states; the NLL the library reports
for EP is the NLL of this normalisation, comparable between EP runs only.

Presets (:data:`PRESETS`): ``"book"`` is the setting this library verifies (one hidden
layer of 256 hard-sigmoid units, SGD 0.05, one epoch of Fashion-MNIST below 40 % test
error; measured: 18.92 % after one epoch, 50,000 training images); ``"scellier2017"``
records the published 784-500-10 MNIST setting as we read it (eps 0.5, 20 free and 4
nudged steps, beta 1, per-layer learning rates 0.1 and 0.05, batch 20, 25 epochs).
Scellier & Bengio keep each training example's free state between epochs ("persistent
particles"), which lets 20 free steps suffice; the interface here sees only the batch,
so every free phase starts from zero states and deeper nets need more free steps (they
used 100 and 500 for two and three hidden layers).
"""

from __future__ import annotations

from typing import Any, ClassVar

from lra_edu.algorithms.base import Algorithm, Step, batch_size, check_int, check_positive, per_member
from lra_edu.backend import Array, xp_of
from lra_edu.counting import phase
from lra_edu.mlp import MLP

#: Units whose states are projected back onto the range where rho is not flat.
STATE_RANGE = {"hard_sigmoid": (0.0, 1.0)}
#: Floor added to the output states before they are normalised into probabilities.
PROB_FLOOR = 1e-4

PRESETS: dict[str, dict[str, Any]] = {
    "book": {
        "sizes": (784, 256, 10),
        "unit": "hard_sigmoid",
        "init": "glorot",
        "optimizer": "sgd:0.05",
        "batch_size": 50,
        "epochs": 1,
        "hyperparameters": {"beta": 0.5, "n_free": 20, "n_nudged": 4, "step": 0.5},
    },
    "scellier2017": {
        "sizes": (784, 500, 10),
        "unit": "hard_sigmoid",
        "init": "glorot",
        "optimizer": "sgd, per-layer learning rates 0.1 (W1) and 0.05 (W2)",
        "batch_size": 20,
        "epochs": 25,
        "hyperparameters": {"beta": 1.0, "n_free": 20, "n_nudged": 4, "step": 0.5},
    },
}


class EquilProp(Algorithm):
    """Equilibrium propagation: a free and a nudged relaxation, then a contrastive update.

    Parameters
    ----------
    beta : float
        Nudge strength of the output towards the target in the second phase.
    n_free, n_nudged : int
        Relaxation steps of the free and of the nudged phase.
    step : float
        Step size eps of each relaxation step (0 < eps <= 1).
    rate_ratio : float
        Per-layer learning rates as one ratio: the update of layer ``l`` is multiplied by
        ``rate_ratio ** (n - l)``, so with SGD the output layer moves at the optimizer's
        rate and each layer below ``rate_ratio`` times faster (Scellier & Bengio use 4
        with three hidden layers: rates 0.128, 0.032, 0.008, 0.002). 1 gives one rate.
    """

    name = "equil_prop"

    #: The ``step`` hyperparameter is stored as ``eps``: ``step`` would shadow the step() method.
    stored_as: ClassVar[dict[str, str]] = {"step": "eps"}

    def __init__(
        self,
        beta: float = 0.5,
        n_free: int = 20,
        n_nudged: int = 4,
        step: float = 0.5,
        rate_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        self.rate_ratio = check_positive("rate_ratio", rate_ratio)
        self.beta = check_positive("beta", beta)
        self.n_free = check_int("n_free", n_free)
        self.n_nudged = check_int("n_nudged", n_nudged)
        self.eps = check_positive("step", step)
        if self.eps > 1.0:
            raise ValueError(f"step must lie in (0, 1]: a larger step overshoots the decay -s, got {step!r}")

    def relax(
        self, net: MLP, x: Array, states: list[Array], n_steps: int, beta: float = 0.0, t: Array | None = None
    ) -> tuple[list[Array], Any]:
        """Relax ``states`` ([None, s_1..s_n]) by ``n_steps`` steps; return them and the last change.

        ``beta > 0`` adds the nudge ``beta (t - s_n)`` at the output.
        """
        rho, drho = net.unit.f, net.unit.f.df
        bounds = STATE_RANGE.get(net.unit.f.name)
        n = net.n_layers
        xp = xp_of(states[1])
        bottom_up_1 = x @ net.W(1) + net.b(1)  # rho(s_0) @ W_1 + b_1: the clamped input's drive
        s = previous = list(states)
        for _ in range(n_steps):
            r = [None] + [rho(s[l]) for l in range(1, n + 1)]
            new: list[Array] = [None]
            for l in range(1, n + 1):
                drive = bottom_up_1 if l == 1 else r[l - 1] @ net.W(l) + net.b(l)
                if l < n:
                    drive = drive + r[l + 1] @ net.W(l + 1).swapaxes(-1, -2)
                force = drho(s[l]) * drive - s[l]  # -dE/ds_l
                if l == n and beta:
                    force = force + beta * (t - s[l])  # -beta dC/ds_n
                new.append(s[l] + self.eps * force)
                if bounds is not None:
                    new[l] = xp.clip(new[l], *bounds)
            previous, s = s, new
        changes = xp.stack([abs(s[l] - previous[l]).max(axis=(-2, -1)) for l in range(1, n + 1)])
        change = per_member(changes.max(axis=0))  # the largest over layers, per ensemble member
        return s, change

    def free_phase(self, net: MLP, x: Array) -> tuple[list[Array], Any]:
        """The free fixed point ``s^0`` from zero states (``n_free`` steps) and the last change."""
        x = net.check_input(x)
        xp = xp_of(net.W(1))
        lead = net.lead
        zeros = [None] + [xp.zeros((*lead, batch_size(x), k), dtype=net.dtype) for k in net.sizes[1:]]
        with phase("free"):
            return self.relax(net, x, zeros, self.n_free)

    def predict_proba(self, net: MLP, x: Array) -> Array:
        """Class probabilities from the settled free phase's output states (see module docstring)."""
        s, _ = self.free_phase(net, x)
        return _probabilities(s[-1])

    def step(self, net: MLP, x: Array, t: Array) -> Step:
        """Free phase, nudged phase, contrastive update of every layer."""
        x = net.check_input(x)
        n = net.n_layers
        rho = net.unit.f
        free, residual = self.free_phase(net, x)
        with phase("nudged"):
            nudged, _ = self.relax(net, x, free, self.n_nudged, self.beta, t)
        m = batch_size(x)
        grads: dict[str, Array] = {}
        r0 = [x] + [rho(free[l]) for l in range(1, n + 1)]
        rb = [x] + [rho(nudged[l]) for l in range(1, n + 1)]
        for l in range(1, n + 1):
            # dW_l = (rho(s0_{l-1})^T rho(s0_l) - rho(sb_{l-1})^T rho(sb_l)) / (beta B)
            contrast = r0[l - 1].swapaxes(-1, -2) @ r0[l] - rb[l - 1].swapaxes(-1, -2) @ rb[l]
            rate = self.rate_ratio ** (n - l)  # per-layer rate, relative to the top layer's
            grads[f"W{l}"] = contrast / (self.beta * m) * rate
            grads[f"b{l}"] = (r0[l] - rb[l]).sum(axis=-2) / (self.beta * m) * rate
        cost = per_member((0.5 * ((t - free[n]) ** 2).sum(axis=-1)).mean(axis=-1))
        loss = per_member((-(t * xp_of(x).log(_probabilities(free[n]))).sum(axis=-1)).mean(axis=-1))
        diagnostics = {"depth": float(n), "discrepancy": cost, "loss": loss, "free_residual": residual}
        return Step(grads, diagnostics=diagnostics)


def _probabilities(s_out: Array) -> Array:
    """Output states as probabilities: clip at 0, add :data:`PROB_FLOOR`, normalise."""
    xp = xp_of(s_out)
    p = xp.maximum(s_out, 0.0) + PROB_FLOOR
    return p / p.sum(axis=-1, keepdims=True)
