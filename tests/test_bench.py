"""The benchmark's PyTorch LRA-fdbk step computes what lra_edu's computes (so the race is fair)."""

import numpy as np
import pytest

from lra_edu.bench import TorchLRAFdbk, e3_setup

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional extra 'bench')")


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_torch_lra_fdbk_grads_equal_lra_edu(reduction):
    net, algo, xs, ts = e3_setup("float64")
    algo.reduction = reduction
    model = TorchLRAFdbk(net, algo)
    for x, t in zip(xs[:2], ts[:2]):
        ours = algo.step(net, x, t)
        loss = model.grads(torch.from_numpy(x), torch.from_numpy(t))
        assert loss == pytest.approx(ours.diagnostics["loss"], rel=1e-12)
        for l in range(1, net.n_layers + 1):
            np.testing.assert_allclose(model.W[l].grad.numpy(), ours.grads[f"W{l}"], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(model.b[l].grad.numpy(), ours.grads[f"b{l}"], rtol=1e-10, atol=1e-12)


def test_torch_lra_fdbk_refuses_what_it_does_not_mirror():
    net, algo, _, _ = e3_setup("float64")
    algo.K = 2
    with pytest.raises(ValueError, match="K=1"):
        TorchLRAFdbk(net, algo)
