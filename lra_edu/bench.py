"""Throughput benchmarks (not tests): training steps per second on fixed synthetic data.

``lra-edu bench`` times the training step of an algorithm (forward, update
directions, optimizer update) on a 784-256-256-256-10 tanh network with batch 50 in
float32, after a warm-up, and reports samples per second.
"""

from __future__ import annotations

import time
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


def throughput(
    algorithm: str = "bp",
    sizes: tuple[int, ...] = BENCH_SIZES,
    batch: int = 50,
    seconds: float = 2.0,
    dtype: str = "float32",
    seed: int = 0,
    **hyperparameters: Any,
) -> dict[str, Any]:
    """Measure training throughput of ``algorithm``; returns samples/s and step time."""
    rng = RNG(seed)
    net = MLP(sizes, "tanh", init="glorot", seed=seed, dtype=dtype)
    algo = make_algorithm(algorithm, **hyperparameters)
    algo.setup(net, rng.spawn())
    opt = get_optimizer("sgd:0.01")
    n_batches = 20
    xs = [rng.uniform((batch, sizes[0]), dtype=dtype) for _ in range(n_batches)]
    ts = [
        one_hot(xp().asarray(rng.host.integers(0, sizes[-1], batch)), sizes[-1], dtype)
        for _ in range(n_batches)
    ]

    def run(steps: int) -> None:
        for i in range(steps):
            step = algo.step(net, xs[i % n_batches], ts[i % n_batches])
            opt.update(net.params, step.grads)
        _sync()

    run(5)
    steps, elapsed = 10, 0.0
    while True:
        t0 = time.perf_counter()
        run(steps)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds or steps >= 1_000_000:
            break
        steps = max(steps * 2, int(steps * seconds / max(elapsed, 1e-6)))
    return {
        "algorithm": algorithm,
        "sizes": list(sizes),
        "batch": batch,
        "dtype": dtype,
        "backend": get_backend(),
        "steps": steps,
        "seconds": round(elapsed, 4),
        "samples_per_s": round(steps * batch / elapsed, 1),
        "ms_per_step": round(1000 * elapsed / steps, 4),
    }
