"""Gradient estimators for stochastic binary networks ([LRA18] §3.4, Table 3).

The network of experiment E4 is ``MLP((784, 200, 200, 10), "sigmoid+bernoulli")``:

    p_l = sigm(h_l),   s_l ~ Bernoulli(p_l),   h_{l+1} = s_l @ W_{l+1} + b_{l+1},   s_0 = x

with a softmax output on ``h_n``. The sample ``s_l`` has no derivative, so backprop
needs a stand-in for ``ds_l/dh_l``, or a score-function estimator. With
``delta_n = softmax(h_n) - t`` and ``dL/ds_{l} = delta_{l+1} @ W_{l+1}^T``:

* ``st_pass`` — pass-through straight-through (Bengio, Léonard & Courville 2013):
  ``ds/dh := 1``, so ``delta_l = dL/ds_l``.
* ``st_sigmoid`` — sigmoid-adjusted straight-through: ``ds/dh := sigm'(h)``, the
  derivative of the *mean* of the sample, ``delta_l = dL/ds_l * sigm'(h_l)``.
* ``st_anneal`` — slope annealing (Chung, Ahn & Bengio 2017): the units fire with
  ``p = sigm(m h)``, ``ds/dh := m sigm'(m h)``, and the slope ``m`` grows linearly with
  the number of updates, ``m = min(slope_max, slope_start + slope_rate * steps)``.
  Chung et al. use ``m = min(5, 1 + 0.04 * epoch)``; the default ``slope_rate = 4e-5``
  per update is that schedule at 1,000 updates per epoch (50,000 images, batch 50).
* ``reinforce`` — the score-function (REINFORCE, Williams 1992) estimator, unbiased
  for the gradient of the expected loss: each sample's loss ``L`` (its NLL) times the
  score ``d log P(s_l | h_l) / dh_l = s_l - p_l``: ``delta_l = L * (s_l - p_l)``. The
  output layer, which sees the samples directly, gets its ordinary gradient.
* ``reinforce_baseline`` — REINFORCE with the variance-reducing per-unit baseline of
  Bengio et al. (2013), ``b_i = E[(s_i - p_i)^2 L] / E[(s_i - p_i)^2]``:
  ``delta_l = (L - b_l) * (s_l - p_l)``. Both expectations are exponential moving
  averages (factor ``decay``) over *previous* batches only, so the baseline does not
  depend on the current sample and the estimator stays unbiased.

In every case ``dW_l = s_{l-1}^T @ delta_l / B`` and ``db_l = mean_batch(delta_l)``.

Prediction averages the softmax over ``samples`` independent draws of the hidden
units (:meth:`StochasticEstimator.predict_proba`). The paper uses M = 100; the default
here is 10 because the training loop evaluates every split after every epoch, and
averaging 100 draws of every image costs more than the epoch itself. Pass
``samples=100`` to reproduce the paper's protocol.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from lra_edu.algorithms.base import Algorithm, Step, batch_size, check_int, check_positive, per_member
from lra_edu.backend import RNG, Array, xp_of
from lra_edu.losses import nll, nll_delta, softmax
from lra_edu.mlp import MLP


@dataclass
class Sample:
    """One stochastic forward pass: lists indexed by layer (``[0]`` is the input).

    ``h[l]`` pre-activations, ``p[l] = f(m h[l])`` firing probabilities (hidden layers),
    ``s[l]`` the samples fed upward (``s[0] = x``); ``h[n]`` are the output logits.
    """

    h: list[Array]
    p: list[Array]
    s: list[Array]


class StochasticEstimator(Algorithm):
    """Shared machinery: sampled forward pass, posterior-averaged prediction, step.

    Parameters
    ----------
    samples : int
        Posterior draws averaged by :meth:`predict_proba` (the paper: 100).
    """

    name = "stochastic"
    needs_derivatives = False
    #: True for the score-function estimators, which need Bernoulli units.
    needs_bernoulli: ClassVar[bool] = False
    #: Whether the estimator needs dL/ds from the layer above (the straight-through family).
    uses_upstream: ClassVar[bool] = True

    def __init__(self, samples: int = 10) -> None:
        super().__init__()
        self.samples = check_int("samples", samples)

    def setup(self, net: MLP, rng: RNG) -> None:
        """Check that the hidden units are stochastic/discrete (``f+g``), Bernoulli where needed."""
        if net.unit.g is None:
            raise ValueError(
                f"{self.name} estimates gradients through discrete or stochastic units, but "
                f"{net.unit.name!r} has none; use e.g. 'sigmoid+bernoulli' (or train with bp)"
            )
        if self.needs_bernoulli and net.unit.name != "sigmoid+bernoulli":
            raise ValueError(
                f"{self.name} uses the score of a Bernoulli sample and needs 'sigmoid+bernoulli' units, "
                f"not {net.unit.name!r}"
            )

    def slope(self) -> float:
        """Slope ``m`` of the hidden units' ``f(m h)`` (1 except when annealing)."""
        return 1.0

    def sample(self, net: MLP, x: Array) -> Sample:
        """A stochastic forward pass drawing the hidden units with the net's noise RNG."""
        x = net.check_input(x)
        return self._draw(net, x, x @ net.W(1) + net.b(1))

    def _draw(self, net: MLP, x: Array, h1: Array) -> Sample:
        """The pass of :meth:`sample` from the first pre-activations ``h1`` on, drawing every hidden layer."""
        m = self.slope()
        h: list[Array] = [None, h1]
        p: list[Array] = [None]
        s: list[Array] = [x]
        for l in range(1, net.n_layers + 1):
            if l > 1:
                h.append(s[-1] @ net.W(l) + net.b(l))
            if l == net.n_layers:
                break
            p.append(net.unit.f(m * h[l]))
            s.append(net.unit.g(p[l], net.noise))
        return Sample(h, p, s)

    def predict_proba(self, net: MLP, x: Array) -> Array:
        """Softmax averaged over ``samples`` posterior draws of the hidden units.

        The first layer's pre-activations ``h_1`` depend on the input only, so they are
        computed once and every draw starts from them: the draws, and the random stream
        after them, are those of ``samples`` whole passes of :meth:`sample`.
        """
        x = net.check_input(x)
        h1 = x @ net.W(1) + net.b(1)
        total = softmax(self._draw(net, x, h1).h[-1])
        for _ in range(self.samples - 1):
            total = total + softmax(self._draw(net, x, h1).h[-1])
        return total / self.samples

    @abstractmethod
    def hidden_delta(self, net: MLP, smp: Sample, l: int, upstream: Array, loss: Array) -> Array:
        """Pre-activation error ``delta_l`` of hidden layer ``l`` from ``dL/ds_l`` (``upstream``)
        or from the per-sample losses ``loss``."""

    def estimate(self, net: MLP, smp: Sample, t: Array) -> dict[str, Array]:
        """Update directions for the drawn sample ``smp`` (no state changes)."""
        n = net.n_layers
        m = batch_size(t)
        loss = nll(smp.h[n], t)  # per-sample L
        delta = nll_delta(smp.h[n], t)  # delta_n = softmax(h_n) - t
        grads: dict[str, Array] = {}
        for l in range(n, 0, -1):
            grads[f"W{l}"] = smp.s[l - 1].swapaxes(-1, -2) @ delta / m  # dW_l = s_{l-1}^T delta_l / B
            grads[f"b{l}"] = delta.sum(axis=-2) / m
            if l > 1:
                upstream = delta @ net.W(l).swapaxes(-1, -2) if self.uses_upstream else None
                delta = self.hidden_delta(net, smp, l - 1, upstream, loss)
        return grads

    def after_step(self, net: MLP, smp: Sample, t: Array) -> dict[str, float]:
        """Update internal state after a step; return extra diagnostics."""
        return {}

    def step(self, net: MLP, x: Array, t: Array) -> Step:
        """Draw the hidden units once, estimate the gradient, update any running state."""
        smp = self.sample(net, x)
        grads = self.estimate(net, smp, t)
        loss = per_member(nll(smp.h[-1], t).mean(axis=-1))
        diagnostics = {"depth": float(net.n_layers), "discrepancy": loss, "loss": loss}
        diagnostics.update(self.after_step(net, smp, t))
        return Step(grads, diagnostics=diagnostics)


