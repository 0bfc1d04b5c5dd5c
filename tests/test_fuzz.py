"""Hostile and careless input: every bad input gets one clear line, never a traceback.

The rule checked for each case: on the command line, exit status 2 for bad input (1 when
data cannot be read), exactly one line on stderr naming the option, value or file at
fault, no "Traceback", and no file of the user's changed (hashes before and after); in
the Python API, a ValueError or TypeError whose message names what is wrong. Every bad
input is refused before any training, so each case costs one interpreter start.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import pickle
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from lra_edu import datasets, evaluate, get_unit, load_dataset, make_algorithm, train
from lra_edu.datasets import CorruptDatasetError, Dataset, DatasetError
from lra_edu.experiments.report import json_safe, load_results, write_report
from lra_edu.mlp import MLP
from lra_edu.optimizers import SGD, Adam, RMSprop
from lra_edu.train import check_data

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ---------------------------------------------------------------- helpers


def snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, keyed by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m lra_edu ARGS`` in ``cwd`` with an empty data cache."""
    full_env = {k: v for k, v in os.environ.items() if k != "LRA_EDU_BACKEND"}
    full_env.update(OPENBLAS_NUM_THREADS="1", LRA_EDU_DATA=str(cwd / "data"), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "lra_edu", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_clear(proc: subprocess.CompletedProcess, code: int, *mentions: str) -> str:
    """Exit status ``code``, one stderr line containing every mention, no traceback."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.returncode == code, proc.stderr
    for text in mentions:
        assert text in lines[0], lines[0]
    return lines[0]


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def gzip_bomb(size: int) -> bytes:
    """A small gzip archive that decompresses to ``size`` zero bytes (built in chunks)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [packer.compress(chunk) for _ in range(size >> 20)]
    return b"".join(parts) + packer.flush()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user's folder: a results tree with one good result, a plain file, a data cache."""
    good = {
        "experiment": "init-robustness",
        "key": "E2",
        "scale": "quick",
        "dataset": "digits",
        "seed": 0,
        "run_id": "Table_1-BP-sig_.05-e624d5f7",
        "cell": ["Table 1", "BP", "sig .05"],
        "status": "ok",
        "best": {"epoch": 1, "train_error": 1.0, "valid_error": 2.0, "test_error": 3.0},
        "final": {"epoch": 1, "train_error": 1.0, "valid_error": 2.0, "test_error": 3.0},
        "curves": [{"epoch": 0, "test_error": 90.0}, {"epoch": 1, "test_error": 3.0}],
        "phases": [],
    }
    folder = tmp_path / "results" / "init-robustness" / "quick" / "digits"
    folder.mkdir(parents=True)
    (folder / "good-seed0.json").write_text(json.dumps(good))
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    (tmp_path / "data").mkdir()
    return tmp_path


# ---------------------------------------------------------------- command line: bad options

TRAIN = ["train", "--algorithm", "bp", "--dataset", "digits", "--epochs", "0"]

CLI_CASES = [
    # --out: a file, under a file, under /proc, empty
    (["run", "E2", "--dataset", "digits", "--out", "notes.txt"], 2, ["--out notes.txt", "not a directory"]),
    (["run", "E2", "--dataset", "digits", "--out", "notes.txt/sub"], 2, ["--out notes.txt/sub"]),
    (
        ["run", "E2", "--dataset", "digits", "--out", "/proc/lra-edu-results"],
        2,
        ["--out /proc/lra-edu-results"],
    ),
    (["run", "E2", "--dataset", "digits", "--out", ""], 2, ["--out is empty"]),
    # an experiment whose paper split does not fit the data set the user chose
    (["run", "depth-sweep", "--dataset", "digits", "--out", "r"], 2, ["depth-sweep", "digits has only 1497"]),
    (["run", "E42", "--out", "r"], 2, ["valid experiments"]),
    (["run", "E2", "--scale", "huge"], 2, ["--scale", "huge"]),
    (["run", "E2", "--seeds", "0,0"], 2, ["--seeds"]),
    (["run", "E2", "--workers", "0"], 2, ["--workers"]),
    (["run", "E2", "--out", "r", "--scheduler", "tcp://:x"], 2, ["--scheduler", "tcp://HOST:PORT"]),
    # report on a folder that is not there: an error, and the folder is not created
    (["report", "missing"], 2, ["'missing' does not exist"]),
    (["report", "notes.txt"], 2, ["'notes.txt'", "not a directory"]),
    # bench
    (["bench", "--seconds", "-1"], 2, ["--seconds", "'-1'"]),
    (["bench", "--seconds", "0"], 2, ["--seconds"]),
    (["bench", "--seconds", "nan"], 2, ["--seconds", "nan"]),
    (["bench", "--seconds", "inf"], 2, ["--seconds", "inf"]),
    (["bench", "--threads", "0"], 2, ["--threads"]),
    # train: every option
    ([*TRAIN, "--activation", "tanh+"], 2, ["'tanh+'", "sign"]),
    ([*TRAIN, "--activation", "nope"], 2, ["'nope'", "valid"]),
    (
        [*TRAIN, "--algorithm", "lra_fdbk", "--K", "2", "--set", "K=3"],
        2,
        ["K is given twice", "--K 2", "K=3"],
    ),
    ([*TRAIN, "--algorithm", "lra_fdbk", "--set", "K=2", "--set", "K=3"], 2, ["K is given twice"]),
    ([*TRAIN, "--set", "oops"], 2, ["KEY=VALUE", "'oops'"]),
    ([*TRAIN, "--seed", "-1"], 2, ["--seed", "-1"]),
    (["lemma", "--seed", "-1"], 2, ["--seed", "-1"]),
    ([*TRAIN, "--seed", "x"], 2, ["--seed", "'x'"]),
    ([*TRAIN, "--hidden", "1000000000"], 2, ["--hidden 1000000000", "GiB"]),
    ([*TRAIN, "--hidden", "0"], 2, ["--hidden"]),
    ([*TRAIN, "--hidden", "a,b"], 2, ["--hidden"]),
    ([*TRAIN, "--batch-size", "0"], 2, ["--batch-size"]),
    ([*TRAIN, "--epochs", "-1"], 2, ["--epochs"]),
    ([*TRAIN, "--valid-size", "5000"], 2, ["valid_size", "1497"]),
    ([*TRAIN, "--train-subset", "0"], 2, ["--train-subset"]),
    ([*TRAIN, "--optimizer", "adam:nan"], 2, ["learning rate", "nan"]),
    ([*TRAIN, "--optimizer", "sgd:-1"], 2, ["positive"]),
    ([*TRAIN, "--optimizer", "nadam"], 2, ["'nadam'", "valid optimizers"]),
    ([*TRAIN, "--init", "nope"], 2, ["initializer"]),
    ([*TRAIN, "--dtype", "float16"], 2, ["--dtype", "float16"]),
    ([*TRAIN, "--backend", "bogus"], 2, ["--backend", "bogus"]),
    ([*TRAIN, "--algorithm", "nope"], 2, ["'nope'", "valid algorithms"]),
    ([*TRAIN, "--dataset", "cifar"], 2, ["'cifar'", "valid datasets"]),
    (["frobnicate"], 2, ["frobnicate"]),
]


@pytest.mark.parametrize(("args", "code", "mentions"), CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_cli_bad_input_gets_one_clear_line(home, args, code, mentions):
    before = snapshot(home)
    proc = cli(args, home)
    assert_clear(proc, code, *mentions)
    assert snapshot(home) == before
    assert not (home / "missing").exists()
    assert not (home / "r").exists() or not any((home / "r").iterdir())


@pytest.mark.parametrize(
    "command", [["lemma"], TRAIN, ["run", "E2", "--out", "r"], ["report", "results"], ["bench"]]
)
def test_bogus_backend_environment_is_one_line_for_every_command(home, command):
    before = snapshot(home)
    proc = cli(command, home, env={"LRA_EDU_BACKEND": "bogus"})
    assert_clear(proc, 2, "LRA_EDU_BACKEND='bogus'", "valid backends: numpy, cupy")
    assert snapshot(home) == before


def test_bogus_backend_environment_does_not_break_import_and_names_itself_in_the_api(home):
    code = (
        "import lra_edu\n"
        "try:\n    lra_edu.MLP((2, 2))\nexcept ValueError as err:\n    print(err)\n"
        "lra_edu.set_backend('numpy')\nprint(lra_edu.MLP((2, 2)).sizes)\n"
    )
    env = {**os.environ, "LRA_EDU_BACKEND": "bogus"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and not proc.stderr
    assert proc.stdout.splitlines() == [
        "LRA_EDU_BACKEND='bogus': unknown backend 'bogus'; valid backends: numpy, cupy",
        "(2, 2)",
    ]


def test_unwritable_out_is_refused_before_training(home):
    line = assert_clear(cli(["run", "E2", "--out", "/proc/self/lra", "--dataset", "digits"], home), 2)
    assert "--out /proc/self/lra: cannot write there" in line


@pytest.mark.skipif(IS_ROOT, reason="permissions do not bind root")
def test_read_only_out_is_refused_before_training(home):
    (home / "ro").mkdir(mode=0o555)
    assert_clear(
        cli(["run", "E2", "--out", "ro", "--dataset", "digits"], home), 2, "--out ro", "cannot write"
    )
    assert not any((home / "ro").iterdir())


def test_unreachable_scheduler_answers_within_seconds(home):
    address = f"tcp://127.0.0.1:{closed_port()}"
    start = time.monotonic()
    proc = cli(["run", "E2", "--dataset", "digits", "--out", "r", "--scheduler", address], home)
    assert time.monotonic() - start < 30  # an interpreter start plus a refused connection
    assert_clear(proc, 2, f"--scheduler {address}", "no scheduler answers")


# ---------------------------------------------------------------- report: folders and result files


def test_report_on_a_read_only_folder_prints_the_tables_and_says_it_wrote_nothing(home):
    proc = cli(["report", "/proc/self/fdinfo"], home)
    assert proc.returncode == 0 and "# Reproduction report" in proc.stdout
    assert_clear(proc, 0, "could not write report.md and report.json under /proc/self/fdinfo")


@pytest.mark.skipif(IS_ROOT, reason="permissions do not bind root")
def test_report_on_a_chmod_read_only_folder(home):
    results = home / "results"
    before = snapshot(home)
    results.chmod(0o555)
    try:
        proc = cli(["report", "results"], home)
    finally:
        results.chmod(0o755)
    assert "# Reproduction report" in proc.stdout
    assert_clear(proc, 0, "could not write", "results")
    assert snapshot(home) == before


MALFORMED = {
    "list.json": "[]",
    "no-dataset.json": json.dumps({"experiment": "init-robustness", "scale": "quick"}),
    "best-null.json": json.dumps(
        {"experiment": "init-robustness", "scale": "quick", "dataset": "digits", "best": None}
    ),
    "cell-short.json": json.dumps(
        {"experiment": "init-robustness", "scale": "quick", "dataset": "digits", "cell": ["x"]}
    ),
    "error-text.json": json.dumps(
        {"experiment": "init-robustness", "scale": "quick", "dataset": "digits", "best": {"test_error": "3"}}
    ),
    "truncated.json": '{"experiment": "init-rob',
    "binary.json": "\x00\x01\x02",
    "deep.json": "[" * 100000,
}


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_report_warns_about_each_malformed_result_on_stderr_and_goes_on(home, json_flag):
    folder = home / "results" / "init-robustness" / "quick" / "digits"
    for name, text in MALFORMED.items():
        (folder / name).write_text(text)
    (folder / "nan-seed1.json").write_text(
        (folder / "good-seed0.json")
        .read_text()
        .replace('"test_error": 3.0}, "final"', '"test_error": NaN}, "final"')
    )
    before = {k: v for k, v in snapshot(home).items() if not k.startswith("results/report.")}
    proc = cli(["report", "results", *json_flag], home)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == len(MALFORMED)
    for name in MALFORMED:
        assert sum(name in w for w in warnings) == 1, (name, warnings)
    assert all(w.startswith("warning: skipping") for w in warnings)
    after = {k: v for k, v in snapshot(home).items() if not k.startswith("results/report.")}
    assert after == before
    if json_flag:
        data = json.loads(proc.stdout, parse_constant=lambda token: pytest.fail(f"non-JSON token {token}"))
        assert data["experiments"]
    else:
        assert "3.00" in proc.stdout
    json.loads((home / "results" / "report.json").read_text(), parse_constant=pytest.fail)


def test_train_json_is_strict_when_training_blows_up(home):
    args = [*TRAIN[:-1], "1", "--hidden", "8", "--activation", "relu", "--train-subset", "50"]
    proc = cli([*args, "--optimizer", "sgd:1e38", "--json"], home)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout, parse_constant=lambda token: pytest.fail(f"non-JSON token {token}"))
    assert any(value is None for value in summary["history"][-1].values())  # a NaN, written as null
    assert "Traceback" not in proc.stderr


def test_json_safe_turns_non_finite_numbers_into_null():
    obj = {"a": [1.0, math.nan, (math.inf, -math.inf)], "b": "NaN", "c": 2}
    assert json_safe(obj) == {"a": [1.0, None, [None, None]], "b": "NaN", "c": 2}


def test_report_api_warns_on_stderr_and_never_creates_a_missing_folder(home, capsys):
    folder = home / "results" / "init-robustness" / "quick" / "digits"
    (folder / "list.json").write_text("[]")
    results = load_results(home / "results")
    captured = capsys.readouterr()
    assert [r["seed"] for r in results] == [0]
    assert not captured.out and "list.json" in captured.err and "expected a JSON object" in captured.err
    with pytest.raises(ValueError, match="does not exist"):
        write_report(home / "missing")
    assert not (home / "missing").exists()


# ---------------------------------------------------------------- data files


def _fashion(home: Path, name: str, blob: bytes) -> Path:
    """Put ``blob`` as Fashion-MNIST's ``name`` (and junk beside it) in the user's data cache."""
    folder = home / "data" / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for other in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (folder / other).write_bytes(gzip.compress(idx_bytes(np.zeros(4))))
    path = folder / name
    if path.exists() or path.is_symlink():
        path.unlink()
    path.write_bytes(blob)
    return path


DATA_CASES = {
    "corrupt deflate": (  # a gzip header, then a deflate block of the reserved type 3
        lambda: gzip.compress(b"")[:10] + b"\x07" + bytes(64),
        "cannot decompress (Error -3 while decompressing data: invalid block type)",
    ),
    "truncated gzip": (lambda: gzip.compress(idx_bytes(np.arange(60000) % 10))[:-30], "ends early"),
    "gzip bomb": (lambda: gzip_bomb(64 << 20), "decompresses to more than"),
    "not gzip, wrong checksum": (lambda: b"\x00" * 100, "checksum mismatch"),
    "empty": (lambda: b"", "checksum mismatch"),
}


@pytest.mark.parametrize("case", list(DATA_CASES))
def test_cli_corrupt_data_file_is_one_line_naming_it(home, case):
    make, message = DATA_CASES[case]
    path = _fashion(home, "train-images-idx3-ubyte.gz", make())
    before = snapshot(home)
    proc = cli(["train", "--algorithm", "bp", "--dataset", "fashion-mnist", "--epochs", "0"], home)
    assert_clear(proc, 1, str(path), message)
    assert snapshot(home) == before


def test_cli_unreadable_data_file_is_one_line_naming_it(home):
    path = _fashion(home, "train-images-idx3-ubyte.gz", b"")
    path.unlink()
    path.symlink_to("/proc/self/mem")  # a file that exists but cannot be read, even by root
    proc = cli(["train", "--algorithm", "bp", "--dataset", "fashion-mnist", "--epochs", "0"], home)
    assert_clear(proc, 1, str(path), "cannot read it")


@pytest.mark.skipif(IS_ROOT, reason="permissions do not bind root")
def test_unreadable_data_file_without_permission(home, monkeypatch):
    path = _fashion(home, "train-images-idx3-ubyte.gz", b"x")
    path.chmod(0)
    monkeypatch.setenv("LRA_EDU_DATA", str(home / "data"))
    with pytest.raises(DatasetError, match="cannot read it"):
        load_dataset("fashion-mnist", download=False)


def test_gzip_bomb_decompression_is_bounded_by_the_expected_size(home):
    path = _fashion(home, "train-labels-idx1-ubyte.gz", gzip_bomb(32 << 20))  # ~32 KB on disk
    tracemalloc.start()
    try:
        with pytest.raises(CorruptDatasetError, match="decompresses to more than 60008 bytes"):
            datasets._read(path, "train-labels-idx1-ubyte", "fashion-mnist")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the archive and at most 60 KB of output, not 32 MB


def test_oversized_file_is_refused_without_reading_it(home):
    path = _fashion(home, "train-labels-idx1-ubyte", b"")
    with open(path, "wb") as f:
        f.truncate(1 << 33)  # sparse: 8 GiB that take no space
    with pytest.raises(CorruptDatasetError, match="more than the official train-labels-idx1-ubyte"):
        datasets._read(path, "train-labels-idx1-ubyte", "mnist")


@pytest.fixture
def idx_source(tmp_path, monkeypatch):
    """A fake 'mnist' of uncompressed IDX files in the cache; returns a function that
    rewrites the training labels (registering their checksum) and the folder."""
    folder = tmp_path / "cache" / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    md5 = {}
    for split, n in (("train", 12), ("t10k", 4)):
        for kind, shape in (("images-idx3-ubyte", (n, 28, 28)), ("labels-idx1-ubyte", (n,))):
            blob = idx_bytes(rng.integers(0, 10, shape))
            (folder / f"{split}-{kind}").write_bytes(blob)
            md5[f"{split}-{kind}"] = hashlib.md5(blob).hexdigest()
    monkeypatch.setitem(datasets.SOURCES, "mnist", {"url": "file:///nowhere/", "md5": md5, "sha256": {}})
    monkeypatch.setenv("LRA_EDU_DATA", str(tmp_path / "cache"))

    def labels(values: np.ndarray) -> bytes:
        blob = idx_bytes(values)
        md5["train-labels-idx1-ubyte"] = hashlib.md5(blob).hexdigest()
        return blob

    return labels, folder


@pytest.mark.parametrize("how", ["rename over", "rewrite in place"])
def test_cache_notices_a_file_replaced_with_the_same_size_and_mtime(idx_source, how):
    labels, folder = idx_source
    path = folder / "train-labels-idx1-ubyte"
    first = load_dataset("mnist", valid_size=2, download=False)
    stat = path.stat()
    new = labels(np.full(12, 7))
    assert len(new) == stat.st_size
    time.sleep(0.05)  # a later change: file times have the kernel clock's tick as resolution
    if how == "rename over":
        (folder / "new").write_bytes(new)
        os.replace(folder / "new", path)
    else:
        with open(path, "r+b") as f:
            f.write(new)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_size == stat.st_size
    second = load_dataset("mnist", valid_size=2, download=False)
    assert not np.array_equal(first.y_train, second.y_train)
    assert set(second.y_train.tolist()) == {7}


# ---------------------------------------------------------------- Python API


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", train_subset=60)


def _with(data: Dataset, **arrays) -> Dataset:
    fields = {f: getattr(data, f) for f in ("x_train", "y_train", "x_valid", "y_valid", "x_test", "y_test")}
    return Dataset("custom", **{**fields, **arrays})


def _float_labels(d):
    return _with(d, y_train=d.y_train.astype(float))


def _nan_labels(d):
    y = d.y_train.astype(float)
    y[0] = np.nan
    return _with(d, y_train=y)


def _label_out_of_range(d):
    y = d.y_train.copy()
    y[0] = 10
    return _with(d, y_train=y)


def _net():
    return MLP((64, 4, 10))


def _tiny():
    return load_dataset("digits", train_subset=20)


API_CASES = [
    ("valid_size=True", lambda d: load_dataset("digits", valid_size=True), ValueError, "valid_size"),
    (
        "valid_size=2000",
        lambda d: load_dataset("digits", valid_size=2000),
        ValueError,
        "1497 training images",
    ),
    ("valid_size=1.5", lambda d: load_dataset("digits", valid_size=1.5), ValueError, "valid_size"),
    ("train_subset=0", lambda d: load_dataset("digits", train_subset=0), ValueError, "train_subset"),
    ("seed=-1", lambda d: load_dataset("digits", seed=-1), ValueError, "seed"),
    ("dataset name", lambda d: load_dataset("cifar"), ValueError, "valid datasets"),
    ("Adam(beta1=1.0)", lambda d: Adam(beta1=1.0), ValueError, "beta1"),
    ("Adam(beta2=-0.1)", lambda d: Adam(beta2=-0.1), ValueError, "beta2"),
    ("Adam(eps=-1)", lambda d: Adam(eps=-1), ValueError, "eps"),
    ("Adam(eps=nan)", lambda d: Adam(eps=math.nan), ValueError, "eps"),
    ("RMSprop(eps=-1)", lambda d: RMSprop(eps=-1), ValueError, "eps"),
    ("SGD(lr=True)", lambda d: SGD(True), ValueError, "learning rate"),
    ("unit 'tanh+'", lambda d: get_unit("tanh+"), ValueError, "'tanh+'"),
    ("MLP width True", lambda d: MLP((64, True, 10)), ValueError, "positive integers"),
    ("MLP width 2.0", lambda d: MLP((64, 2.0, 10)), ValueError, "positive integers"),
    ("list for x", lambda d: _with(d, x_train=d.x_train.tolist()), TypeError, "x_train must be an array"),
    ("list for labels", lambda d: _with(d, y_test=list(d.y_test)), TypeError, "y_test must be an array"),
    (
        "empty split",
        lambda d: _with(d, x_valid=d.x_valid[:0], y_valid=d.y_valid[:0]),
        ValueError,
        "valid split",
    ),
    ("mismatched split", lambda d: _with(d, y_test=d.y_test[:-1]), ValueError, "test split"),
    (
        "float labels",
        lambda d: train(_net(), make_algorithm("bp"), _float_labels(d), progress=False),
        ValueError,
        "train split: labels must be integer class indices 0..9, got dtype float64",
    ),
    (
        "NaN labels",
        lambda d: train(_net(), make_algorithm("bp"), _nan_labels(d), progress=False),
        ValueError,
        "integer class indices",
    ),
    (
        "label 10",
        lambda d: train(_net(), make_algorithm("bp"), _label_out_of_range(d), progress=False),
        ValueError,
        "0..9",
    ),
    (
        "evaluate a list",
        lambda d: evaluate(_net(), d.x_test.tolist(), d.y_test),
        TypeError,
        "x must be an array",
    ),
    ("evaluate nothing", lambda d: evaluate(_net(), d.x_test[:0], d.y_test[:0]), ValueError, "empty"),
    ("evaluate float labels", lambda d: evaluate(_net(), d.x_test, d.y_test * 1.0), ValueError, "integer"),
    (
        "check_data list",
        lambda d: check_data([[0.0]], d.y_test[:1], 1, 10),
        TypeError,
        "inputs must be an array",
    ),
    (
        "check_data empty",
        lambda d: check_data(d.x_test[:0], d.y_test[:0], 64, 10, "test"),
        ValueError,
        "test split: no samples",
    ),
]


@pytest.mark.parametrize(("name", "call", "kind", "message"), API_CASES, ids=[c[0] for c in API_CASES])
def test_api_bad_input_raises_a_clear_error(digits, name, call, kind, message):
    with pytest.raises(kind, match=None) as err:
        call(digits)
    assert err.type is kind and message in str(err.value) and "\n" not in str(err.value)


NUMPY_SCALARS = [
    (
        "load_dataset sizes",
        lambda: load_dataset("digits", valid_size=np.int64(100), train_subset=np.int32(50)),
    ),
    ("load_dataset seed", lambda: load_dataset("digits", train_subset=20, seed=np.uint8(3))),
    ("MLP widths", lambda: MLP((np.int64(64), np.int32(4), 10), ensemble=np.int64(2))),
    ("SGD rate", lambda: SGD(np.float32(0.1))),
    ("hyperparameters", lambda: make_algorithm("lra_fdbk", K=np.int64(2), beta=np.float32(0.1))),
    (
        "train epochs and batch size",
        lambda: train(_net(), make_algorithm("bp"), _tiny(), epochs=np.int64(1), batch_size=np.int32(20)),
    ),
    ("Adam settings", lambda: Adam(np.float64(0.001), beta1=np.float32(0.5), eps=np.float64(1e-7))),
    ("RMSprop settings", lambda: RMSprop(np.float32(0.001), rho=np.float64(0.9))),
]


@pytest.mark.parametrize(("name", "call"), NUMPY_SCALARS, ids=[c[0] for c in NUMPY_SCALARS])
def test_numpy_scalars_are_accepted_where_python_numbers_are(name, call):
    call()


def test_numpy_scalars_are_stored_as_python_numbers():
    net = MLP((np.int64(64), np.int32(4), 10))
    assert net.sizes == (64, 4, 10) and all(type(n) is int for n in net.sizes)
    values = make_algorithm("lra_fdbk", K=np.int64(2), beta=np.float32(0.5)).hyperparameter_values()
    assert type(values["K"]) is int and type(values["beta"]) is float
    json.dumps([list(net.sizes), values])


# ---------------------------------------------------------------- checkpoint files


class _Planted:
    """Unpickling this touches ``marker``: proof that a loader ran code from a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _npz(**members) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return buffer.getvalue()


CHECKPOINTS = {
    "garbage": lambda marker: b"\x00garbage",
    "empty": lambda marker: b"",
    "pickle": lambda marker: pickle.dumps(_Planted(marker)),
    "npz with a pickled object": lambda marker: _npz(state=np.array([_Planted(marker)], dtype=object)),
    "npz whose state is not JSON": lambda marker: _npz(state=np.frombuffer(b"not json", np.uint8)),
    "npz of another format": lambda marker: _npz(state=np.frombuffer(b'{"format": "x"}', np.uint8)),
}


@pytest.mark.parametrize("case", list(CHECKPOINTS))
def test_bad_checkpoint_is_refused_without_running_code_or_changing_it(digits, tmp_path, case):
    marker = tmp_path / "code-ran"
    path = tmp_path / "run.ckpt"
    path.write_bytes(CHECKPOINTS[case](marker))
    before = snapshot(tmp_path)
    with pytest.raises(ValueError) as err:
        train(_net(), make_algorithm("bp"), digits, epochs=1, checkpoint=path, progress=False)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert not marker.exists()
    assert snapshot(tmp_path) == before
