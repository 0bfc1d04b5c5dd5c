"""Epoch checkpoints: an interrupted training run resumes from its last finished epoch.

:func:`lra_edu.train.train` and :func:`lra_edu.ensemble.train_ensemble` take a
``checkpoint`` path. After every epoch they write the whole training state there — the
network, the algorithm's own state (feedback matrices, decoders ...), both optimizers'
state, every random generator and the history so far — atomically (a temporary file
renamed over the old one), so a kill at any moment leaves the previous epoch's
checkpoint intact. Started again with the same path, training continues from that
epoch, and the finished run equals an uninterrupted one exactly. The same mechanism
extends a finished run: ask for more epochs than the checkpoint holds.

Format: one NumPy ``.npz`` file, read with ``allow_pickle=False``, so loading it cannot
run code. Every array of the state is one numeric member (``a0``, ``a1`` ...); member
``state`` holds a JSON document with everything else: the run's *fingerprint*, the epoch,
and each object's data (numbers, strings, lists, dictionaries, references to the arrays,
random generators as their ``bit_generator.state``). Loading builds nothing the file
names: the caller constructs fresh objects from its own configuration (network,
algorithm, optimizers, generators, histories) and the checkpoint restores their data —
each array must have the shape and dtype of the fresh object's, each value the fresh
value's kind. What is configuration rather than data (units, loss functions) is never
stored: the fingerprint guarantees it is the same.

The fingerprint (architecture, algorithm and its hyperparameters, optimizer, batch
size, seeds, data size) must equal the run's; a checkpoint of another run, a damaged
file or anything that is not such a checkpoint is refused with a
:class:`CheckpointError` that says what is wrong and to delete the file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy
from numpy.lib.npyio import NpzFile

from lra_edu.atomic import write_atomic
from lra_edu.backend import RNG, asarray, to_numpy

FORMAT = "lra_edu checkpoint"
VERSION = 1
_MISSING = object()  # no fresh counterpart: the stored value is decoded unchecked
_SCALARS = (bool, int, float, str)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, or written by a different run."""


def save_checkpoint(
    path: str | Path, fingerprint: dict[str, Any], epoch: int, objects: dict[str, Any]
) -> None:
    """Write the data of ``objects`` (objects, or lists of them) after ``epoch`` to ``path`` atomically."""
    arrays: list[numpy.ndarray] = []
    document = {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": fingerprint,
        "epoch": epoch,
        "objects": {
            name: [_encode_object(o, arrays) for o in obj]
            if isinstance(obj, list)
            else _encode_object(obj, arrays)
            for name, obj in objects.items()
        },
    }
    text = json.dumps(document, default=_plain)
    buffer = io.BytesIO()
    members = {f"a{i}": a for i, a in enumerate(arrays)}
    numpy.savez(buffer, state=numpy.frombuffer(text.encode(), dtype=numpy.uint8), **members)
    write_atomic(path, buffer.getvalue())


def load_checkpoint(
    path: str | Path, fingerprint: dict[str, Any], objects: dict[str, Any], epochs: int | None = None
) -> int | None:
    """Restore ``objects`` from the checkpoint at ``path``; return its epoch (None when there is no file).

    ``objects`` are freshly built for the run ``fingerprint`` (the same names and
    structure as saved); they are changed only when the whole checkpoint is valid.

    Raises
    ------
    CheckpointError
        If the file is unreadable or not a checkpoint, belongs to a run with another
        fingerprint, holds more than ``epochs`` epochs, or its data do not fit the objects.
    """
    path = Path(path)
    if not path.exists():
        return None
    document, arrays = _read(path)
    stored = json.loads(json.dumps(fingerprint, default=_plain))
    if document["fingerprint"] != stored:
        theirs = document["fingerprint"] if isinstance(document["fingerprint"], dict) else {}
        differ = sorted(k for k in set(stored) | set(theirs) if stored.get(k) != theirs.get(k))
        details = ", ".join(f"{k}: stored {theirs.get(k)!r}, now {stored.get(k)!r}" for k in differ)
        raise CheckpointError(
            f"{path} was written by a different run ({details}); delete it or choose another path"
        )
    epoch = document["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise CheckpointError(
            f"{path} is not a valid checkpoint (epoch {epoch!r}); delete it to start the run over"
        )
    if epochs is not None and epoch > epochs:
        raise CheckpointError(f"{path} holds {epoch} epochs, more than the {epochs} asked for")
    if not isinstance(document["objects"], dict) or set(document["objects"]) != set(objects):
        raise CheckpointError(
            f"{path} does not hold the objects of this run; delete it to start the run over"
        )
    restore = _Restore(path, arrays)
    for name, obj in objects.items():
        saved = document["objects"][name]
        if isinstance(obj, list):
            if not isinstance(saved, list) or len(saved) != len(obj):
                raise restore.error(name, f"holds {_count(saved)} entries, the run has {len(obj)}")
            for i, (o, s) in enumerate(zip(obj, saved)):
                restore.object(o, s, f"{name}[{i}]")
        else:
            restore.object(obj, saved, name)
    restore.apply()
    return epoch