class STPass(StochasticEstimator):
    """Pass-through straight-through estimator: ``ds/dh := 1``."""

    name = "st_pass"

    def hidden_delta(self, net: MLP, smp: Sample, l: int, upstream: Array, loss: Array) -> Array:
        """``delta_l = dL/ds_l``."""
        return upstream


class STSigmoid(StochasticEstimator):
    """Sigmoid-adjusted straight-through estimator: ``ds/dh := f'(h)``."""

    name = "st_sigmoid"

    def hidden_delta(self, net: MLP, smp: Sample, l: int, upstream: Array, loss: Array) -> Array:
        """``delta_l = dL/ds_l * f'(h_l)``."""
        return upstream * net.unit.f.df(smp.h[l])


class STAnneal(StochasticEstimator):
    """Slope-annealed straight-through estimator: units ``f(m h)``, ``ds/dh := m f'(m h)``.

    Parameters
    ----------
    samples : int
        As for every estimator.
    slope_start, slope_rate, slope_max : float
        ``m = min(slope_max, slope_start + slope_rate * updates_so_far)``.
    """

    name = "st_anneal"

    def __init__(
        self, samples: int = 10, slope_start: float = 1.0, slope_rate: float = 4e-5, slope_max: float = 5.0
    ) -> None:
        super().__init__(samples)
        self.slope_start = check_positive("slope_start", slope_start)
        self.slope_rate = check_positive("slope_rate", slope_rate, allow_zero=True)
        self.slope_max = check_positive("slope_max", slope_max)
        if self.slope_max < self.slope_start:
            raise ValueError(f"slope_max ({slope_max}) must be >= slope_start ({slope_start})")
        self.updates = 0

    def slope(self) -> float:
        """The current slope ``m``."""
        return min(self.slope_max, self.slope_start + self.slope_rate * self.updates)

    def hidden_delta(self, net: MLP, smp: Sample, l: int, upstream: Array, loss: Array) -> Array:
        """``delta_l = dL/ds_l * m f'(m h_l)``."""
        m = self.slope()
        return upstream * (m * net.unit.f.df(m * smp.h[l]))

    def after_step(self, net: MLP, smp: Sample, t: Array) -> dict[str, float]:
        """Count the update (the slope grows with it); report the slope used."""
        used = self.slope()
        self.updates += 1
        return {"slope": used}


