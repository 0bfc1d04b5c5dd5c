"""Progress bars appear where a person watches (a Jupyter server's kernel, a terminal), nowhere else."""

import io

import pytest

from lra_edu import progress
from lra_edu.progress import progress_bar, watched


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def unwatched(monkeypatch):
    """Neither a Jupyter server's kernel nor a terminal (as in the book build); call it in the test.

    (pytest's output capture replaces sys.stderr after fixtures are set up.)
    """

    def apply():
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
        monkeypatch.setattr("sys.stderr", io.StringIO())

    return apply


def test_nobody_watches_the_book_build_or_the_tests(unwatched):
    unwatched()
    assert not watched()
    assert progress_bar(10, "run") is None
    assert progress_bar(10, "run", "auto") is None


def test_a_jupyter_server_kernel_is_watched(unwatched, monkeypatch):
    unwatched()
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/reader/lra-diff.ipynb")
    assert watched()


def test_a_terminal_is_watched(unwatched, monkeypatch):
    unwatched()
    monkeypatch.setattr("sys.stderr", Terminal())
    assert watched()
    bar = progress_bar(3, "run")
    assert bar is not None and bar.delay == progress.DELAY and bar.total == 3
    bar.close()


def test_explicit_choices_win(unwatched, monkeypatch):
    unwatched()
    assert progress_bar(3, "run", False) is None
    bar = progress_bar(3, "run", True)
    assert bar is not None and bar.delay == 0
    bar.close()
    monkeypatch.setattr("sys.stderr", Terminal())
    assert progress_bar(3, "run", False) is None


@pytest.mark.parametrize("bad", ["yes", 1, None, "Auto"])
def test_bad_choice_names_the_valid_ones(bad):
    with pytest.raises(ValueError, match=r"progress=.* valid: True, False, 'auto'"):
        progress_bar(3, "run", bad)


def test_train_shows_a_bar_only_when_watched(digits, unwatched, monkeypatch):
    import sys

    import lra_edu as lra

    def run():
        net = lra.MLP((64, 16, 10), "tanh", "glorot", seed=0)
        lra.train(net, lra.make_algorithm("bp"), digits, "sgd:0.1", epochs=1, splits=("test",))
        return sys.stderr.getvalue()

    unwatched()
    assert run() == ""
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr("sys.stderr", Terminal())
    shown = run()
    assert "%|" in shown and "/" in shown
