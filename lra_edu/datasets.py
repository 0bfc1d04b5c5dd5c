"""Datasets: scikit-learn's bundled digits, and MNIST / Fashion-MNIST from IDX files.

Where the IDX files come from, in order:

1. the cache directory ``$LRA_EDU_DATA/<name>/`` (default: the user cache directory,
   e.g. ``~/.cache/lra_edu/<name>/``);
2. for Fashion-MNIST, ``/usr/share/datasets/fashion-mnist/`` (Debian's
   ``dataset-fashion-mnist`` package, which ``make`` installs where apt is available);
3. a download from the official mirror into the cache, verified against the
   official MD5 checksum and written atomically (temporary file, then rename).

Every file, local or downloaded, is checked: the archive's MD5 must match the
official one, or the decompressed content's SHA-256 must match the one recorded
here (Debian recompresses the archives), and the IDX header must be well formed. No
file is read, or decompressed, beyond the official file's size, and a file that cannot
be read or decompressed is a :class:`DatasetError` naming it. Parsed files are cached in
the process and read again when the file changes (even with its old size and mtime).

Splits follow the papers: [LRA18] holds out the last 10,000 training images for
validation (``valid_size=10000``, the default here); [LRA19] holds out 2,000. Pixels
are scaled to [0, 1]. ``train_subset`` draws a seeded random subset of the remaining
training images for quick runs.
"""

from __future__ import annotations

import functools
import hashlib
import numbers
import os
import struct
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

DATASETS = ("digits", "fashion-mnist", "mnist")
SYSTEM_DIRS = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}

