"""The student edition: solution cells removed, a note in their place, and the notebooks still run."""

import ast
import builtins
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("student_edition", ROOT / "tools" / "student_edition.py")
student_edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student_edition)

FRONT_MATTER = ("intro", "notation", "reading-guide")
CONCEPT_CHAPTERS = [
    p for p in student_edition.chapters() if p.parent.name == "book" and p.stem not in FRONT_MATTER
]


def _names(source: str) -> tuple[set[str], set[str]]:
    """Names a code cell binds and names it reads (IPython magics skipped)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    stores, loads = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in node.names)
    return stores, loads


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return out, student_edition.write_student_edition(out)


def test_every_chapter_is_copied_without_solutions(edition):
    out, written = edition
    assert len(written) == len(student_edition.chapters()) >= 20
    for source in student_edition.chapters():
        full = nbformat.read(source, as_version=4)
        student = nbformat.read(out / source.relative_to(student_edition.BOOK), as_version=4)
        n_solutions = sum(student_edition.is_solution(c) for c in full.cells)
        assert not any(student_edition.is_solution(c) for c in student.cells), source.name
        assert sum(c.source == student_edition.NOTE for c in student.cells) == n_solutions, source.name
        assert len(student.cells) == len(full.cells)
        assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
        nbformat.validate(student)


def test_every_chapter_with_an_exercise_has_a_tagged_solution():
    for path in student_edition.chapters():
        nb = nbformat.read(path, as_version=4)
        if any(c.cell_type == "markdown" and "## Exercise" in c.source for c in nb.cells):
            assert any(student_edition.is_solution(c) for c in nb.cells), path.name


def test_concept_chapters_have_a_pen_and_paper_question_with_a_worked_solution():
    assert len(CONCEPT_CHAPTERS) >= 10
    for path in CONCEPT_CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "(pen and paper)" in text, path.name
        assert "Worked solution" in text, path.name
        solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        assert any(c.cell_type == "markdown" for c in solutions), path.name


def test_no_cell_reads_a_name_that_only_a_solution_sets():
    # What makes the student notebooks run top to bottom, checked for every chapter.
    for path in student_edition.chapters():
        nb = nbformat.read(path, as_version=4)
        defined = set(dir(builtins)) | {"display", "get_ipython"}
        only_in_solutions: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            stores, loads = _names(cell.source)
            if "solution" in cell.metadata.get("tags", []):
                only_in_solutions |= stores - defined
                continue
            missing = (loads - stores - defined) & only_in_solutions
            assert not missing, (path.name, cell.get("id"), sorted(missing))
            defined |= stores


def test_markdown_solutions_are_removed_too(edition):
    out, _ = edition
    for path in CONCEPT_CHAPTERS:
        student = nbformat.read(out / path.relative_to(student_edition.BOOK), as_version=4)
        assert not any("Worked solution" in c.source for c in student.cells), path.name


@pytest.mark.parametrize("chapter", ["intro.ipynb", "backprop-as-targetprop.ipynb", "reading-guide.ipynb"])
def test_student_notebook_runs_top_to_bottom(edition, chapter, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    out, _ = edition
    nb = nbformat.read(out / chapter, as_version=4)
    resources = {"metadata": {"path": str(out)}}
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources)
    client.execute()
    checks = [c for c in nb.cells if c.cell_type == "code" and "all checks passed" in c.source]
    assert checks and "all checks passed" in "".join(o.get("text", "") for o in checks[-1].outputs)
