"""The experiment runner with other processes around: run locks, damaged results, Ctrl-C and kill."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lra_edu.cli import main
from lra_edu.experiments import get_experiment, run_experiment
from lra_edu.experiments.runner import RunLock, result_problem

ROWS, COLUMNS, SEEDS = ["BP", "FA", "DFA"], ["tanh .05"], [0, 1]
#: Six quick-scale runs of E2 on the bundled digits (about a second each on an idle CPU).
ARGS = ["E2", "--dataset", "digits", "--rows", ",".join(ROWS), "--columns", *COLUMNS, "--seeds", "0,1"]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
MESSAGE = "interrupted; rerun the same command to resume"


def results(out):
    """Every result under ``out`` by file name, without its timings."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "seconds"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return {p.name: strip(json.loads(p.read_text())) for p in Path(out).rglob("*.json")}


def leftovers(out):
    """Files other than results (locks, checkpoints, temporary files)."""
    return sorted(p.name for p in Path(out).rglob("*") if p.is_file() and p.suffix != ".json")


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory):
    """A results folder with the six results as one process writes them."""
    out = tmp_path_factory.mktemp("reference")
    run_experiment(
        get_experiment("E2"), "quick", "digits", SEEDS, out, progress=False, rows=ROWS, columns=COLUMNS
    )
    return out


@pytest.fixture(scope="module")
def reference(reference_out):
    """The six results of one process, without timings."""
    stored = results(reference_out)
    assert len(stored) == 6
    return stored


