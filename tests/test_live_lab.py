"""The chapters in JupyterLab, in a real browser, with a live kernel.

A JupyterLab server on loopback (a free port, a token, no browser of its own) serves a
copy of ``book/`` (so the front end's autosave never writes into the repository);
headless Chromium opens each chapter that has live controls, runs its cells up to and
including the control panel, then moves every control of the panel. Each move must make
the kernel rerun the experiment (the panel's status line names the new settings; the
static book's precomputed figures say something else) and replace the figure; no cell
may show an error. The seconds each control takes to answer are printed in the test
summary. A progress bar must render as a widget (not text) while a chapter trains.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser import start_chromium, unavailable, wait_until

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb")) + sorted((BOOK / "experiments").glob("*.ipynb"))

# Every chapter with live controls, and the controls (by their label) its panel must show.
LIVE_CONTROLS = {
    "lra-diff": ("K", "β"),
    "lra-fdbk": ("σ_E",),
    "discrete-units": ("unit",),
    "lra-e": ("β", "γ"),
    "initialization": ("init std", "algorithm"),
    "target-propagation": ("alpha", "depth"),
}
PANEL_CALL = "explore("
SERVER_START_S = 120
CELLS_S = 900  # all cells up to the panel, on a loaded 2-core machine
ANSWER_S = 180  # one control's rerun

# How JupyterLab shows a Python error: the traceback, or its last line ("ZeroDivisionError: ...").
ERROR = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception): ", re.MULTILINE)
PROGRESS = ".jp-OutputArea .widget-hprogress .progress-bar"
STATUS = ".lra-status"


def panel_cell_index(path: Path) -> int:
    """Index of the (last) code cell that builds a chapter's control panel."""
    cells = nbformat.read(path, as_version=4).cells
    found = [i for i, c in enumerate(cells) if c.cell_type == "code" and PANEL_CALL in c.source]
    if not found:
        raise AssertionError(f"{path.name}: no {PANEL_CALL} cell")
    return found[-1]


def test_every_chapter_names_the_python3_kernel():
    """Without a kernelspec, JupyterLab stops at a "Select Kernel" dialog."""
    assert CHAPTERS
    for path in CHAPTERS:
        spec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
        assert spec.get("name") == "python3", f"{path.relative_to(ROOT)}: kernelspec {spec!r}"
        assert spec.get("display_name") == "Python 3", f"{path.relative_to(ROOT)}: kernelspec {spec!r}"


def test_every_live_chapter_is_tested():
    with_panels = {p.stem for p in CHAPTERS if PANEL_CALL in p.read_text(encoding="utf-8")}
    assert with_panels == set(LIVE_CONTROLS)


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path
    root: Path

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API; return the decoded JSON (or None)."""
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Shut every kernel down through the API (the server waits for them)."""
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab serving a copy of book/ on 127.0.0.1; always stopped (by PID) afterwards."""
    if importlib.util.find_spec("jupyterlab") is None:
        unavailable("JupyterLab is not installed (make setup, or pip install -e '.[lab,test]')")
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    shutil.copytree(BOOK, root / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # kernels draw inline
    env.setdefault("LRA_EDU_RESULTS", str(ROOT / "results"))
    for name in ("CONFIG", "RUNTIME"):  # nothing from ~/.jupyter in, nothing out
        env[f"JUPYTER_{name}_DIR"] = str(home / name.lower())
    for name in ("SETTINGS", "WORKSPACES"):
        env[f"JUPYTERLAB_{name}_DIR"] = str(home / name.lower())
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = home / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = Lab(f"http://127.0.0.1:{port}", token, process, log, root)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "status")
            except OSError:
                return False
            return True

        assert wait_until(ready, timeout=SERVER_START_S, interval=0.5), f"no server:\n{server.log_tail()}"
        yield server
    finally:
        try:
            if process.poll() is None:
                server.shut_down_kernels()
                server.api("POST", "shutdown")
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()  # the server can hang on SIGTERM; its kernels are shut down already
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """A headless Chromium of this module's own (a JupyterLab page can hold a beforeunload prompt)."""
    chromium = start_chromium(width=1400, height=1000)
    try:
        yield chromium
    finally:
        chromium.quit()


