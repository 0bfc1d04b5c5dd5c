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
* the peak resident memory of the process.

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
from lra_edu.backend import RNG, get_backend, xp
from lra_edu.metrics import one_hot
from lra_edu.mlp import MLP
from lra_edu.optimizers import get_optimizer

BENCH_SIZES = (784, 256, 256, 256, 10)


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
    lead = () if ensemble is None else (ensemble,)
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
    lead = () if ensemble is None else (ensemble,)
    x, w = rng.uniform((*lead, batch, n_in), dtype=dtype), rng.uniform((*lead, n_in, n_out), dtype=dtype)

    def mm() -> None:
        x @ w

    return mm


def race(
    contenders: dict[str, Callable[[], None]], seconds: float = 3.0, rounds: int = 5
) -> dict[str, float]:
    """Seconds per call of each contender: best of ``rounds`` interleaved rounds."""
    for fn in contenders.values():
        for _ in range(3):
            fn()
    _sync()
    calls = {}
    for name, fn in contenders.items():
        t0, k = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.05:
            fn()
            k += 1
        _sync()
        calls[name] = max(1, int(k * (seconds / rounds / len(contenders)) / 0.05))
    best = {name: float("inf") for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            _sync()
            best[name] = min(best[name], (time.perf_counter() - t0) / calls[name])
    return best


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
    }
    torch_step = _torch_step_fn(batch, sizes) if get_backend() == "numpy" else None
    if torch_step is not None:
        import torch

        contenders["torch_bp"] = torch_step
        torch_threads = torch.get_num_threads()
    t = race(contenders, seconds)
    layers = {k: t.pop(k) for k in ("layer1", f"layer1_ensemble{ensemble}")}
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