class Reinforce(StochasticEstimator):
    """REINFORCE: ``delta_l = L * (s_l - p_l)`` for every stochastic layer."""

    name = "reinforce"
    needs_bernoulli = True
    uses_upstream = False

    def baseline(self, l: int, like: Array) -> Array | float:
        """The baseline subtracted from the loss at layer ``l`` (none: 0)."""
        return 0.0

    def hidden_delta(self, net: MLP, smp: Sample, l: int, upstream: Array, loss: Array) -> Array:
        """``delta_l = (L - b_l) * (s_l - p_l)``: loss times the Bernoulli score."""
        score = smp.s[l] - smp.p[l]  # d log P(s_l | h_l) / d h_l for p_l = sigm(h_l)
        return (loss[..., None] - self.baseline(l, score)) * score


class ReinforceBaseline(Reinforce):
    """REINFORCE with Bengio et al. (2013)'s per-unit variance-reducing baseline.

    Parameters
    ----------
    samples : int
        As for every estimator.
    decay : float
        Factor of the moving averages of ``(s - p)^2 L`` and ``(s - p)^2`` (0 <= decay < 1).
    """

    name = "reinforce_baseline"

    def __init__(self, samples: int = 10, decay: float = 0.9) -> None:
        super().__init__(samples)
        if not (isinstance(decay, (int, float)) and 0.0 <= decay < 1.0):
            raise ValueError(f"decay must be a number in [0, 1), got {decay!r}")
        self.decay = float(decay)
        self.num: dict[int, Array] = {}
        self.den: dict[int, Array] = {}

    def baseline(self, l: int, like: Array) -> Array | float:
        """``b_l = avg[(s - p)^2 L] / avg[(s - p)^2]`` from earlier batches (0 before any)."""
        if l not in self.num:
            return 0.0
        xp = xp_of(like)
        den = self.den[l]
        b = xp.where(den > 0, self.num[l] / xp.maximum(den, 1e-30), 0.0)
        return b[..., None, :]

    def after_step(self, net: MLP, smp: Sample, t: Array) -> dict[str, float]:
        """Fold this batch into the moving averages (used from the next batch on)."""
        loss = nll(smp.h[-1], t)[..., None]
        m = batch_size(t)
        spread = 0.0
        for l in range(1, net.n_layers):
            sq = (smp.s[l] - smp.p[l]) ** 2
            num, den = (sq * loss).sum(axis=-2) / m, sq.sum(axis=-2) / m
            if l not in self.num:
                self.num[l], self.den[l] = num, den
            else:
                self.num[l] = self.decay * self.num[l] + (1 - self.decay) * num
                self.den[l] = self.decay * self.den[l] + (1 - self.decay) * den
            spread = spread + per_member(abs(self.baseline(l, num)).mean(axis=(-2, -1)))
        return {"baseline": spread / max(net.n_layers - 1, 1)}