@contextlib.contextmanager
def default_sigint():
    """Children started here get Python's Ctrl-C handling even if this process ignores SIGINT."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def lra_edu_run(out, *extra):
    with default_sigint():
        return subprocess.Popen(
            [sys.executable, "-m", "lra_edu", "run", *ARGS, "--out", str(out), *extra],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def trained_now(stdout):
    return int(re.search(r"\((\d+) trained now\)", stdout).group(1))


def children(pid):
    """PIDs of the processes whose parent is ``pid``."""
    kids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                kids.append(int(entry.name))
        except (OSError, IndexError):
            pass
    return kids


def test_two_processes_share_one_out_and_train_each_run_once(tmp_path, reference):
    a, b = lra_edu_run(tmp_path), lra_edu_run(tmp_path)
    outputs = [p.communicate(timeout=600) for p in (a, b)]
    for p, (_, stderr) in zip((a, b), outputs):
        assert p.returncode == 0, stderr
        assert "Traceback" not in stderr
    counts = [trained_now(stdout) for stdout, _ in outputs]
    assert min(counts) >= 1 and sum(counts) == 6, counts  # each trained some, no run twice
    assert results(tmp_path) == reference
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("workers, stop", [("1", signal.SIGINT), ("2", signal.SIGINT), ("2", signal.SIGTERM)])
def test_ctrl_c_or_kill_stops_at_once_and_the_rerun_resumes(tmp_path, reference, workers, stop):
    p = lra_edu_run(tmp_path, "--workers", workers)
    while not list(tmp_path.rglob("*.json")):
        assert p.poll() is None, p.communicate()
        time.sleep(0.05)
    finished = {q.name: q.read_bytes() for q in tmp_path.rglob("*.json")}
    assert len(finished) < 6
    kids = children(p.pid)
    start = time.monotonic()
    p.send_signal(stop)
    stdout, stderr = p.communicate(timeout=60)
    assert time.monotonic() - start < 10
    assert p.returncode == 130 and stdout == "", stderr
    assert "Traceback" not in stderr and stderr.splitlines().count(MESSAGE) == 1
    assert [line for line in stderr.splitlines() if "interrupted" in line] == [MESSAGE]
    assert {q.name: q.read_bytes() for q in tmp_path.rglob("*.json") if q.name in finished} == finished
    assert not list(tmp_path.rglob("*.lock")) and not list(tmp_path.rglob("*.tmp"))
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{k}").exists() for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [k for k in kids if Path(f"/proc/{k}").exists()]

    assert main(["run", *ARGS, "--out", str(tmp_path), "--workers", workers]) == 0
    assert results(tmp_path) == reference
    assert leftovers(tmp_path) == []


DAMAGE = {
    "truncated": lambda r, text: text[: len(text) // 2],
    "empty": lambda r, text: "",
    "not-utf8": lambda r, text: "\udcff",
    "list": lambda r, text: "[]",
    "no-best": lambda r, text: json.dumps({k: v for k, v in r.items() if k != "best"}),
    "status": lambda r, text: json.dumps({**r, "status": "fine"}),
    "seed-type": lambda r, text: json.dumps({**r, "seed": "0"}),
    "other-seed": lambda r, text: json.dumps({**r, "seed": 7}),
    "error-type": lambda r, text: json.dumps({**r, "final": {"test_error": "1%"}}),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_result_problem_names_every_kind_of_damage(tmp_path, reference_out, damage):
    (original,) = reference_out.rglob("*-BP-*-seed0.json")
    identity = {"experiment": "init-robustness", "scale": "quick", "dataset": "digits", "seed": 0}
    assert result_problem(original, identity) is None
    text = original.read_text()
    path = tmp_path / original.name
    path.write_text(damage(json.loads(text), text), errors="surrogateescape")
    problem = result_problem(path, identity)
    assert isinstance(problem, str) and problem and "\n" not in problem
    assert result_problem(tmp_path / "missing.json", identity) == "no result"


def test_a_truncated_result_is_named_on_stderr_and_trained_again(tmp_path, reference_out, reference, capsys):
    (original,) = reference_out.rglob("*-BP-*-seed0.json")
    path = tmp_path / original.relative_to(reference_out)
    path.parent.mkdir(parents=True)
    path.write_text(original.read_text()[:100])
    trained = []
    paths = run_experiment(
        get_experiment("E2"),
        "quick",
        "digits",
        [0],
        tmp_path,
        False,
        rows=["BP"],
        columns=COLUMNS,
        on_result=trained.append,
    )
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"{path}: damaged result (not valid JSON")
    assert err[0].endswith("training the run again")
    assert paths == trained == [path] and results(tmp_path) == {path.name: reference[path.name]}
    assert leftovers(tmp_path) == []


def test_a_run_lock_excludes_others_until_released_and_dies_with_its_holder(tmp_path):
    path = tmp_path / "r-seed0.lock"
    lock = RunLock.try_acquire(path)
    assert lock is not None and f"pid {os.getpid()} on " in path.read_text()
    assert RunLock.try_acquire(path) is None
    lock.release()
    assert not path.exists()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from lra_edu.experiments.runner import RunLock; "
            "lock = RunLock.try_acquire(Path(sys.argv[1])); print(lock is not None, flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "True"
    assert RunLock.try_acquire(path) is None
    holder.kill()  # no cleanup at all: the kernel drops its lock
    holder.wait()
    assert path.exists()
    lock = RunLock.try_acquire(path)
    assert lock is not None
    lock.release()


def test_a_run_another_process_trains_is_skipped_and_waited_for(tmp_path, reference, capsys):
    e2 = get_experiment("E2")
    runs = {r.run_id: r for r in e2.runs("quick") if r.cell[1] in ("BP", "FA") and r.cell[2] in COLUMNS}
    (fa,) = [name for name in reference if "-FA-" in name and name.endswith("-seed0.json")]
    fa_path = tmp_path / "init-robustness" / "quick" / "digits" / fa
    lock = RunLock.try_acquire(fa_path.with_suffix(".lock"))

    def other_process_finishes():
        while not list(tmp_path.rglob("*-BP-*.json")):
            time.sleep(0.05)
        time.sleep(1.0)  # meanwhile the sweep finds nothing else to do and waits
        fa_path.write_text(json.dumps({**reference[fa], "seconds": 1.0}))
        lock.release()

    trained = []
    finisher = threading.Thread(target=other_process_finishes)
    finisher.start()
    paths = run_experiment(
        e2,
        "quick",
        "digits",
        [0],
        tmp_path,
        False,
        rows=["BP", "FA"],
        columns=COLUMNS,
        on_result=trained.append,
    )
    finisher.join()
    assert len(runs) == 2 and len(paths) == 2 and all(p.exists() for p in paths)
    assert trained == [p for p in paths if p != fa_path]
    err = capsys.readouterr().err
    assert f"waiting for 1 run(s) that pid {os.getpid()} on " in err and fa_path.stem in err
    assert leftovers(tmp_path) == []
