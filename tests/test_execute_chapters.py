"""tools/execute_chapters.py: the book's chapters executed in parallel into the build's cache."""

import re
from pathlib import Path

import execute_chapters
import nbformat
import pytest
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent


def test_every_notebook_of_the_toc_is_executed_in_reading_order():
    names = re.findall(r"^\s*(?:root|- file):\s*(\S+)\s*$", (ROOT / "_toc.yml").read_text(), re.M)
    expected = [ROOT / f"{n}.ipynb" for n in names if (ROOT / f"{n}.ipynb").exists()]
    found = execute_chapters.chapters(ROOT / "_toc.yml")
    assert found == expected
    assert ROOT / "book" / "experiments" / "report.ipynb" in found and len(found) >= 20


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.integration
def test_only_notebooks_that_ran_cleanly_are_cached_and_the_cache_starts_empty(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "from pathlib import Path\nprint(Path.cwd().name)")
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('broken chapter')")
    cache_dir = tmp_path / "cache"
    stale = _notebook(tmp_path / "stale.ipynb", "1 + 1")
    execute_chapters.fill_cache([stale], cache_dir, jobs=1, timeout=60)
    assert get_cache(str(cache_dir)).match_cache_notebook(nbformat.read(stale, 4))

    failed = execute_chapters.fill_cache([good, bad], cache_dir, jobs=2, timeout=60)

    assert failed == [bad]
    cache = get_cache(str(cache_dir))
    record = cache.match_cache_notebook(nbformat.read(good, 4))
    _, merged = cache.merge_match_into_notebook(nbformat.read(good, 4))
    assert record is not None
    assert merged.cells[0].outputs[0]["text"].strip() == tmp_path.name  # ran in the notebook's own folder
    for gone in (bad, stale):
        with pytest.raises(KeyError):
            cache.match_cache_notebook(nbformat.read(gone, 4))
