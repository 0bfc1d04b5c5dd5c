"""Zip every chapter notebook of the book for readers who run the chapters on their machine.

The archive holds one folder, ``lra_edu-chapters/``, with the chapters at their paths
under ``book/`` (``intro.ipynb``, ``experiments/report.ipynb``, ...), as committed: no
outputs, each naming the ``python3`` kernel.

    python tools/chapters_zip.py ZIP
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

BOOK = Path(__file__).resolve().parent.parent / "book"
FOLDER = "lra_edu-chapters"


def chapter_paths(book: Path = BOOK) -> list[Path]:
    """Every notebook under ``book``, sorted, without Jupyter's checkpoint copies."""
    return sorted(p for p in book.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def write_zip(target: Path, book: Path = BOOK) -> list[str]:
    """Write the chapters of ``book`` into the zip file ``target``; return the archive's names."""
    names = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in chapter_paths(book):
            name = f"{FOLDER}/{path.relative_to(book).as_posix()}"
            archive.write(path, name)
            names.append(name)
    return names


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/chapters_zip.py ZIP")
    print(f"{len(write_zip(Path(sys.argv[1])))} chapters in {sys.argv[1]}")
