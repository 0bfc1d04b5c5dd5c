"""Training loop: determinism, history bookkeeping, divergence, bad input."""

import math

import numpy as np
import pytest

from lra_edu.algorithms import make_algorithm
from lra_edu.checkpoint import CheckpointError
from lra_edu.datasets import Dataset, load_dataset
from lra_edu.ensemble import stack_networks
from lra_edu.metrics import evaluate
from lra_edu.mlp import MLP
from lra_edu.train import eval_subset, train


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train_subset=300)


def run(data, seed=0, **kw):
    net = MLP((64, 16, 10), "tanh", init="gaussian:0.1", seed=seed)
    return net, train(
        net,
        make_algorithm("bp"),
        data,
        kw.pop("optimizer", "sgd:0.1"),
        epochs=2,
        batch_size=20,
        seed=seed,
        progress=False,
        **kw,
    )


def test_same_seed_same_numbers(digits):
    (n1, h1), (n2, h2) = run(digits), run(digits)
    for k in n1.params:
        np.testing.assert_array_equal(n1.params[k], n2.params[k])
    assert h1.curve("test_error") == h2.curve("test_error")
    n3, _ = run(digits, seed=1)
    assert not np.array_equal(n1.params["W1"], n3.params["W1"])


def test_history_records_every_epoch(digits):
    seen = []
    _, h = run(digits, callback=seen.append, track_angle=True)
    assert [r["epoch"] for r in h.records] == [0, 1, 2] == [r["epoch"] for r in seen]
    assert h.records[2]["train_error"] < h.records[0]["train_error"]
    assert h.records[1]["depth"] == 2 and h.records[1]["angle"] == pytest.approx(0, abs=1e-3)
    assert h.best_epoch in (1, 2)
    s = h.summary()
    assert set(s["final"]) == {"epoch", "train_error", "valid_error", "test_error"}
    assert not s["diverged"]


def test_train_error_on_a_subset_leaves_training_unchanged(digits):
    full_net, full = run(digits)
    net, part = run(digits, train_eval_subset=100)
    for k in net.params:
        np.testing.assert_array_equal(net.params[k], full_net.params[k])
    assert part.curve("valid_error") == full.curve("valid_error")
    assert part.curve("test_error") == full.curve("test_error")
    keep = eval_subset(len(digits.y_train), 100)
    assert part.final["train_error"] == evaluate(net, digits.x_train[keep], digits.y_train[keep])[0]
    assert part.final["train_error"] != full.final["train_error"]


def test_eval_subset_is_fixed_and_checked():
    keep = eval_subset(1000, 100)
    assert len(set(keep.tolist())) == 100 and list(keep) == sorted(keep) and keep.max() < 1000
    np.testing.assert_array_equal(keep, eval_subset(1000, 100))
    np.testing.assert_array_equal(eval_subset(50, 100), np.arange(50))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="train_eval_subset must be a positive integer"):
            eval_subset(1000, bad)


def test_divergence_is_a_result(digits):
    _, h = run(digits, optimizer="sgd:1e38")
    assert h.diverged
    assert len(h.records) == 2  # the epoch where it diverged is recorded, then training stops
    assert h.records[-1]["epoch"] == 1 and not math.isfinite(h.records[-1]["loss"])


def test_nan_data_is_refused(digits):
    bad = Dataset(
        "bad",
        digits.x_train.copy(),
        digits.y_train,
        digits.x_valid,
        digits.y_valid,
        digits.x_test,
        digits.y_test,
    )
    bad.x_train[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        run(bad)


def test_mismatched_network_and_bad_arguments(digits):
    with pytest.raises(ValueError, match="does not fit the data"):
        train(MLP((10, 4, 10)), make_algorithm("bp"), digits, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        train(MLP((64, 4, 10)), make_algorithm("bp"), digits, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        train(MLP((64, 4, 10)), make_algorithm("bp"), digits, epochs=-1, progress=False)
    with pytest.raises(ValueError, match="train takes a single network"):
        train(stack_networks([MLP((64, 4, 10))] * 2), make_algorithm("bp"), digits, progress=False)


def test_a_checkpoint_resumes_only_with_its_own_train_error_subset(digits, tmp_path):
    path = tmp_path / "run.ckpt"
    run(digits, train_eval_subset=100, checkpoint=path)
    with pytest.raises(CheckpointError, match="train_eval_subset: stored 100, now 50"):
        run(digits, train_eval_subset=50, checkpoint=path)
    with pytest.raises(CheckpointError, match="train_eval_subset: stored 100, now None"):
        run(digits, checkpoint=path)
