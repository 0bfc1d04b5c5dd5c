"""A reader without a clone: the site's wheel and chapter zip are enough to run a chapter.

``make downloads`` (what ``make book`` runs after the build) writes the wheel and the zip
into a temporary folder; the test copies them into an empty folder, installs the wheel
(``--no-deps``) into a fresh virtual environment, unzips the chapters and executes a
digits chapter top to bottom there, far from the repository, as the intro tells a reader;
and the reproduction report, which must say that no stored results are there.
The new environment borrows the test environment's packages (NumPy, scikit-learn,
nbconvert, ...) through a ``.pth`` line, which does not run that environment's own ``.pth``
files, so the repository's editable ``lra_edu`` stays out of sight.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

import lra_edu

ROOT = Path(__file__).resolve().parents[1]
WHEEL = f"lra_edu-{lra_edu.__version__}-py3-none-any.whl"
ZIP = "lra_edu-chapters.zip"
FOLDER = "lra_edu-chapters"
DIGITS_CHAPTER = "intro.ipynb"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    """The folder ``make downloads`` fills, as ``make book`` does for the site."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    out = tmp_path_factory.mktemp("downloads")
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [make, "--no-print-directory", "-C", str(ROOT), "downloads", f"DOWNLOADS={out}", f"BIN={bin_dir}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_downloads_hold_the_wheel_and_every_chapter(downloads):
    assert sorted(p.name for p in downloads.iterdir()) == sorted([WHEEL, ZIP])
    chapters = sorted(p.relative_to(ROOT / "book").as_posix() for p in (ROOT / "book").rglob("*.ipynb")
                      if ".ipynb_checkpoints" not in p.parts)
    with zipfile.ZipFile(downloads / ZIP) as archive:
        assert archive.namelist() == [f"{FOLDER}/{c}" for c in chapters]
    with zipfile.ZipFile(downloads / WHEEL) as wheel:
        names = wheel.namelist()
    assert "lra_edu/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "book/", "results/"))], names


def test_intro_links_the_downloads():
    """The intro's "Run this chapter on your machine" names the files make book writes."""
    intro = nbformat.read(ROOT / "book" / "intro.ipynb", as_version=4)
    (section,) = [c.source for c in intro.cells if c.source.startswith("## Run this chapter on your machine")]
    links = re.findall(r'href="([^"]+)"', section)
    assert links == [f"../downloads/{WHEEL}", f"../downloads/{ZIP}"]
    assert f'pip install "./{WHEEL}[lab]"' in section
    assert f"jupyter lab {FOLDER}/intro.ipynb" in section


def reader_environment(home: Path, wheel: Path) -> Path:
    """A fresh virtual environment with the wheel installed; return its Python."""
    env = home / "env"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env)], check=True
    )
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    borrowed = sysconfig.get_paths()["purelib"]
    Path(purelib, "test-dependencies.pth").write_text(borrowed + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(wheel)],
        check=True,
    )
    return python


@pytest.fixture(scope="module")
def reader(downloads, tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """A reader's folder with the two downloads, the wheel installed, the chapters unzipped.

    Returns the chapters' folder, the environment's Python and the environment variables.
    """
    home = tmp_path_factory.mktemp("reader")
    for name in (WHEEL, ZIP):
        shutil.copy(downloads / name, home / name)
    python = reader_environment(home, home / WHEEL)
    with zipfile.ZipFile(home / ZIP) as archive:
        archive.extractall(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LRA_EDU_", "MPLBACKEND", "JUPYTER"))}
    env.update(JUPYTER_DATA_DIR=str(home / "jupyter"), LRA_EDU_DATA=str(home / "data"))
    where = subprocess.run(
        [str(python), "-c", "import lra_edu; print(lra_edu.__file__)"],
        cwd=home / FOLDER, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(home / "env"), f"lra_edu imported from {where}, not from the wheel"
    return home / FOLDER, python, env


def execute(reader: tuple[Path, Path, dict[str, str]], chapter: str) -> str:
    """Run ``chapter`` top to bottom in the reader's folder; return the text of its outputs."""
    chapters, python, env = reader
    path = chapters / chapter
    done = subprocess.run(
        [str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600",
         "--output", f"{path.stem}-run.ipynb", path.name],
        cwd=path.parent, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    executed = json.loads((path.parent / f"{path.stem}-run.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    return "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", "")) for o in outputs
    )


def test_a_digits_chapter_runs_from_the_downloads_alone(reader):
    assert "all checks passed" in execute(reader, DIGITS_CHAPTER)


def test_without_stored_results_the_report_says_so(reader):
    """No results/ beside the downloaded chapters: the report runs and says they are missing."""
    text = execute(reader, "experiments/report.ipynb")
    assert "does not exist yet" in text and "not run here" in text
    assert "all checks passed" in text
