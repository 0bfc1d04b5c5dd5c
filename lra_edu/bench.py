"""Throughput benchmarks (not tests), measured side by side in one process.

``lra-edu bench`` times training steps (forward, update directions, optimizer update)
on a 784-256-256-256-10 tanh network, batch 50, float32, after a warm-up:

* lra_edu backprop, and PyTorch CPU (``torch.nn`` + SGD, same net, batch and threads)
  when the optional ``bench`` extra is installed: ratio ``bp_vs_torch``;
* LRA-fdbk (K=1) and LRA-E as ratios to lra_edu backprop;
* backprop's achieved GFLOP/s as a fraction of a plain 1024³ float32 matmul measured in
  the same run (the practical ceiling of the machine): ``matmul_fraction``;
* an ensemble of 16 networks trained in one pass against 16 sequential single-network
  steps: ``ensemble16_speedup``; and the same ratio for the first layer's matrix product
  alone (``layer1_ensemble16_speedup``), the part of it that BLAS decides;
* the peak resident memory of the process;
* at the size of experiment E3 (LRA-fdbk, 784-800-800-800-10 softsign, batch 20, Adam
  0.001; see :data:`E3_SIZES`): the Adam update of all 1.92 M parameters alone against
  ``torch.optim.Adam(foreach=True)`` on the same shapes (``adam_vs_torch``), and the whole
  training step against the same computation written in PyTorch (:class:`TorchLRAFdbk`:
  forward, LRA-fdbk targets through the same fixed error matrices with the same norm
  caps, local losses, weight updates, Adam): ``step_vs_torch``. Both sides start from
  the same weights (Glorot, not E3's zeros, so that every pass works on ordinary numbers
  from the first step) and see the same batches.

Measurements alternate between the contenders in short rounds and keep each one's
best round, so a burst of load elsewhere on the machine does not favour either side.
"""

from __future__ import annotations

import itertools
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from lra_edu.algorithms import make_algorithm
from lra_edu.algorithms.base import Algorithm
from lra_edu.backend import RNG, get_backend, to_numpy, xp
from lra_edu.metrics import one_hot
from lra_edu.mlp import MLP, ensemble_axes
from lra_edu.optimizers import Adam, get_optimizer

BENCH_SIZES = (784, 256, 256, 256, 10)
#: Experiment E3's network, unit (its Table 2's first row), batch size and optimizer.
E3_SIZES = (784, 800, 800, 800, 10)
E3_UNIT = "softsign"
E3_BATCH = 20
E3_LR = 0.001
#: Adam's step count when timing starts: past the first 165 steps, after which float32
#: Adam no longer divides by its first bias correction (it rounds to 1).
ADAM_STEP = 1000


def _sync() -> None:
    """Wait for queued GPU work (no-op on NumPy)."""
    if get_backend() == "cupy":
        xp().cuda.Stream.null.synchronize()


def bp_flops(sizes: tuple[int, ...], batch: int) -> int:
    """Floating-point operations of the matrix products in one backprop step."""
    pairs = list(itertools.pairwise(sizes))
    forward = sum(2 * batch * a * b for a, b in pairs)
    weight_grads = forward
    input_grads = sum(2 * batch * a * b for a, b in pairs[1:])
    return forward + weight_grads + input_grads


