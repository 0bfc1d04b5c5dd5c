"""Datasets: IDX parsing, checksums, atomic downloads, clear errors, splits."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from lra_edu import datasets
from lra_edu.datasets import CorruptDatasetError, DatasetError, load_dataset, parse_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny_source(tmp_path, monkeypatch):
    """A fake 'mnist' with 12 training and 4 test images whose checksums we register."""
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (12, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 12),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4),
    }
    remote = tmp_path / "remote"
    remote.mkdir()
    md5 = {}
    for name, arr in files.items():
        blob = gzip.compress(idx_bytes(arr))
        (remote / (name + ".gz")).write_bytes(blob)
        md5[name] = hashlib.md5(blob).hexdigest()
    monkeypatch.setitem(datasets.SOURCES, "mnist", {"url": remote.as_uri() + "/", "md5": md5, "sha256": {}})
    monkeypatch.setenv("LRA_EDU_DATA", str(tmp_path / "cache"))
    return files, remote


def test_parse_good_idx():
    arr = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(arr)), arr)


def test_parse_rejects_wrong_magic_and_truncation():
    good = idx_bytes(np.arange(10))
    with pytest.raises(CorruptDatasetError, match="wrong magic"):
        parse_idx(b"\x00\x00\x0d\x01" + good[4:])
    with pytest.raises(CorruptDatasetError, match="truncated"):
        parse_idx(good[:-3])
    with pytest.raises(CorruptDatasetError, match="too short"):
        parse_idx(b"\x00")


def test_download_verify_cache_and_split(tiny_source):
    files, _ = tiny_source
    d = load_dataset("mnist", valid_size=2)
    assert (len(d.y_train), len(d.y_valid), len(d.y_test)) == (10, 2, 4)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    np.testing.assert_array_equal(d.y_valid, files["train-labels-idx1-ubyte"][-2:])
    np.testing.assert_allclose(d.x_test[0], files["t10k-images-idx3-ubyte"][0].ravel() / 255, rtol=1e-6)
    cached = sorted(p.name for p in (datasets.data_dir() / "mnist").iterdir())
    assert cached == sorted(name + ".gz" for name in files)  # no leftover .part files
    again = load_dataset("mnist", valid_size=2, download=False)
    np.testing.assert_array_equal(again.x_train, d.x_train)


def test_checksum_mismatch_on_download_leaves_nothing(tiny_source):
    _, remote = tiny_source
    (remote / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(12))))
    with pytest.raises(DatasetError, match="MD5"):
        load_dataset("mnist", valid_size=2)
    folder = datasets.data_dir() / "mnist"
    assert not any(p.name.startswith("train-labels") for p in folder.iterdir())


def test_corrupt_cached_file_is_reported(tiny_source):
    load_dataset("mnist", valid_size=2)
    path = datasets.data_dir() / "mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(CorruptDatasetError, match="delete the file"):
        load_dataset("mnist", valid_size=2)


def test_truncated_file_with_matching_checksum_is_reported(tiny_source, monkeypatch):
    _, remote = tiny_source
    bad = gzip.compress(idx_bytes(np.zeros(12))[:-4])
    (remote / "train-labels-idx1-ubyte.gz").write_bytes(bad)
    datasets.SOURCES["mnist"]["md5"]["train-labels-idx1-ubyte"] = hashlib.md5(bad).hexdigest()
    with pytest.raises(CorruptDatasetError, match="truncated"):
        load_dataset("mnist", valid_size=2)


def test_missing_offline_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LRA_EDU_DATA", str(tmp_path))
    monkeypatch.setitem(datasets.SYSTEM_DIRS, "fashion-mnist", tmp_path / "absent")
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", download=False)
    with pytest.raises(DatasetError, match="LRA_EDU_DATA"):
        load_dataset("mnist", download=False)


def test_digits_splits_and_subsets():
    d = load_dataset("digits")
    assert (len(d.y_train), len(d.y_valid), len(d.y_test)) == (1197, 300, 300)
    s1 = load_dataset("digits", train_subset=100, seed=3)
    s2 = load_dataset("digits", train_subset=100, seed=3)
    assert len(s1.y_train) == 100 and len(s1.y_valid) == 100
    np.testing.assert_array_equal(s1.x_train, s2.x_train)
    assert not np.array_equal(s1.x_train, load_dataset("digits", train_subset=100, seed=4).x_train)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "cifar"}, "valid datasets: digits, fashion-mnist, mnist"),
        ({"name": "digits", "valid_size": 0}, "valid_size"),
        ({"name": "digits", "train_subset": -5}, "train_subset"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(**kwargs)


@pytest.mark.skipif(
    not datasets.SYSTEM_DIRS["fashion-mnist"].is_dir(), reason="Debian's dataset-fashion-mnist not installed"
)
def test_debian_fashion_mnist_passes_its_checksums():
    d = load_dataset("fashion-mnist", download=False)
    assert (len(d.y_train), len(d.y_valid), len(d.y_test)) == (50000, 10000, 10000)
    assert d.x_train.shape[1] == 784 and set(np.unique(d.y_test)) == set(range(10))


def test_multi_member_gzip_is_read_whole_and_padding_ignored(tmp_path):
    raw = idx_bytes(np.arange(30) % 10)
    blob = gzip.compress(raw[:11]) + gzip.compress(raw[11:]) + bytes(8)
    assert datasets._gunzip(blob, len(raw), "x.gz") == raw
    with pytest.raises(CorruptDatasetError, match="more than 37 bytes"):
        datasets._gunzip(blob, len(raw) - 1, "x.gz")