def checkpoint_info(path: str | Path) -> dict[str, Any]:
    """The fingerprint and epoch stored in the checkpoint at ``path`` (raises :class:`CheckpointError`)."""
    document, _ = _read(Path(path))
    return {"fingerprint": document["fingerprint"], "epoch": document["epoch"]}


def _read(path: Path) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """The JSON document and the arrays of a checkpoint file, read without pickle."""
    try:
        loaded = numpy.load(io.BytesIO(path.read_bytes()), allow_pickle=False)
        if not isinstance(loaded, NpzFile) or "state" not in loaded.files:
            raise CheckpointError(f"{path} is not an lra_edu checkpoint; delete it or choose another path")
        with loaded:
            arrays = {name: loaded[name] for name in loaded.files}
        document = json.loads(arrays.pop("state").tobytes().decode())
    except CheckpointError:
        raise
    except Exception as err:  # a truncated or foreign file raises many different errors
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: {err}); "
            "delete it to start the run over"
        ) from err
    keys = {"format", "version", "fingerprint", "epoch", "objects"}
    if not isinstance(document, dict) or document.get("format") != FORMAT or not keys <= set(document):
        raise CheckpointError(f"{path} is not an lra_edu checkpoint; delete it or choose another path")
    if document["version"] != VERSION:
        raise CheckpointError(
            f"{path} is a version {document['version']!r} checkpoint, this library reads version {VERSION}; "
            "delete it to start the run over"
        )
    return document, arrays


def _plain(value: Any) -> Any:
    """JSON for a NumPy scalar (json.dumps ``default``)."""
    if isinstance(value, numpy.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a checkpoint")


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, numpy.generic)


def _is_data(value: Any) -> bool:
    """Whether ``value`` is state a checkpoint stores (not configuration such as a unit)."""
    if value is None or isinstance(value, (*_SCALARS, numpy.generic, RNG)) or _is_array(value):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (int, str)) and _is_data(v) for k, v in value.items())
    return False


def _encode(value: Any, arrays: list[numpy.ndarray]) -> Any:
    """``value`` as JSON; arrays are appended to ``arrays`` and referred to by index."""
    if isinstance(value, RNG):
        return {"__rng__": {"seed": value.seed, "state": value.host.bit_generator.state}}
    if isinstance(value, numpy.generic):
        return value.item()
    if _is_array(value):
        arrays.append(to_numpy(value))
        return {"__array__": len(arrays) - 1}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[k, _encode(v, arrays)] for k, v in value.items()]}
    return value


def _encode_object(obj: Any, arrays: list[numpy.ndarray]) -> Any:
    """An object's data attributes (a random generator: its state)."""
    if isinstance(obj, RNG):
        return _encode(obj, arrays)
    return {"__object__": {k: _encode(v, arrays) for k, v in vars(obj).items() if _is_data(v)}}


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


