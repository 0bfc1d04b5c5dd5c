"""Write the student edition of the book: every chapter notebook without its solution cells.

A cell tagged ``solution`` holds the worked solution of an exercise: a code cell for a
computational question, a markdown cell for a pen-and-paper one. The student edition
replaces each one by a short note, clears all outputs, and keeps everything else,
so a student notebook still runs top to bottom (no other cell may read a variable that
only a solution cell sets; ``tests/test_student.py`` checks it).

    python tools/student_edition.py [OUT]      # default OUT: _build/student
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SOLUTION_TAG = "solution"
NOTE = (
    "> **Your solution goes here.** This is the student edition: the worked solution of the\n"
    "> exercise above is not included. Add code cells below this note and work it out."
)


def chapters() -> list[Path]:
    """Every chapter notebook of the book, in a stable order."""
    return sorted(BOOK.rglob("*.ipynb"))


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """True for a cell tagged as an exercise's worked solution."""
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with each solution cell replaced by a note and all outputs cleared."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if is_solution(cell):
            note = nbformat.v4.new_markdown_cell(NOTE)
            note["id"] = f"{cell.get('id', 'solution')}-note"[:64]
            cells.append(note)
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    return out


def write_student_edition(out_dir: Path) -> list[Path]:
    """Write the student copy of every chapter under ``out_dir`` (paths as under ``book/``)."""
    written = []
    for path in chapters():
        target = out_dir / path.relative_to(BOOK)
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = student_notebook(nbformat.read(path, as_version=4))
        tmp = target.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        tmp.replace(target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    """Command line: write the edition to ``argv[0]`` (default ``_build/student``)."""
    if len(argv) > 1:
        print("usage: python tools/student_edition.py [OUT]", file=sys.stderr)
        return 2
    out_dir = Path(argv[0]) if argv else ROOT / "_build" / "student"
    written = write_student_edition(out_dir)
    removed = sum(
        is_solution(c) for p in chapters() for c in nbformat.read(p, as_version=4).cells
    )
    print(f"student edition: {len(written)} notebooks, {removed} solution cells removed, in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
