"""Small helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import numpy as np

from lra_edu.metrics import one_hot


def batch(n_in: int = 6, n_out: int = 4, size: int = 8, seed: int = 0, dtype: str = "float64"):
    """A random input batch ``x`` (standard normal) and one-hot targets ``t`` of ``n_out`` classes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, n_in)).astype(dtype)
    return x, one_hot(rng.integers(0, n_out, size=size), n_out, dtype)


def stored_result(experiment, run, scale: str = "full", test_error: float = 50.0, seed: int = 0) -> dict:
    """A minimal well-formed stored result of ``run`` at ``scale`` on Fashion-MNIST."""
    record = {"epoch": 1, "train_error": 40.0, "valid_error": 45.0, "test_error": test_error}
    return {
        "experiment": experiment.name,
        "scale": scale,
        "dataset": "fashion-mnist",
        "seed": seed,
        "run_id": run.run_id,
        "cell": list(run.cell),
        "status": "ok",
        "best": record,
        "final": record,
        "curves": [record],
        "phases": [],
    }
