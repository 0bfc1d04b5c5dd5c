"""Local Representation Alignment: LRA-diff and LRA-fdbk ([LRA18] Algorithms 1 and 2).

One backward sweep serves both variants. Going down from the output, each layer ``l``
gets an update from its own *local* loss ``L_l(z_l, y_l)``, and then a target
``y_{l-1}`` for the layer below is found by walking the pre-activation ``h-bar_{l-1}``
for ``K`` steps (``delta`` is the error at layer l's pre-activation)::

    delta  = dL_l(z-bar_l, y_l)/dh-bar_l
    dh     = (delta @ W_l^T) * f'(h-bar_{l-1})             # LRA-diff: the true derivative
    dh     = delta @ E_l                                   # LRA-fdbk: fixed random E_l
    h-bar_{l-1} <- h-bar_{l-1} - beta * Normalize(dh, c2)
    z-bar_{l-1} =  f(h-bar_{l-1});  h-bar_l = g(z-bar_{l-1}) @ W_l + b_l  (re-run the subgraph)
    y_{l-1}     =  z-bar_{l-1}

and the update of layer ``l`` is ``Normalize(dL_l/dW_l, c1)``, ``Normalize(dL_l/db_l, c1)``.

Choices where [LRA18] is silent or ambiguous (the book's chapter repeats them):

* **Output layer.** Layer ``n`` is softmax + categorical NLL with target ``y_n = t``; its
  pre-activation error is ``softmax(h_n) - t``. It is always updated: the halting test
  applies to the hidden layers only (so the credit-assignment depth is at least 1). The
  paper's pseudocode also tests the output NLL against eps, which would switch learning
  off entirely on batches it already fits.
* **Halting (eps).** Per mini-batch: layer ``l < n`` is updated, and the sweep goes on
  below it, only while the batch mean of ``L_l(z_l, y_l)`` is at least ``eps``. The
  default ``eps = 0`` never halts; the paper's Fig 5 (depth falling during training) needs
  a positive eps. In an ensemble each member halts on its own: members that halted get a
  zero update for the layer (with SGD that equals leaving the key out; with Adam or
  RMSprop it does not, so such ensembles are not exact) and reports its own depth and
  discrepancy.
* **Batch reduction.** ``reduction="sum"`` (default) sums the per-sample local gradients
  over the mini-batch before ``Normalize(., c1)``, as the authors' released LRA-E code
  does; the cap ``c1`` then sets the step (the "rescale parameter updates to have norm
  c1" of [LRA18] §2.5). ``reduction="mean"`` gives batch means like :class:`BP`; the cap
  then rarely binds and SGD 0.01 is 50 times slower (measured: the 8x128 sigmoid
  zero-init net is still at 44% test error after 5 epochs instead of 20%).
* **Normalize.** ``c1`` caps the Frobenius norm of each weight update and the L2 norm of
  each bias update; ``c2`` caps the L2 norm of each *sample's* displacement ``dh`` (per
  sample, so the cap does not depend on the batch size). ``None`` disables a cap.
* **Targets live on z, not z*.** With a discrete or stochastic unit ``z* = g(z)``
  ([LRA18] §2.3.2, Algorithm 2) layer ``l``'s error is ``dL_l/dz_l * f'(h_l)`` and the
  weight update uses ``z*_{l-1}`` (what the layer actually saw); g is only ever run forward
  (when the subgraph is re-run). LRA-fdbk therefore trains such networks; LRA-diff needs
  ``f'`` of the layer below *through* ``g`` and refuses them.
* **The last re-run.** After the K-th step only ``z-bar_{l-1}`` is needed, so the subgraph
  is re-run ``K - 1`` times, not ``K`` (the result is identical).

Defaults, chosen by measurement on Fashion-MNIST with batch 50 (the numbers are in the
book's LRA chapter): ``local_loss="cauchy"`` (the log-penalty [LRA18] found best),
``beta=1.0``, ``c1=5.0``, ``c2=20.0``, ``eps=0.0``, ``reduction="sum"``; LRA-diff ``K=10``;
LRA-fdbk ``K=1`` (as in the paper) and ``sigma_e=1.0`` (E ~ N(0, 1), the paper's
"standard Gaussian"). With them and SGD 0.01, an 8x128 sigmoid network from all-zero
weights reaches 19.7% test error in 3 epochs (backprop cannot leave 90%). A small beta
with the caps that bind only rarely gives updates too small to escape a zero start:
``beta=0.1, c2=1`` stays at 90% on that net.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from lra_edu.algorithms.base import Algorithm, Step, batch_size, check_int, check_positive, per_member
from lra_edu.algorithms.bp import weight_grads
from lra_edu.backend import RNG, Array, xp_of
from lra_edu.losses import LocalLoss, get_loss, nll, nll_delta
from lra_edu.mlp import MLP, Forward
from lra_edu.normalize import normalize

REDUCTIONS = ("sum", "mean")


def check_cap(name: str, value: float | None) -> float | None:
    """Validate a norm cap: a positive number, or ``None`` for no cap."""
    return None if value is None else check_positive(name, value)


class LRA(Algorithm):
    """The shared LRA sweep; subclasses define the displacement ``dh`` (see module doc).

    Parameters
    ----------
    K : int
        Steps of the target search per layer (manifold walking), ``K >= 1``.
    beta : float
        Step size of the target search on ``h-bar_{l-1}``.
    eps : float
        Halting threshold on the batch-mean hidden local loss (0: never halt).
    c1, c2 : float or None
        Norm caps of the weight updates and of each sample's displacement.
    local_loss : str
        Hidden layers' loss: ``"cauchy"``, ``"l2"``, ``"gaussian"`` or ``"l1"``.
    reduction : {"sum", "mean"}
        Sum or average the per-sample local gradients over the batch before the cap c1.
    """

    name = "lra"

    def __init__(
        self,
        K: int = 1,
        beta: float = 1.0,
        eps: float = 0.0,
        c1: float | None = 5.0,
        c2: float | None = 20.0,
        local_loss: str = "cauchy",
        reduction: str = "sum",
    ) -> None:
        super().__init__()
        self.K = check_int("K", K, 1)
        self.beta = check_positive("beta", beta)
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.c1 = check_cap("c1", c1)
        self.c2 = check_cap("c2", c2)
        self.local_loss = local_loss
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction
        self.loss: LocalLoss = get_loss(local_loss)

    @abstractmethod
    def displacement(self, net: MLP, l: int, delta: Array, hb: Array) -> Array:
        """The pre-activation displacement ``dh_{l-1}`` from layer ``l``'s error ``delta``."""

    def pre_error(self, net: MLP, l: int, h: Array, y: Array, z: Array | None = None) -> Array:
        """``dL_l(f(h), y)/dh``: layer ``l``'s error at its pre-activation ``h`` (``z = f(h)`` if known)."""
        if l == net.n_layers:
            return nll_delta(h, y)  # softmax(h_n) - t
        f = net.unit.f
        if z is None:
            return self.loss.error(f(h), y) * f.df(h)
        return self.loss.error(z, y) * f.derivative(h, z)

    def target_below(self, net: MLP, fw: Forward, l: int, y: Array, delta: Array | None = None) -> Array:
        """Walk ``h-bar_{l-1}`` K steps to lower ``L_l``; return the target ``y_{l-1}``.

        ``delta``, layer ``l``'s error at the forward pass where the walk starts, is
        computed unless the caller already has it.
        """
        hb = fw.h[l - 1]  # h-bar_{l-1} starts at the forward pass
        if delta is None:
            delta = self.pre_error(net, l, fw.h[l], y, fw.z[l])  # dL_l(z_l, y_l)/dh_l
        for k in range(self.K):
            dh = normalize(self.displacement(net, l, delta, hb), self.c2, axes=(-1,))  # Normalize(dh, c2)
            hb = hb - self.beta * dh  # h-bar_{l-1} <- h-bar_{l-1} - beta * dh
            zb, zsb = net.unit(hb, net.noise)  # z-bar_{l-1} = f(h-bar), and g(z-bar) seen above
            if k < self.K - 1:
                hl = net.layer(l, zsb)[0]  # re-run the subgraph: h-bar_l = z-bar*_{l-1} W_l + b_l
                delta = self.pre_error(net, l, hl, y)  # dL_l(z-bar_l, y_l)/dh-bar_l
        return zb  # y_{l-1} <- z-bar_{l-1}

    def layer_update(self, fw: Forward, l: int, delta: Array) -> dict[str, Array]:
        """``Normalize(dL_l/dW_l, c1)`` and ``Normalize(dL_l/db_l, c1)`` from the error ``delta``."""
        if self.reduction == "sum":
            delta = delta * batch_size(delta)  # weight_grads averages; this makes it a batch sum
        grads = weight_grads(fw, l, delta)
        return {
            f"W{l}": normalize(grads[f"W{l}"], self.c1, axes=(-2, -1)),
            f"b{l}": normalize(grads[f"b{l}"], self.c1, axes=(-1,)),
        }

    def step(self, net: MLP, x: Array, t: Array) -> Step:
        """One LRA sweep from the output down, halting where a layer meets its target."""
        fw = net.forward(x)
        n = net.n_layers
        grads: dict[str, Array] = {}
        y = t  # y_n = t
        loss = per_member(nll(fw.logits, t).mean(axis=-1))
        discrepancy, depth = loss, 0.0  # per ensemble member: only the layers it reached count
        alive = None  # per ensemble member: has the sweep reached this layer?
        for l in range(n, 0, -1):
            if l < n:  # while l >= 1 and L_l(z_l, y_l) >= eps (the output layer always learns)
                local = self.loss.value(fw.z[l], y).mean(axis=-1)  # batch mean, one per member
                alive = local >= self.eps if alive is None else alive & (local >= self.eps)
                if not bool(alive.any()):
                    break
                discrepancy = discrepancy + per_member(xp_of(local).where(alive, local, 0.0))
            delta = self.pre_error(net, l, fw.h[l], y, fw.z[l])  # dL_l(z_l, y_l)/dh_l
            update = self.layer_update(fw, l, delta)  # Normalize(dL_l/dW_l, c1), Normalize(dL_l/db_l, c1)
            if alive is not None and not bool(alive.all()):
                update = _mask(update, alive)
            grads.update(update)
            depth = depth + (1.0 if alive is None else per_member(alive.astype(local.dtype)))
            if l > 1:
                y = self.target_below(net, fw, l, y, delta)  # y_{l-1} from K steps on h-bar_{l-1}
        return Step(grads, diagnostics={"depth": depth, "discrepancy": discrepancy, "loss": loss})