_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: Official mirrors and checksums: MD5 of the .gz archive and, where known, SHA-256
#: of the decompressed IDX bytes.
SOURCES: dict[str, dict[str, object]] = {
    "fashion-mnist": {
        "url": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "md5": {
            "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        "sha256": {
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    },
    "mnist": {
        "url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "md5": {
            "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        "sha256": {},
    },
}

#: Size in bytes of each decompressed IDX file (MNIST and Fashion-MNIST alike): no file
#: is read, or decompressed, beyond it.
MAX_BYTES = {
    "train-images-idx3-ubyte": 16 + 60000 * 784,
    "train-labels-idx1-ubyte": 8 + 60000,
    "t10k-images-idx3-ubyte": 16 + 10000 * 784,
    "t10k-labels-idx1-ubyte": 8 + 10000,
}

DEFAULT_VALID = {"digits": 300, "fashion-mnist": 10000, "mnist": 10000}

#: Training images before the validation split is held out, and input features.
TRAIN_SIZES = {"digits": 1497, "fashion-mnist": 60000, "mnist": 60000}
N_FEATURES = {"digits": 64, "fashion-mnist": 784, "mnist": 784}


class DatasetError(Exception):
    """A dataset could not be found, downloaded or read; the message says how to fix it."""


class CorruptDatasetError(DatasetError):
    """A dataset file exists but is truncated, malformed or fails its checksum."""


@dataclass
class Dataset:
    """Train/valid/test splits as host float32 arrays in [0, 1] with int64 labels.

    Construction checks that every split is a pair of arrays, ``x`` of shape (N, features)
    and labels of shape (N,), with N >= 1 (TypeError or ValueError naming the split).
    """

    name: str
    x_train: numpy.ndarray
    y_train: numpy.ndarray
    x_valid: numpy.ndarray
    y_valid: numpy.ndarray
    x_test: numpy.ndarray
    y_test: numpy.ndarray
    n_classes: int = 10

    def __post_init__(self) -> None:
        for split in ("train", "valid", "test"):
            x, labels = self.split(split)
            for field, array in ((f"x_{split}", x), (f"y_{split}", labels)):
                if not hasattr(array, "shape") or not hasattr(array, "dtype"):
                    raise TypeError(
                        f"Dataset {field} must be an array (numpy.asarray(...)), got {type(array).__name__}"
                    )
            if x.ndim != 2 or labels.ndim != 1 or len(x) != len(labels):
                raise ValueError(
                    f"Dataset {split} split: x must be (N, features) and labels (N,), "
                    f"got {tuple(x.shape)} and {tuple(labels.shape)}"
                )
            if len(labels) == 0:
                raise ValueError(f"Dataset {split} split is empty; every split needs at least one sample")

    @property
    def n_features(self) -> int:
        """Input dimension."""
        return self.x_train.shape[1]

    def split(self, which: str) -> tuple[numpy.ndarray, numpy.ndarray]:
        """Return ``(x, labels)`` of ``'train'``, ``'valid'`` or ``'test'``."""
        if which not in ("train", "valid", "test"):
            raise ValueError(f"unknown split {which!r}; valid: train, valid, test")
        return getattr(self, f"x_{which}"), getattr(self, f"y_{which}")

    def __repr__(self) -> str:
        sizes = ", ".join(f"{s}={len(self.split(s)[1])}" for s in ("train", "valid", "test"))
        return f"Dataset({self.name!r}, {sizes}, features={self.n_features})"


def data_dir() -> Path:
    """The cache directory: ``$LRA_EDU_DATA`` or the user cache dir."""
    env = os.environ.get("LRA_EDU_DATA")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lra_edu"


def parse_idx(raw: bytes, source: str = "<bytes>") -> numpy.ndarray:
    """Parse IDX bytes (unsigned-byte data, 1 or 3 dimensions) into an array."""
    if len(raw) < 8:
        raise CorruptDatasetError(f"{source}: too short for an IDX header ({len(raw)} bytes)")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise CorruptDatasetError(
            f"{source}: wrong magic number 0x{raw[:4].hex()} (expected 0x00000801 for labels "
            f"or 0x00000803 for images); the file is not an MNIST-style IDX file"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CorruptDatasetError(f"{source}: truncated IDX header")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = header + int(numpy.prod(dims))
    if len(raw) != expected:
        raise CorruptDatasetError(
            f"{source}: {len(raw)} bytes, but its header {dims} says {expected}; "
            f"the file is truncated or corrupt"
        )
    return numpy.frombuffer(raw, dtype=numpy.uint8, offset=header).reshape(dims)


def _gunzip(blob: bytes, limit: int, source: str) -> bytes:
    """Decompress gzip ``blob`` (one or more members), refusing more than ``limit`` bytes."""
    out = bytearray()
    rest = blob
    try:
        while rest.strip(b"\0"):
            member = zlib.decompressobj(wbits=31)
            out += member.decompress(rest, limit + 1 - len(out))
            if len(out) > limit:
                raise CorruptDatasetError(
                    f"{source}: decompresses to more than {limit} bytes, the size of the official "
                    f"file; delete it and run again to re-download"
                )
            if not member.eof:
                raise CorruptDatasetError(
                    f"{source}: the compressed data ends early (truncated download); "
                    f"delete the file and run again to re-download"
                )
            rest = member.unused_data
    except zlib.error as err:
        raise CorruptDatasetError(
            f"{source}: cannot decompress ({err}); delete the file and run again to re-download"
        ) from None
    return bytes(out)


def _read(path: Path, name: str, dataset: str) -> bytes:
    """Read one IDX file (gzipped or not), verify its checksum, return raw IDX bytes.

    Neither the file nor its decompressed content may exceed the official file's size
    (:data:`MAX_BYTES`), so a corrupt or hostile file cannot exhaust memory.
    """
    limit = MAX_BYTES[name]
    try:
        size = path.stat().st_size
        if size > limit:
            raise CorruptDatasetError(
                f"{path}: {size} bytes, more than the official {name} ({limit} bytes); "
                f"delete the file and run again to re-download"
            )
        with open(path, "rb") as f:
            blob = f.read(limit + 1)
    except OSError as err:
        raise DatasetError(
            f"{path}: cannot read it ({err.strerror or err}); fix its permissions or delete it to re-download"
        ) from None
    src = SOURCES[dataset]
    md5_ok = hashlib.md5(blob).hexdigest() == src["md5"][name]
    known = src["sha256"].get(name)
    if not md5_ok and known is None:
        raise CorruptDatasetError(
            f"{path}: checksum mismatch (not the official archive's MD5); delete the file and run "
            f"again to re-download"
        )
    raw = _gunzip(blob, limit, str(path)) if blob[:2] == b"\x1f\x8b" else blob
    if not md5_ok and hashlib.sha256(raw).hexdigest() != known:
        raise CorruptDatasetError(
            f"{path}: checksum mismatch (neither the official archive MD5 nor the known content "
            f"SHA-256 matches); delete the file and run again to re-download"
        )
    return raw


def download(url: str, dest: Path, md5: str) -> None:
    """Download ``url`` to ``dest`` atomically, verifying its MD5 before the rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        h = hashlib.md5()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            while chunk := resp.read(1 << 20):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != md5:
            raise CorruptDatasetError(f"{url}: downloaded file fails its MD5 checksum; try again later")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _find(dataset: str, name: str, allow_download: bool) -> Path:
    """Locate (or download) one IDX file of ``dataset``."""
    candidates = [data_dir() / dataset]
    if dataset in SYSTEM_DIRS:
        candidates.append(SYSTEM_DIRS[dataset])
    for folder in candidates:
        for fname in (name + ".gz", name):
            if (folder / fname).is_file():
                return folder / fname
    dest = data_dir() / dataset / (name + ".gz")
    how = (
        f"put the four official IDX files ({', '.join(f + '.gz' for f in _FILES)}) in "
        f"{data_dir() / dataset} (set LRA_EDU_DATA to use another folder)"
    )
    if dataset == "fashion-mnist":
        how += ", or install Debian's package: apt-get install dataset-fashion-mnist"
    if not allow_download:
        raise DatasetError(f"{dataset}: {name} not found; {how}")
    url = str(SOURCES[dataset]["url"]) + name + ".gz"
    try:
        download(url, dest, str(SOURCES[dataset]["md5"][name]))
    except OSError as err:
        raise DatasetError(
            f"{dataset}: {name} not found locally and download failed ({err}); {how}"
        ) from None
    return dest


def load_idx_pair(
    dataset: str, split: str, allow_download: bool = True
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Images (N, 784) as float32 in [0, 1] and labels (N,) int64 for 'train' or 't10k'."""
    images_name, labels_name = f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"
    img_path = _find(dataset, images_name, allow_download)
    lab_path = _find(dataset, labels_name, allow_download)
    return _parse_pair(dataset, img_path, lab_path, _identity(img_path), _identity(lab_path))


def _identity(path: Path) -> tuple[int, ...]:
    """What changes when a file is replaced or rewritten: device, inode, size, mtime and ctime."""
    try:
        st = path.stat()
    except OSError as err:
        raise DatasetError(f"{path}: cannot read it ({err.strerror or err})") from None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@functools.lru_cache(maxsize=8)
def _parse_pair(
    dataset: str, img_path: Path, lab_path: Path, img_id: tuple[int, ...], lab_id: tuple[int, ...]
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Read, verify and convert one image/label file pair (cached by path and :func:`_identity`).

    The status change time (ctime) is part of the key: no one can set it, so a file
    rewritten in place with its old size and modification time is still read again
    (unless rewritten within one tick of the file system's clock after it was cached).
    """
    images_name = img_path.name.removesuffix(".gz")
    labels_name = lab_path.name.removesuffix(".gz")
    images = parse_idx(_read(img_path, images_name, dataset), str(img_path))
    labels = parse_idx(_read(lab_path, labels_name, dataset), str(lab_path))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise CorruptDatasetError(
            f"{img_path} / {lab_path}: shapes {images.shape} and {labels.shape} do not form "
            f"an image/label pair; delete them and run again to re-download"
        )
    x = images.reshape(len(images), -1).astype(numpy.float32) / 255.0
    y = labels.astype(numpy.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def _is_int(value: Any) -> bool:
    """True for Python and NumPy integers, False for booleans."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, numpy.bool_))


def _digits() -> tuple[numpy.ndarray, ...]:
    """scikit-learn's 1,797 8x8 digits: a fixed shuffle, the last 300 as test."""
    from sklearn.datasets import load_digits

    d = load_digits()
    order = numpy.random.default_rng(1797).permutation(len(d.target))
    x = (d.data[order] / 16.0).astype(numpy.float32)
    y = d.target[order].astype(numpy.int64)
    return x[:-300], y[:-300], x[-300:], y[-300:]


def load_dataset(
    name: str,
    valid_size: int | None = None,
    train_subset: int | None = None,
    test_subset: int | None = None,
    seed: int = 0,
    download: bool = True,
) -> Dataset:
    """Load ``name`` ('digits', 'fashion-mnist', 'mnist') split into train/valid/test.

    Parameters
    ----------
    valid_size : int, optional
        Training images held out (the last ones) for validation; default 10,000 for the
        IDX datasets ([LRA18]; [LRA19] uses 2,000) and 300 for digits.
    train_subset, test_subset : int, optional
        Seeded random subsets for quick runs (the validation split is subsampled to
        ``min(valid_size, train_subset)`` too).
    seed : int
        Seed for the subsets.
    download : bool
        Allow downloading missing files.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
    n_train = TRAIN_SIZES[key]
    if valid_size is not None and not (_is_int(valid_size) and 0 < valid_size < n_train):
        raise ValueError(
            f"valid_size must be an integer in 1..{n_train - 1} ({key} has {n_train} training images), "
            f"got {valid_size!r}"
        )
    for label, size in (("train_subset", train_subset), ("test_subset", test_subset)):
        if size is not None and not (_is_int(size) and size >= 1):
            raise ValueError(f"{label} must be a positive integer, got {size!r}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if key == "digits":
        x_tr, y_tr, x_te, y_te = _digits()
    else:
        x_tr, y_tr = load_idx_pair(key, "train", download)
        x_te, y_te = load_idx_pair(key, "t10k", download)
    n_valid = int(DEFAULT_VALID[key] if valid_size is None else valid_size)
    if not 0 < n_valid < len(y_tr):
        raise ValueError(f"valid_size must be an integer in 1..{len(y_tr) - 1}, got {valid_size!r}")
    x_va, y_va = x_tr[-n_valid:], y_tr[-n_valid:]
    x_tr, y_tr = x_tr[:-n_valid], y_tr[:-n_valid]
    rng = numpy.random.default_rng(int(seed))
    train_subset = None if train_subset is None else int(train_subset)
    test_subset = None if test_subset is None else int(test_subset)
    if train_subset is not None and train_subset < len(y_tr):
        keep = numpy.sort(rng.choice(len(y_tr), train_subset, replace=False))
        x_tr, y_tr = x_tr[keep], y_tr[keep]
        if train_subset < len(y_va):
            keep = numpy.sort(rng.choice(len(y_va), train_subset, replace=False))
            x_va, y_va = x_va[keep], y_va[keep]
    if test_subset is not None and test_subset < len(y_te):
        keep = numpy.sort(rng.choice(len(y_te), test_subset, replace=False))
        x_te, y_te = x_te[keep], y_te[keep]
    return Dataset(key, x_tr, y_tr, x_va, y_va, x_te, y_te)