class _Restore:
    """Decode a checkpoint's data against fresh objects; assign everything only at the end."""

    def __init__(self, path: Path, arrays: dict[str, numpy.ndarray]) -> None:
        self.path = path
        self.arrays = arrays
        self.assignments: list[tuple[Any, str, Any]] = []

    def error(self, where: str, problem: str) -> CheckpointError:
        """A CheckpointError naming the file and the place in it."""
        return CheckpointError(
            f"{self.path} does not fit this run ({where} {problem}); delete it to start the run over"
        )

    def object(self, obj: Any, saved: Any, where: str) -> None:
        """Plan the restoration of ``obj``'s data attributes (a generator's state) from ``saved``."""
        if isinstance(obj, RNG):
            rng = self.value(saved, obj, where)
            self.assignments += [(obj, "seed", rng.seed), (obj, "host", rng.host)]
            return
        if (
            not isinstance(saved, dict)
            or set(saved) != {"__object__"}
            or not isinstance(saved["__object__"], dict)
        ):
            raise self.error(where, f"is not a stored {type(obj).__name__}")
        for name, value in saved["__object__"].items():
            if not hasattr(obj, name):
                raise self.error(where, f"has a field {name!r} that {type(obj).__name__} does not have")
            self.assignments.append((obj, name, self.value(value, getattr(obj, name), f"{where}.{name}")))

    def value(self, saved: Any, fresh: Any, where: str) -> Any:
        """Decode ``saved``, checked against the fresh object's value ``fresh`` (or :data:`_MISSING`)."""
        if isinstance(saved, dict):
            if set(saved) == {"__array__"}:
                return self.array(saved["__array__"], fresh, where)
            if set(saved) == {"__rng__"}:
                return self.rng(saved["__rng__"], fresh, where)
            if set(saved) == {"__dict__"}:
                return self.mapping(saved["__dict__"], fresh, where)
            raise self.error(where, "holds an unknown kind of value")
        if isinstance(saved, list):
            if fresh is not _MISSING and not isinstance(fresh, (list, tuple)):
                raise self.error(where, f"is a list, the run has a {type(fresh).__name__}")
            items = [
                self.value(
                    v, fresh[i] if fresh is not _MISSING and i < len(fresh) else _MISSING, f"{where}[{i}]"
                )
                for i, v in enumerate(saved)
            ]
            return tuple(items) if isinstance(fresh, tuple) else items
        if saved is not None and not isinstance(saved, _SCALARS):
            raise self.error(where, "holds an unknown kind of value")
        if fresh is _MISSING or fresh is None or saved is None:
            return saved
        number = (int, float)
        same = (
            isinstance(saved, bool) == isinstance(fresh, (bool, numpy.bool_))
            and isinstance(saved, str) == isinstance(fresh, str)
            and (isinstance(saved, number) == isinstance(fresh, (*number, numpy.number)))
        )
        if not same:
            raise self.error(where, f"holds a {type(saved).__name__}, the run has a {type(fresh).__name__}")
        return saved

    def array(self, index: Any, fresh: Any, where: str) -> Any:
        """A stored array on the active backend, with the shape and dtype of ``fresh``."""
        key = f"a{index}"
        if isinstance(index, bool) or not isinstance(index, int) or key not in self.arrays:
            raise self.error(where, "refers to an array the file does not hold")
        stored = self.arrays[key]
        if fresh is not _MISSING:
            if not _is_array(fresh):
                raise self.error(where, f"is an array, the run has a {type(fresh).__name__}")
            if tuple(stored.shape) != tuple(fresh.shape) or str(stored.dtype) != str(fresh.dtype):
                raise self.error(
                    where,
                    f"has shape {tuple(stored.shape)} {stored.dtype}, "
                    f"the run {tuple(fresh.shape)} {fresh.dtype}",
                )
        elif stored.dtype.kind not in "biuf":
            raise self.error(where, f"holds an array of dtype {stored.dtype}")
        return asarray(stored)

    def rng(self, saved: Any, fresh: Any, where: str) -> RNG:
        """A random generator in the stored state."""
        if fresh is not _MISSING and not isinstance(fresh, RNG):
            raise self.error(where, f"is a random generator, the run has a {type(fresh).__name__}")
        try:
            rng = RNG(saved["seed"])
            if saved["state"].get("bit_generator") != rng.host.bit_generator.state["bit_generator"]:
                raise ValueError("another bit generator")
            rng.host.bit_generator.state = saved["state"]
        except Exception as err:  # malformed state: TypeError, KeyError, ValueError ...
            raise self.error(
                where, f"holds an unusable generator state ({type(err).__name__}: {err})"
            ) from err
        return rng

    def mapping(self, pairs: Any, fresh: Any, where: str) -> dict[Any, Any]:
        """A dictionary; when the fresh one is not empty the keys must be the same."""
        if fresh is not _MISSING and not isinstance(fresh, dict):
            raise self.error(where, f"is a dictionary, the run has a {type(fresh).__name__}")
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], (int, str)) for p in pairs
        ):
            raise self.error(where, "holds a malformed dictionary")
        keys = [k for k, _ in pairs]
        if fresh is not _MISSING and fresh and set(keys) != set(fresh):
            raise self.error(where, f"has keys {sorted(map(str, keys))}, the run {sorted(map(str, fresh))}")
        reference = {} if fresh is _MISSING else fresh
        return {k: self.value(v, reference.get(k, _MISSING), f"{where}[{k!r}]") for k, v in pairs}

    def apply(self) -> None:
        """Assign every planned value (only called once all of them decoded without error)."""
        for obj, name, value in self.assignments:
            setattr(obj, name, value)
