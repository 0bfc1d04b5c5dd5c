"""Execute every chapter of the book in parallel kernels and fill the build's notebook cache.

``make book`` runs this before ``jupyter-book build``: the cache is emptied, every chapter
notebook listed in ``_toc.yml`` is executed afresh (``--jobs`` kernels at a time, in the
chapter's own folder, with the book's timeout), and each notebook that ran without error
is stored in the jupyter-cache folder that the build reads (``execute_notebooks: cache``).
The build then renders the stored outputs. A chapter that fails is not stored: the build
executes it again itself and reports the error as it always does, so a failure is never
hidden, and no output older than this run can reach the pages.

Usage: ``python tools/execute_chapters.py [--jobs N] [--cache _build/.jupyter_cache]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parent.parent


def toc_pages(toc: Path) -> list[str]:
    """The pages of a Jupyter Book ``_toc.yml`` (``book/lra-diff`` …), in reading order."""
    spec = yaml.safe_load(toc.read_text(encoding="utf-8"))
    pages = [spec["root"]]
    for part in spec.get("parts", []):
        for chapter in part.get("chapters", []):
            pages.append(chapter["file"])
            pages.extend(section["file"] for section in chapter.get("sections", []))
    return pages


def chapters(toc: Path) -> list[Path]:
    """The chapter notebooks among the pages of ``toc``, in reading order."""
    paths = [ROOT / f"{page}.ipynb" for page in toc_pages(toc)]
    return [p for p in paths if p.exists()]


def execute(path: str, timeout: int) -> tuple[str, str, float, str | None]:
    """Run one notebook in its own folder; return (path, executed JSON, seconds, error)."""
    nb = nbformat.read(path, as_version=4)
    folder = str(Path(path).parent)
    result = single_nb_execution(nb, cwd=folder, allow_errors=False, timeout=timeout, meta_override=True)
    error = None if result.err is None else f"{type(result.err).__name__}: {result.err}".splitlines()[0]
    return path, nbformat.writes(nb), result.time, error


def fill_cache(notebooks: list[Path], cache_dir: Path, jobs: int, timeout: int) -> list[Path]:
    """Execute ``notebooks`` afresh, ``jobs`` at a time, into an emptied cache; return the failed ones."""
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache = get_cache(str(cache_dir))
    failed = []
    with ProcessPoolExecutor(jobs) as pool:
        futures = [pool.submit(execute, str(p), timeout) for p in notebooks]
        for done, future in enumerate(as_completed(futures), 1):
            path, text, seconds, error = future.result()
            if error is not None:
                failed.append(Path(path))
                print(f"[{done}/{len(notebooks)}] {path}: FAILED after {seconds:.1f} s ({error})", flush=True)
                continue
            record = cache.add_nb_to_project(path)
            executed = nbformat.reads(text, as_version=4)
            cache.cache_notebook_bundle(
                CacheBundleIn(executed, record.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            print(f"[{done}/{len(notebooks)}] {path}: executed in {seconds:.1f} s", flush=True)
    return failed


def main(argv: list[str] | None = None) -> int:
    """Execute the book's chapters and store the successful ones in the build's cache."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="kernels at a time (default 2)")
    parser.add_argument("--cache", default="_build/.jupyter_cache", help="the build's jupyter-cache folder")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be a positive integer, not {args.jobs}")
    timeout = int(yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["timeout"])
    todo = chapters(ROOT / "_toc.yml")
    start = time.perf_counter()
    failed = fill_cache(todo, Path(args.cache), args.jobs, timeout)
    seconds = time.perf_counter() - start
    summary = f"{len(todo) - len(failed)} of {len(todo)} chapters executed in {seconds:.0f} s"
    if failed:
        summary += f"; the book build reruns and reports the failed: {', '.join(map(str, failed))}"
    print(f"{summary} ({args.jobs} kernels at a time)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
