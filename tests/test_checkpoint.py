"""Epoch checkpoints: an interrupted or extended run equals an uninterrupted one, bit for bit;
a checkpoint is data only (no pickle), checked against the run before it is used."""

import io
import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from lra_edu.activations import Activation, get_activation, get_unit
from lra_edu.algorithms import BP, make_algorithm
from lra_edu.backend import to_numpy
from lra_edu.checkpoint import CheckpointError, checkpoint_info, load_checkpoint
from lra_edu.datasets import load_dataset
from lra_edu.ensemble import Member, train_ensemble
from lra_edu.experiments import Experiment, RunConfig, Scale, load_results, run_experiment
from lra_edu.experiments import runner as runner_mod
from lra_edu.losses import get_loss
from lra_edu.mlp import MLP
from lra_edu.train import train

DATA = load_dataset("digits", train_subset=120, test_subset=60, seed=0)
SIZES = (64, 16, 16, 10)
CASES = [
    ("bp", "tanh", "sgd:0.05", {}),
    ("lra_fdbk", "sigmoid+bernoulli", "adam:0.01", {}),  # E matrices, noise stream, Adam state
    ("dtp_sigma", "tanh", "rmsprop:0.001", {}),  # decoders with their own optimizer, sigma log
]


class InterruptError(Exception):
    pass


def _fresh(algorithm, unit, hp):
    return MLP(SIZES, unit, init="gaussian:0.3", seed=3), make_algorithm(algorithm, **hp)


def _strip(history):
    return [{k: v for k, v in rec.items() if k != "seconds"} for rec in history.records]


def _same(net_a, net_b):
    return all(np.array_equal(to_numpy(net_a.params[k]), to_numpy(net_b.params[k])) for k in net_a.params)


def _same_or_both_nan(net_a, net_b):
    return all(
        np.array_equal(to_numpy(net_a.params[k]), to_numpy(net_b.params[k]), equal_nan=True)
        for k in net_a.params
    )


@pytest.mark.parametrize("algorithm, unit, optimizer, hp", CASES)
def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, algorithm, unit, optimizer, hp):
    net, algo = _fresh(algorithm, unit, hp)
    straight = train(net, algo, DATA, optimizer, epochs=3, batch_size=20, seed=5, progress=False)

    ckpt = tmp_path / "run.ckpt"

    def stop_in_epoch_2(rec):
        if rec["epoch"] == 2:
            raise InterruptError

    net2, algo2 = _fresh(algorithm, unit, hp)
    with pytest.raises(InterruptError):
        train(
            net2,
            algo2,
            DATA,
            optimizer,
            3,
            20,
            seed=5,
            progress=False,
            checkpoint=ckpt,
            callback=stop_in_epoch_2,
        )
    assert checkpoint_info(ckpt)["epoch"] == 1  # epoch 2 never finished
    with np.load(ckpt, allow_pickle=False) as stored:  # plain arrays, no pickled objects
        assert all(stored[name].dtype.kind in "biuf" for name in stored.files)

    net3, algo3 = _fresh(algorithm, unit, hp)  # a new process: fresh objects, same configuration
    resumed = train(net3, algo3, DATA, optimizer, 3, 20, seed=5, progress=False, checkpoint=ckpt)
    assert _same(net, net3)
    assert _strip(resumed) == _strip(straight)
    assert [r["epoch"] for r in resumed.records] == [0, 1, 2, 3]


def test_asking_for_more_epochs_extends_a_finished_run(tmp_path):
    net, algo = _fresh("lra_fdbk", "tanh", {})
    straight = train(net, algo, DATA, "sgd:0.01", epochs=3, batch_size=20, progress=False)
    ckpt = tmp_path / "run.ckpt"
    train(*_fresh("lra_fdbk", "tanh", {}), DATA, "sgd:0.01", 1, 20, progress=False, checkpoint=ckpt)
    net2, algo2 = _fresh("lra_fdbk", "tanh", {})
    extended = train(net2, algo2, DATA, "sgd:0.01", 3, 20, progress=False, checkpoint=ckpt)
    assert _same(net, net2) and _strip(extended) == _strip(straight)
    # Asking for the same number again trains nothing and returns the stored history.
    net3, algo3 = _fresh("lra_fdbk", "tanh", {})
    again = train(net3, algo3, DATA, "sgd:0.01", 3, 20, progress=False, checkpoint=ckpt)
    assert _same(net, net3) and _strip(again) == _strip(straight)
    with pytest.raises(CheckpointError, match="holds 3 epochs, more than the 2"):
        train(*_fresh("lra_fdbk", "tanh", {}), DATA, "sgd:0.01", 2, 20, progress=False, checkpoint=ckpt)


