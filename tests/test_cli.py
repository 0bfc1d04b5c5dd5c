"""The lra-edu command line: lemma, train, bench, and clear errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from lra_edu.cli import main


def test_lemma_json(capsys):
    assert main(["lemma", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["worst_rel_diff"] < 1e-9 and len(out["nets"]) == 25


def test_train_json_on_digits(capsys):
    code = main(
        [
            "train",
            "--algorithm",
            "bp",
            "--dataset",
            "digits",
            "--hidden",
            "32",
            "--epochs",
            "2",
            "--optimizer",
            "sgd:0.1",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sizes"] == [64, 32, 10]
    assert len(out["history"]) == 3
    assert out["final"]["test_error"] < 50
    assert set(out["best_valid"]) == {"epoch", "train_error", "valid_error", "test_error"}
    assert out["seconds"] > 0


def test_train_text_summary(capsys):
    assert main(["train", "--algorithm", "bp", "--dataset", "digits", "--hidden", "8", "--epochs", "1"]) == 0
    assert "best valid (epoch 1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--algorithm", "nope"], "valid algorithms: bp"),
        (["--dataset", "nope"], "valid datasets"),
        (["--activation", "nope"], "unknown unit"),
        (["--init", "nope"], "unknown initializer"),
        (["--optimizer", "sgd:-1"], "positive"),
        (["--K", "0"], "bp does not take K"),
        (["--set", "oops"], "KEY=VALUE"),
    ],
)
def test_bad_values_exit_2_with_a_message(capsys, args, message):
    base = {"--algorithm": "bp", "--dataset": "digits"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = ["train", *[x for kv in base.items() for x in kv], "--epochs", "0"]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--algorithm", "bp"],
        ["train", "--algorithm", "bp", "--dataset", "digits", "--hidden", "a,b"],
        ["train", "--algorithm", "bp", "--dataset", "digits", "--epochs", "-1"],
        ["frobnicate"],
    ],
)
def test_argparse_errors_exit_2(args):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2


def test_python_dash_m_and_bench():
    out = subprocess.run(
        [sys.executable, "-m", "lra_edu", "bench", "--json", "--seconds", "0.2"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["network"] == "784-256-256-256-10 tanh" and result["batch"] == 50
    for key in ("bp_vs_torch", "lra_fdbk_vs_bp", "matmul_fraction", "ensemble16_speedup", "peak_memory_mb"):
        assert key in result
    assert result["samples_per_s"]["bp"] > 0 and 0 < result["matmul_fraction"]


def test_report_and_run_errors(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "# Reproduction report" in out and "not run / 13.27" in out
    assert (tmp_path / "report.md").exists() and (tmp_path / "report.json").exists()
    assert main(["run", "E42", "--out", str(tmp_path)]) == 2
    assert "valid experiments" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "E2", "--seeds", "0,0"])
    assert main(["run", "E7", "--rows", "Backprop,Nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown rows ['Nope'] for depth-sweep" in err and "DTP-σ" in err
    with pytest.raises(SystemExit):
        main(["run", "E7", "--columns", ","])


def test_run_only_selected_rows_and_columns(tmp_path, capsys):
    args = [
        "run",
        "E7",
        "--dataset",
        "fashion-mnist",
        "--out",
        str(tmp_path),
        "--rows",
        "Backprop,DFA",
        "--columns",
        "3",
    ]
    assert main(args) == 0
    stored = sorted(p.name.split("-")[2] + "/" + p.name.split("-")[3] for p in tmp_path.rglob("*.json"))
    assert stored == ["Backprop/3", "DFA/3"]
    assert not list(tmp_path.rglob("*.ckpt*"))
