"""Atomic file writes: a temporary file beside the target, fsynced, then renamed over it.

A reader (or a rerun after a kill) sees either the old file or the whole new one, never
a half-written one. Results, reports and checkpoints are all written this way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; these are ordinary files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