def test_a_checkpoint_of_another_run_or_a_corrupt_file_is_refused(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    train(*_fresh("bp", "tanh", {}), DATA, "sgd:0.01", 1, 20, progress=False, checkpoint=ckpt)
    with pytest.raises(
        CheckpointError, match=r"different run.*optimizer: stored 'sgd:0.01', now 'adam:0.01'"
    ):
        train(*_fresh("bp", "tanh", {}), DATA, "adam:0.01", 2, 20, progress=False, checkpoint=ckpt)
    with pytest.raises(CheckpointError, match=r"different run.*seed"):
        train(*_fresh("bp", "tanh", {}), DATA, "sgd:0.01", 2, 20, seed=1, progress=False, checkpoint=ckpt)
    ckpt.write_bytes(ckpt.read_bytes()[:100])  # truncated, as by a full disk
    with pytest.raises(CheckpointError, match=r"not a readable checkpoint.*delete it"):
        train(*_fresh("bp", "tanh", {}), DATA, "sgd:0.01", 2, 20, progress=False, checkpoint=ckpt)
    np.savez(ckpt, something=np.zeros(3))  # an .npz, but not a checkpoint
    ckpt.write_bytes(ckpt.with_suffix(".ckpt.npz").read_bytes())
    ckpt.with_suffix(".ckpt.npz").unlink()
    with pytest.raises(CheckpointError, match="not an lra_edu checkpoint"):
        load_checkpoint(ckpt, {}, {})
    assert load_checkpoint(tmp_path / "none.ckpt", {}, {}) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]  # no temporary files left


def _tampered(path, change):
    """Rewrite the checkpoint at ``path`` with ``change(document, arrays)`` applied."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    document = json.loads(arrays.pop("state").tobytes())
    change(document, arrays)
    buffer = io.BytesIO()
    np.savez(buffer, state=np.frombuffer(json.dumps(document).encode(), np.uint8), **arrays)
    path.write_bytes(buffer.getvalue())


def test_a_checkpoint_whose_data_do_not_fit_the_run_is_refused(tmp_path):
    ckpt = tmp_path / "run.ckpt"
    train(*_fresh("lra_fdbk", "tanh", {}), DATA, "sgd:0.01", 1, 20, progress=False, checkpoint=ckpt)
    good = ckpt.read_bytes()

    def resume():
        net, algo = _fresh("lra_fdbk", "tanh", {})
        before = to_numpy(net.params["W1"]).copy()
        with pytest.raises(CheckpointError, match=r"does not fit this run.*delete it") as err:
            train(net, algo, DATA, "sgd:0.01", 2, 20, progress=False, checkpoint=ckpt)
        assert np.array_equal(to_numpy(net.params["W1"]), before)  # nothing restored halfway
        return str(err.value)

    def shrink_an_array(document, arrays):
        arrays["a0"] = arrays["a0"][:3]

    _tampered(ckpt, shrink_an_array)
    assert "has shape (3, 16)" in resume()

    def foreign_field(document, arrays):
        document["objects"]["algorithm"]["__object__"]["payload"] = "os.system"

    ckpt.write_bytes(good)
    _tampered(ckpt, foreign_field)
    assert "'payload'" in resume()

    def bad_generator(document, arrays):
        document["objects"]["rngs"][0]["__rng__"]["state"] = {"bit_generator": "MT19937", "state": 1}

    ckpt.write_bytes(good)
    _tampered(ckpt, bad_generator)
    assert "generator" in resume()


class _Payload:
    """Unpickling this touches ``marker``: a harmless stand-in for malicious code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_checkpoint_is_refused_and_never_runs(tmp_path):
    control = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(_Payload(control)))
    assert control.exists()  # the payload is live: unpickling it would run it

    exp = _tiny_experiment()
    out, marker = tmp_path / "results", tmp_path / "marker"
    jobs = [(run, 0) for run in exp.runs("quick")]
    first = runner_mod.result_path(out, exp, "quick", "digits", *jobs[0])
    planted = runner_mod.group_checkpoint(first, jobs).with_name(
        runner_mod.group_checkpoint(first, jobs).name + ".phase1"
    )
    planted.parent.mkdir(parents=True)
    planted.write_bytes(pickle.dumps({"epoch": 1, "net": _Payload(marker)}))
    with pytest.raises(CheckpointError, match=r"is not a readable checkpoint.*delete it"):
        run_experiment(exp, "quick", "digits", out=out, progress=False)
    assert not marker.exists()