def _step_fn(
    algorithm: str,
    batch: int,
    sizes: tuple[int, ...],
    dtype: str,
    ensemble: int | None = None,
    seed: int = 0,
    **hp: Any,
) -> Callable[[], None]:
    """A closure running one training step of ``algorithm`` on fixed synthetic batches."""
    rng = RNG(seed)
    net = MLP(sizes, "tanh", init="glorot", seed=seed, dtype=dtype, ensemble=ensemble)
    algo = make_algorithm(algorithm, **hp)
    if ensemble is None:
        algo.setup(net, rng.spawn())
    else:
        from lra_edu.ensemble import stack_algorithms

        members = []
        for r in range(ensemble):
            a = make_algorithm(algorithm, **hp)
            a.setup(MLP(sizes, "tanh", init="glorot", seed=r, dtype=dtype), RNG(r))
            members.append(a)
        algo = stack_algorithms(members)
    opt, own = get_optimizer("sgd:0.01"), get_optimizer("sgd:0.01")
    lead = ensemble_axes(ensemble)
    n = 8
    xs = [rng.uniform((*lead, batch, sizes[0]), dtype=dtype) for _ in range(n)]
    ts = [
        one_hot(xp().asarray(rng.host.integers(0, sizes[-1], (*lead, batch))), sizes[-1], dtype)
        for _ in range(n)
    ]
    i = [0]

    def step() -> None:
        k = i[0] % n
        i[0] += 1
        s = algo.step(net, xs[k], ts[k])
        opt.update(net.params, s.grads)
        if s.own_grads:
            own.update(algo.params, s.own_grads)

    return step


def _torch_step_fn(batch: int, sizes: tuple[int, ...], seed: int = 0) -> Callable[[], None] | None:
    """The same training step in PyTorch (CPU), or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(seed)
    layers: list[Any] = []
    for a, b in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    xs = [torch.rand(batch, sizes[0], generator=g) for _ in range(8)]
    ys = [torch.randint(0, sizes[-1], (batch,), generator=g) for _ in range(8)]
    i = [0]

    def step() -> None:
        k = i[0] % 8
        i[0] += 1
        opt.zero_grad(set_to_none=True)
        loss_fn(model(xs[k]), ys[k]).backward()
        opt.step()

    return step


def _matmul_fn(n: int = 1024, dtype: str = "float32") -> Callable[[], None]:
    rng = RNG(0)
    a, b = rng.uniform((n, n), dtype=dtype), rng.uniform((n, n), dtype=dtype)

    def mm() -> None:
        a @ b

    return mm


def _layer_fn(batch: int, n_in: int, n_out: int, dtype: str, ensemble: int | None) -> Callable[[], None]:
    """One layer's forward matrix product, for one network or a stacked ensemble."""
    rng = RNG(1)
    lead = ensemble_axes(ensemble)
    x, w = rng.uniform((*lead, batch, n_in), dtype=dtype), rng.uniform((*lead, n_in, n_out), dtype=dtype)

    def mm() -> None:
        x @ w

    return mm


def e3_setup(dtype: str = "float32", seed: int = 0) -> tuple[MLP, Algorithm, list[Any], list[Any]]:
    """E3's network and LRA-fdbk (default hyperparameters), with 8 synthetic batches ``(xs, ts)``."""
    rng = RNG(seed)
    net = MLP(E3_SIZES, E3_UNIT, init="glorot", seed=seed, dtype=dtype)
    algo = make_algorithm("lra_fdbk")
    algo.setup(net, rng.spawn())
    xs = [rng.uniform((E3_BATCH, E3_SIZES[0]), dtype=dtype) for _ in range(8)]
    ts = [
        one_hot(xp().asarray(rng.host.integers(0, E3_SIZES[-1], E3_BATCH)), E3_SIZES[-1], dtype)
        for _ in range(8)
    ]
    return net, algo, xs, ts


def _prime(opt: Adam, params: dict[str, Any]) -> None:
    """Give every parameter an Adam state at step :data:`ADAM_STEP` (timing starts there)."""
    for k, v in params.items():
        opt.update({k: v.copy()}, {k: xp().zeros_like(v)})
        opt.state[k]["t"] = ADAM_STEP


def _e3_step_fn(dtype: str = "float32") -> Callable[[], None]:
    """One lra_edu training step of E3's network: LRA-fdbk sweep and Adam update."""
    net, algo, xs, ts = e3_setup(dtype)
    opt = Adam(E3_LR)
    _prime(opt, net.params)
    i = [0]

    def step() -> None:
        k = i[0] % len(xs)
        i[0] += 1
        opt.update(net.params, algo.step(net, xs[k], ts[k]).grads)

    return step


