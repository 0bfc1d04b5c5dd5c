"""Epoch checkpoints: an interrupted training run resumes from its last finished epoch.

:func:`lra_edu.train.train` and :func:`lra_edu.ensemble.train_ensemble` take a
``checkpoint`` path. After every epoch they write the whole training state there — the
network, the algorithm's own state (feedback matrices, decoders ...), both optimizers'
state, every random generator and the history so far — atomically (a temporary file
renamed over the old one), so a kill at any moment leaves the previous epoch's
checkpoint intact. Started again with the same path, training continues from that
epoch, and the finished run equals an uninterrupted one exactly. The same mechanism
extends a finished run: ask for more epochs than the checkpoint holds.

A checkpoint records a *fingerprint* of its run (architecture, algorithm and its
hyperparameters, optimizer, batch size, seed, data size); resuming a different run from
it is refused with an error that says what differs. Checkpoints are Python pickles:
load only files you wrote yourself.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from lra_edu.atomic import write_atomic


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, or written by a different run."""


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (the old file stays until the new one is complete)."""
    write_atomic(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def load_checkpoint(
    path: str | Path, fingerprint: dict[str, Any], epochs: int | None = None
) -> dict[str, Any] | None:
    """The state stored at ``path`` for the run ``fingerprint``; None when there is no file.

    Raises
    ------
    CheckpointError
        If the file is unreadable, belongs to a run with another fingerprint, or holds
        more than ``epochs`` epochs.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        with open(path, "rb") as f:
            state = pickle.load(f)
    except Exception as err:  # a truncated or foreign file raises many different errors
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: {err}); "
            "delete it to start the run over"
        ) from err
    if not isinstance(state, dict) or "fingerprint" not in state:
        raise CheckpointError(f"{path} is not an lra_edu checkpoint; delete it or choose another path")
    if state["fingerprint"] != fingerprint:
        differ = sorted(
            k
            for k in set(fingerprint) | set(state["fingerprint"])
            if fingerprint.get(k) != state["fingerprint"].get(k)
        )
        details = ", ".join(
            f"{k}: stored {state['fingerprint'].get(k)!r}, now {fingerprint.get(k)!r}" for k in differ
        )
        raise CheckpointError(
            f"{path} was written by a different run ({details}); delete it or choose another path"
        )
    if epochs is not None and state["epoch"] > epochs:
        raise CheckpointError(f"{path} holds {state['epoch']} epochs, more than the {epochs} asked for")
    return state