def test_units_and_losses_pickle_by_name_and_custom_ones_refuse():
    for name in ("tanh", "tanh+sign", "sigmoid+bernoulli", "lwta1", "relu6"):
        unit = get_unit(name)
        back = pickle.loads(pickle.dumps(unit))
        assert back.f is unit.f and back.g is unit.g
    assert pickle.loads(pickle.dumps(get_loss("cauchy"))) is get_loss("cauchy")
    custom = Activation("tanh", np.tanh, lambda h: 1 - np.tanh(h) ** 2)
    assert custom is not get_activation("tanh")
    with pytest.raises(TypeError, match="custom 'tanh'"):
        pickle.dumps(custom)


def test_ensemble_checkpoint_resumes_to_the_uninterrupted_result(tmp_path):
    members = [Member(0, "gaussian:0.1"), Member(1, "gaussian:0.3", lr=0.02), Member(2, "glorot", lr=1e38)]
    args = (SIZES, "tanh", "lra_fdbk", DATA, members, "sgd:0.01")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # member 2 diverges
        ens, straight = train_ensemble(*args, epochs=3, batch_size=20)
        ckpt = tmp_path / "ens.ckpt"
        train_ensemble(*args, epochs=1, batch_size=20, checkpoint=ckpt)
        ens2, resumed = train_ensemble(*args, epochs=3, batch_size=20, checkpoint=ckpt)
    assert [h.diverged for h in straight] == [False, False, True]
    assert _same_or_both_nan(ens, ens2)
    assert json.dumps([_strip(h) for h in resumed]) == json.dumps([_strip(h) for h in straight])


def _tiny_experiment():
    def grid(scale):
        return [
            RunConfig(
                "bp",
                (8,),
                init=f"gaussian:{s}",
                epochs=scale.epochs,
                train_subset=scale.train_subset,
                test_subset=100,
                cell=("T", "BP", str(s)),
            )
            for s in (0.1, 0.2)
        ]

    return Experiment("T1", "tiny-ckpt", "tiny", "test", grid, {"quick": Scale(2, 150), "paper": Scale(2)})


def test_runner_resumes_a_group_from_its_checkpoint_and_cleans_up(tmp_path, monkeypatch):
    exp = _tiny_experiment()
    clean = tmp_path / "clean"
    run_experiment(exp, "quick", "digits", out=clean, progress=False)
    broken = tmp_path / "broken"
    real_write = runner_mod.write_json_atomic

    def fail_once(path, obj):
        monkeypatch.setattr(runner_mod, "write_json_atomic", real_write)
        raise InterruptError  # killed after training, before the result was written

    monkeypatch.setattr(runner_mod, "write_json_atomic", fail_once)
    with pytest.raises(InterruptError):
        run_experiment(exp, "quick", "digits", out=broken, progress=False)
    left = sorted(p.name for p in broken.rglob("*.ckpt.phase1"))
    assert len(left) == 1 and "ensemble2" in left[0]

    def no_training(*args, **kwargs):
        raise AssertionError("the rerun trained again instead of resuming from the checkpoint")

    with monkeypatch.context() as m:
        m.setattr(BP, "step", no_training)
        run_experiment(exp, "quick", "digits", out=broken, progress=False)
    assert not list(broken.rglob("*.ckpt*"))

    def key(r):
        return r["run_id"]

    a, b = sorted(load_results(clean), key=key), sorted(load_results(broken), key=key)
    assert len(a) == len(b) == 2
    for x, y in zip(a, b):
        for rec_x, rec_y in zip(x["curves"], y["curves"]):
            rec_x.pop("seconds"), rec_y.pop("seconds")
        assert json.dumps(x["curves"]) == json.dumps(y["curves"]) and x["best"] == y["best"]