def _e3_adam_fn(dtype: str = "float32") -> Callable[[], None]:
    """lra_edu's Adam update of all of E3's parameters, with fixed random directions."""
    rng = RNG(2)
    params = {k: v.copy() for k, v in MLP(E3_SIZES, E3_UNIT, init="glorot", dtype=dtype).params.items()}
    grads = {k: rng.normal(v.shape, 0.01, dtype) for k, v in params.items()}
    opt = Adam(E3_LR)
    _prime(opt, params)
    return lambda: opt.update(params, grads)


class TorchLRAFdbk:
    """E3's LRA-fdbk training step written in PyTorch, for :func:`run_bench` and its test.

    The same computation as :class:`lra_edu.algorithms.lra.LRAFdbk` with ``K = 1`` and
    summed or averaged batch reduction, on a copy of ``net``'s weights and ``algo``'s error
    matrices: forward pass; from the output down, each layer's error (softmax - t at the
    output, the local loss's error times f' below), its weight and bias update capped at
    norm c1, and the target for the layer below, ``f(h - beta * Normalize(delta @ E, c2))``
    with the cap per sample; the hidden layers' halting test on the batch-mean local loss;
    then ``torch.optim.Adam(foreach=True)``. Supports the ``cauchy`` local loss and the
    ``softsign`` and ``tanh`` units.
    """

    def __init__(self, net: MLP, algo: Any, lr: float = E3_LR) -> None:
        import torch

        if algo.K != 1 or algo.local_loss != "cauchy" or net.unit.name not in ("softsign", "tanh"):
            raise ValueError("TorchLRAFdbk mirrors LRA-fdbk with K=1, the cauchy loss and softsign or tanh")
        self.torch = torch
        self.algo = algo
        self.unit = net.unit.name
        self.n = net.n_layers
        layers = range(1, self.n + 1)
        self.W = [None] + [torch.from_numpy(to_numpy(net.W(l)).copy()) for l in layers]
        self.b = [None] + [torch.from_numpy(to_numpy(net.params[f"b{l}"]).copy()) for l in layers]
        self.E = {l: torch.from_numpy(to_numpy(e).copy()) for l, e in algo.E.items()}
        self.params = self.W[1:] + self.b[1:]
        self.optimizer = torch.optim.Adam(self.params, lr=lr, foreach=True)

    def f(self, h: Any) -> Any:
        """The hidden unit."""
        return self.torch.tanh(h) if self.unit == "tanh" else self.torch.nn.functional.softsign(h)

    def df(self, h: Any, z: Any) -> Any:
        """Its derivative (from ``z`` for tanh, from ``h`` for softsign, as lra_edu does)."""
        return 1 - z * z if self.unit == "tanh" else 1 / (1 + h.abs()) ** 2

    def normalize(self, d: Any, c: float | None, per_sample: bool) -> Any:
        """``Normalize(d, c)``: the whole tensor, or each sample (row) on its own."""
        if c is None:
            return d
        if not per_sample:
            norm = self.torch.linalg.vector_norm(d)
            return d * (c / norm) if norm >= c else d
        norm = self.torch.linalg.vector_norm(d, dim=-1, keepdim=True)
        if not bool((norm >= c).any()):
            return d
        return d * self.torch.where(norm >= c, c / norm.clamp_min(1e-30), 1.0)

    def grads(self, x: Any, t: Any) -> float:
        """Set every parameter's ``.grad`` to its LRA-fdbk update; return the batch-mean NLL."""
        torch, a = self.torch, self.algo
        with torch.no_grad():
            h, z = [None], [x]
            for l in range(1, self.n + 1):
                h.append(torch.addmm(self.b[l], z[-1], self.W[l]))
                z.append(self.f(h[-1]) if l < self.n else torch.softmax(h[-1], dim=-1))
            loss = float(-(t * torch.log_softmax(h[-1], dim=-1)).sum(-1).mean())
            for p in self.params:
                p.grad = None
            y = t
            for l in range(self.n, 0, -1):
                if l == self.n:
                    delta = z[l] - t
                else:
                    d = z[l] - y
                    if float(torch.log(1 + d * d).sum(-1).mean()) < a.eps:
                        break
                    delta = 2 * d / (1 + d * d) * self.df(h[l], z[l])
                gW, gb = z[l - 1].T @ delta, delta.sum(0)
                if a.reduction == "mean":
                    gW, gb = gW / x.shape[0], gb / x.shape[0]
                self.W[l].grad = self.normalize(gW, a.c1, False)
                self.b[l].grad = self.normalize(gb, a.c1, False)
                if l > 1:
                    y = self.f(h[l - 1] - a.beta * self.normalize(delta @ self.E[l], a.c2, True))
        return loss

    def step(self, x: Any, t: Any) -> float:
        """One training step: :meth:`grads`, then Adam."""
        loss = self.grads(x, t)
        self.optimizer.step()
        return loss