def find(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def text_of(driver: Any, css: str) -> list[str]:
    """The text content of every element matching ``css`` (one script call, no stale elements)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)", css
    )


def error_outputs(driver: Any) -> list[str]:
    """Output areas of the open notebook that show a Python error."""
    return [
        t[-1500:]
        for t in text_of(driver, ".jp-NotebookPanel .jp-OutputArea-output")
        if ERROR.search(t)
    ]


def panel_state(driver: Any) -> tuple[str, str]:
    """The control panel's status line and the source of its current figure."""
    return driver.execute_script(
        """
        const status = document.querySelector(arguments[0]);
        if (!status) return ["", ""];
        const panel = status.closest('.widget-vbox') || status.parentElement;
        const img = panel.querySelector('.widget-output img, .jp-OutputArea-output img');
        return [status.textContent.trim(), img ? img.getAttribute('src') : ""];
        """,
        STATUS,
    )


def controls(driver: Any) -> list[dict[str, Any]]:
    """The panel's controls: label, kind and the option a move will pick."""
    return driver.execute_script(
        """
        const status = document.querySelector(arguments[0]);
        const panel = status.closest('.widget-vbox');
        const found = [];
        const kinds = '.widget-slider, .widget-dropdown, .widget-toggle-buttons';
        for (const box of panel.querySelectorAll(kinds)) {
          const label = box.querySelector('.widget-label').textContent.trim();
          if (box.classList.contains('widget-dropdown')) {
            const select = box.querySelector('select');
            const next = (select.selectedIndex + 1) % select.options.length;
            found.push({label, kind: 'dropdown', next, option: select.options[next].text});
          } else if (box.classList.contains('widget-slider')) {
            const handle = box.querySelector('.noUi-handle');
            const now = Number(handle.getAttribute('aria-valuenow'));
            const max = Number(handle.getAttribute('aria-valuemax'));
            found.push({label, kind: 'slider', right: now < max, option: null});
          } else {
            const buttons = Array.from(box.querySelectorAll('button'));
            const active = buttons.findIndex(b => b.classList.contains('mod-active'));
            const next = (active + 1) % buttons.length;
            found.push({label, kind: 'toggle', next, option: buttons[next].textContent.trim()});
          }
        }
        return found;
        """,
        STATUS,
    )


def control_element(driver: Any, label: str) -> Any:
    """The panel's control box labelled ``label``."""
    box = driver.execute_script(
        """
        const panel = document.querySelector(arguments[0]).closest('.widget-vbox');
        for (const box of panel.querySelectorAll('.widget-slider, .widget-dropdown, .widget-toggle-buttons'))
          if (box.querySelector('.widget-label').textContent.trim() === arguments[1]) return box;
        return null;
        """,
        STATUS,
        label,
    )
    assert box is not None, f"control {label!r} not found in the panel"
    return box


def move(driver: Any, control: dict[str, Any]) -> None:
    """Move ``control`` one option on, as a reader would (arrow key, select, click)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    box = control_element(driver, control["label"])
    if control["kind"] == "dropdown":
        Select(box.find_element(By.TAG_NAME, "select")).select_by_index(control["next"])
    elif control["kind"] == "slider":
        handle = box.find_element(By.CSS_SELECTOR, ".noUi-handle")
        handle.click()
        handle.send_keys(Keys.ARROW_RIGHT if control["right"] else Keys.ARROW_LEFT)
    else:
        box.find_elements(By.TAG_NAME, "button")[control["next"]].click()


def slider_readout(driver: Any, label: str) -> str:
    """The option a slider shows now (its readout)."""
    return driver.execute_script(
        """
        const panel = document.querySelector(arguments[0]).closest('.widget-vbox');
        for (const box of panel.querySelectorAll('.widget-slider')) {
          if (box.querySelector('.widget-label').textContent.trim() === arguments[1])
            return box.querySelector('.widget-readout').textContent.trim();
        }
        return null;
        """,
        STATUS,
        label,
    )


def open_notebook(lab: Lab, driver: Any, path: str) -> float:
    """Open ``path`` (relative to the server's root) and wait for its running kernel; return the seconds."""
    lab.shut_down_kernels()  # those of an earlier test that failed
    start = time.perf_counter()
    driver.get(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")

    def kernel_ready() -> bool:
        try:
            kernels = lab.api("GET", "kernels")
        except OSError:  # the server can answer 500 while a kernel is still starting
            return False
        indicator = '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]'
        return bool(kernels) and kernels[0]["execution_state"] == "idle" and bool(find(driver, indicator))

    ready = wait_until(kernel_ready, timeout=SERVER_START_S, interval=0.5)
    dialogs = text_of(driver, ".jp-Dialog")
    assert not dialogs, f"{path}: a dialog instead of a kernel: {dialogs}"
    assert ready, f"{path}: no kernel started:\n{lab.log_tail()}"
    kernels = lab.api("GET", "kernels")
    assert [k["name"] for k in kernels] == ["python3"], kernels
    return time.perf_counter() - start


def run_cells(driver: Any, count: int) -> None:
    """Select the first cell and press Shift+Enter ``count`` times, as a reader would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    first = find(driver, ".jp-NotebookPanel .jp-Cell .jp-InputPrompt")[0]
    first.click()
    actions = ActionChains(driver)
    for _ in range(count):
        actions.key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT)
    actions.perform()


@pytest.mark.parametrize("chapter", list(LIVE_CONTROLS))
def test_live_controls_rerun_the_kernel(lab, driver, chapter, record_property):
    path = BOOK / f"{chapter}.ipynb"
    count = panel_cell_index(path) + 1
    opened = open_notebook(lab, driver, f"book/{path.name}")

    run_cells(driver, count)
    start = time.perf_counter()
    seen_progress = False

    def panel_ready() -> bool:
        nonlocal seen_progress
        seen_progress = seen_progress or bool(find(driver, PROGRESS))
        errors = error_outputs(driver)
        assert not errors, f"{chapter}: a cell shows an error:\n{errors[0]}"
        status, image = panel_state(driver)
        return status.startswith("ran ") and bool(image)

    assert wait_until(panel_ready, timeout=CELLS_S, interval=0.5), f"{chapter}: the panel never showed a run"
    cells_seconds = time.perf_counter() - start
    found = controls(driver)
    assert sorted(c["label"] for c in found) == sorted(LIVE_CONTROLS[chapter]), found

    timings = [answer(driver, chapter, control) for control in found]
    assert not error_outputs(driver)
    summary = f"{chapter}: kernel ready in {opened:.1f} s; {count} cells ran in {cells_seconds:.1f} s"
    record_property("live_lab", [f"{summary} (progress bar seen: {seen_progress})", *timings])
    lab.shut_down_kernels()


def answer(driver: Any, chapter: str, control: dict[str, Any]) -> str:
    """Move ``control``; check that the kernel reran and the figure changed; say how long it took."""
    before_status, before_image = panel_state(driver)
    start = time.perf_counter()
    move(driver, control)
    option = control["option"] or slider_readout(driver, control["label"])
    expected = f"{control['label']} = {option}".replace("\xa0", " ")  # a dropdown's labels keep nbsp

    def answered() -> bool:
        errors = error_outputs(driver)
        assert not errors, f"{chapter}, {control['label']}: the rerun shows an error:\n{errors[0]}"
        status, image = panel_state(driver)
        return status.startswith("ran ") and expected in status and status != before_status and bool(image)

    assert wait_until(answered, timeout=ANSWER_S, interval=0.05), (
        f"{chapter}: moving {control['label']} to {option} did not rerun the kernel "
        f"(status {panel_state(driver)[0]!r}, expected {expected!r})"
    )
    seconds = time.perf_counter() - start
    status, image = panel_state(driver)
    assert image != before_image, f"{chapter}: moving {control['label']} did not change the figure"
    reported = re.search(r" in ([0-9.]+) s", status)
    run = reported.group(1) if reported else "?"
    return f"{chapter}: {expected}: answered in {seconds:.1f} s (the run itself: {run} s)"


PROBE = """\
import lra_edu as lra

data = lra.load_dataset("digits")
net = lra.MLP((64, 256, 256, 10), "tanh", "glorot", seed=0)
history = lra.train(net, lra.make_algorithm("bp"), data, "sgd:0.05", epochs=40)
print("trained:", len(history.records) - 1, "epochs")
"""


def test_training_shows_a_progress_bar_widget(lab, driver, record_property):
    """lra_edu.train in a JupyterLab kernel draws an ipywidgets bar while it runs, not text."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(PROBE)]
    nbformat.write(notebook, lab.root / "progress.ipynb")
    open_notebook(lab, driver, "progress.ipynb")
    run_cells(driver, 1)
    start = time.perf_counter()
    seen: list[float] = []

    def trained() -> bool:
        if not seen and find(driver, PROGRESS):
            seen.append(time.perf_counter() - start)
        errors = error_outputs(driver)
        assert not errors, errors[0]
        return any("trained: 40 epochs" in t for t in text_of(driver, ".jp-OutputArea-output"))

    assert wait_until(trained, timeout=CELLS_S, interval=0.05), "the training cell never finished"
    assert seen, "no progress bar widget rendered while lra_edu.train ran"
    text_bars = [t for t in text_of(driver, '.jp-OutputArea-output[data-mime-type*="stderr"]') if "%|" in t]
    assert not text_bars, f"a text progress bar instead of a widget: {text_bars[0][:300]}"
    record_property("live_lab", [f"progress: lra_edu.train showed its bar widget after {seen[0]:.1f} s"])
    lab.shut_down_kernels()