def _mask(update: dict[str, Array], active: Array) -> dict[str, Array]:
    """Zero the updates of ensemble members that halted (``active`` has shape (R,)).

    A zero, not a product with 0: a halted member's update may be infinite or NaN.
    """
    out = {}
    for k, v in update.items():
        shape = active.shape + (1,) * (v.ndim - active.ndim)
        out[k] = xp_of(v).where(active.reshape(shape), v, 0)
    return out


class LRADiff(LRA):
    """LRA-diff: the displacement uses the true derivative through ``W_l`` and ``f'``."""

    name = "lra_diff"

    def __init__(self, K: int = 10, **options: Any) -> None:
        """Ten inner steps by default; ``options`` are :class:`LRA`'s."""
        super().__init__(K, **options)

    def displacement(self, net: MLP, l: int, delta: Array, hb: Array) -> Array:
        """``dh_{l-1} = (delta @ W_l^T) * f'(h-bar_{l-1})`` = ``dL_l/dh-bar_{l-1}``."""
        return (delta @ net.W(l).swapaxes(-1, -2)) * net.unit.f.df(hb)


class LRAFdbk(LRA):
    """LRA-fdbk: the displacement short-circuits through a fixed random ``E_l``.

    ``E_l`` has shape ``(n_l, n_{l-1})`` (batch-first: ``dh = delta @ E_l``) with entries
    N(0, sigma_e^2), drawn once in :meth:`setup` (one independent set per ensemble member).
    Needs no derivative of any discrete/stochastic ``g``.
    """

    name = "lra_fdbk"
    needs_derivatives = False

    def __init__(self, sigma_e: float = 1.0, **options: Any) -> None:
        """``sigma_e``: std of the entries of ``E_l``; ``options`` are :class:`LRA`'s."""
        super().__init__(**options)
        self.sigma_e = check_positive("sigma_e", sigma_e, allow_zero=True)
        self.E: dict[int, Array] = {}

    def setup(self, net: MLP, rng: RNG) -> None:
        """Draw the fixed error matrices ``E_2..E_n`` ~ N(0, sigma_e^2)."""
        super().setup(net, rng)
        lead = net.lead
        self.E = {
            l: rng.normal((*lead, net.sizes[l], net.sizes[l - 1]), self.sigma_e, net.dtype)
            for l in range(2, net.n_layers + 1)
        }

    def displacement(self, net: MLP, l: int, delta: Array, hb: Array) -> Array:
        """``dh_{l-1} = delta @ E_l`` (no derivative of anything below layer ``l``)."""
        if l not in self.E or self.E[l].shape[-2:] != (net.sizes[l], net.sizes[l - 1]):
            raise RuntimeError("lra_fdbk has no error matrices for this network: call setup(net, rng) first")
        return delta @ self.E[l]