def _torch_e3_fns(dtype: str = "float32") -> dict[str, Callable[[], None]]:
    """PyTorch's E3 training step and its Adam update alone, or {} when torch is not installed."""
    try:
        import torch
    except ImportError:
        return {}
    net, algo, xs, ts = e3_setup(dtype)
    model = TorchLRAFdbk(net, algo)
    txs = [torch.from_numpy(to_numpy(x)) for x in xs]
    tts = [torch.from_numpy(to_numpy(t)) for t in ts]
    i = [0]

    def step() -> None:
        k = i[0] % len(txs)
        i[0] += 1
        model.step(txs[k], tts[k])

    g = torch.Generator().manual_seed(2)
    ps = [torch.nn.Parameter(p.detach().clone()) for p in model.params]
    for p in ps:
        p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.01
    adam = torch.optim.Adam(ps, lr=E3_LR, foreach=True)
    return {"torch_lra_fdbk_e3": step, "torch_adam_e3": adam.step}


def race(
    contenders: dict[str, Callable[[], None]],
    seconds: float = 3.0,
    rounds: int = 5,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Seconds per call of each contender: best of ``rounds`` interleaved rounds, timed by ``clock``."""
    for fn in contenders.values():
        for _ in range(3):
            fn()
    _sync()
    calls = {}
    for name, fn in contenders.items():
        t0, k = clock(), 0
        while clock() - t0 < 0.05:
            fn()
            k += 1
        _sync()
        calls[name] = max(1, int(k * (seconds / rounds / len(contenders)) / 0.05))
    best = {name: float("inf") for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = clock()
            for _ in range(calls[name]):
                fn()
            _sync()
            best[name] = min(best[name], (clock() - t0) / calls[name])
    return best


def _single_threaded() -> bool:
    """Whether NumPy's BLAS and PyTorch (when installed) each compute on one thread now."""
    from threadpoolctl import threadpool_info

    counts = {pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"}
    try:
        import torch

        counts.add(torch.get_num_threads())
    except ImportError:
        pass
    return counts == {1}


def run_bench(
    seconds: float = 3.0,
    batch: int = 50,
    dtype: str = "float32",
    ensemble: int = 16,
    threads: int | None = None,
) -> dict[str, Any]:
    """Measure everything side by side; return raw figures and the headline ratios.

    ``threads`` caps the BLAS threads of NumPy and PyTorch alike (default: as configured).
    """
    if threads is not None:
        from threadpoolctl import threadpool_limits

        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:
            pass
        with threadpool_limits(threads):
            return {**run_bench(seconds, batch, dtype, ensemble), "threads": threads}
    sizes = BENCH_SIZES
    contenders: dict[str, Callable[[], None]] = {
        "bp": _step_fn("bp", batch, sizes, dtype),
        "lra_fdbk": _step_fn("lra_fdbk", batch, sizes, dtype, K=1),
        "lra_e": _step_fn("lra_e", batch, sizes, dtype),
        f"bp_ensemble{ensemble}": _step_fn("bp", batch, sizes, dtype, ensemble=ensemble),
        "matmul": _matmul_fn(1024, dtype),
        "layer1": _layer_fn(batch, sizes[0], sizes[1], dtype, None),
        f"layer1_ensemble{ensemble}": _layer_fn(batch, sizes[0], sizes[1], dtype, ensemble),
        "lra_fdbk_e3": _e3_step_fn(dtype),
        "adam_e3": _e3_adam_fn(dtype),
    }
    if get_backend() == "numpy":
        contenders.update(_torch_e3_fns(dtype))
    torch_step = _torch_step_fn(batch, sizes) if get_backend() == "numpy" else None
    if torch_step is not None:
        import torch

        contenders["torch_bp"] = torch_step
        torch_threads = torch.get_num_threads()
    # One thread on the host: every contender computes in the calling thread, so its CPU
    # time is its cost without the time the OS gives to other processes.
    single = get_backend() == "numpy" and _single_threaded()
    t = race(contenders, seconds, clock=time.thread_time if single else time.perf_counter)
    layers = {k: t.pop(k) for k in ("layer1", f"layer1_ensemble{ensemble}")}
    e3 = {k: t.pop(k) for k in ("lra_fdbk_e3", "adam_e3", "torch_lra_fdbk_e3", "torch_adam_e3") if k in t}
    sps = {k: batch / v for k, v in t.items() if k != "matmul"}
    sps[f"bp_ensemble{ensemble}"] *= ensemble
    ceiling = 2 * 1024**3 / t["matmul"] / 1e9
    achieved = bp_flops(sizes, batch) / t["bp"] / 1e9
    result: dict[str, Any] = {
        "network": "-".join(map(str, sizes)) + " tanh",
        "batch": batch,
        "dtype": dtype,
        "backend": get_backend(),
        "samples_per_s": {k: round(v, 1) for k, v in sps.items()},
        "ms_per_step": {k: round(1e3 * v, 4) for k, v in t.items() if k != "matmul"},
        "bp_gflops": round(achieved, 2),
        "matmul_gflops": round(ceiling, 2),
        "matmul_fraction": round(achieved / ceiling, 3),
        "lra_fdbk_vs_bp": round(sps["lra_fdbk"] / sps["bp"], 3),
        "lra_e_vs_bp": round(sps["lra_e"] / sps["bp"], 3),
        f"ensemble{ensemble}_speedup": round(sps[f"bp_ensemble{ensemble}"] / sps["bp"], 3),
        # The same ratio for the first layer's matrix product alone: what stacking buys
        # (or costs) at the BLAS level, the ceiling of the ensemble speedup on this machine.
        f"layer1_ensemble{ensemble}_speedup": round(
            ensemble * layers["layer1"] / layers[f"layer1_ensemble{ensemble}"], 3
        ),
        "bp_vs_torch": round(sps["bp"] / sps["torch_bp"], 3) if "torch_bp" in sps else None,
        "torch": None if torch_step is None else {"threads": torch_threads},
        "e3": {
            "network": "-".join(map(str, E3_SIZES)) + f" {E3_UNIT}",
            "batch": E3_BATCH,
            "step": f"lra_fdbk (default hyperparameters) + adam:{E3_LR}, Adam timed from step {ADAM_STEP}",
            "ms": {k: round(1e3 * v, 4) for k, v in e3.items()},
            # > 1: lra_edu is faster than the same computation in PyTorch
            "step_vs_torch": round(e3["torch_lra_fdbk_e3"] / e3["lra_fdbk_e3"], 3)
            if "torch_lra_fdbk_e3" in e3
            else None,
            "adam_vs_torch": round(e3["torch_adam_e3"] / e3["adam_e3"], 3) if "torch_adam_e3" in e3 else None,
        },
        "clock": "CPU time of the calling thread" if single else "wall clock",
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    if torch_step is None:
        result["note"] = (
            "PyTorch is not installed: install the optional extra (pip install -e '.[bench]') "
            "to measure bp_vs_torch"
            if get_backend() == "numpy"
            else "bp_vs_torch is CPU-only"
        )
    return result
