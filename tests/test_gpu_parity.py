"""NumPy vs CuPy parity: the same seed gives the same training on both backends (float32).

Runs only where CuPy and a CUDA GPU are usable; elsewhere every test is skipped with
the reason. Initial weights, feedback matrices and noise are drawn on the host, so
both backends start from identical numbers.
"""

import numpy as np
import pytest

from lra_edu import backend
from lra_edu.algorithms import ALGORITHMS, make_algorithm
from lra_edu.datasets import load_dataset
from lra_edu.mlp import MLP
from lra_edu.train import train


def _gpu_reason() -> str | None:
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install -e '.[gpu]')"
    try:
        if not cupy.cuda.is_available():
            return "CuPy is installed but no CUDA GPU is usable"
        cupy.zeros(1).sum().item()
    except Exception as err:
        return f"CUDA GPU not usable: {err}"
    return None


REASON = _gpu_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))

UNITS = {
    "st_pass": "sigmoid+bernoulli",
    "st_sigmoid": "sigmoid+bernoulli",
    "st_anneal": "sigmoid+bernoulli",
    "reinforce": "sigmoid+bernoulli",
    "reinforce_baseline": "sigmoid+bernoulli",
}


def _train(name: str, backend_name: str) -> tuple[dict, list]:
    backend.set_backend(backend_name)
    try:
        data = load_dataset("digits", train_subset=200)
        net = MLP((64, 32, 32, 10), UNITS.get(name, "tanh"), init="glorot", seed=3)
        opt = "rmsprop:0.001" if name.startswith("dtp") else "sgd:0.05"
        h = train(net, make_algorithm(name), data, opt, epochs=2, batch_size=25, seed=3, progress=False)
        return {k: backend.to_numpy(v) for k, v in net.params.items()}, h.curve("test_error")
    finally:
        backend.set_backend("numpy")


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_numpy_and_cupy_train_alike(name):
    p_np, err_np = _train(name, "numpy")
    p_cp, err_cp = _train(name, "cupy")
    for k in p_np:
        np.testing.assert_allclose(p_cp[k], p_np[k], rtol=2e-3, atol=2e-4, err_msg=f"{name} {k}")
    assert np.allclose(err_np, err_cp, atol=2.0), (err_np, err_cp)
