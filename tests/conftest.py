"""Shared test settings and fixtures: hypothesis profile sized for a 2-core CI machine, figures closed."""

import os
import sys
from pathlib import Path

import matplotlib
import pytest
from browser import browser  # noqa: F401  (the shared headless-Chromium fixture)
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")
# The book's build tools (tools/*.py) are imported by name, as their worker processes need.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import matplotlib.pyplot as plt

from lra_edu.datasets import Dataset, load_dataset

settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Suites that run the command line or other processes, whole experiment grids, the built
# book, a browser or JupyterLab: `make test` runs them, `make unit` leaves them out.
INTEGRATION = {
    "test_bench.py",
    "test_cli.py",
    "test_experiments.py",
    "test_fuzz.py",
    "test_live_lab.py",
    "test_runner.py",
    "test_site.py",
    "test_student.py",
    "test_takeaway.py",
    "test_tuning.py",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: an end-to-end suite that `make unit` leaves out")


def pytest_collection_modifyitems(config, items):
    """Mark every test of the end-to-end suites as ``integration``."""
    for item in items:
        if item.path.name in INTEGRATION:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened, so figures do not pile up across tests."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def digits() -> Dataset:
    """scikit-learn's 8x8 digits, loaded once per test session."""
    return load_dataset("digits")


def pytest_terminal_summary(terminalreporter):
    """Print the ``live_lab`` lines tests recorded (live controls' answer times), from xdist workers too."""
    lines = [
        line
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "live_lab"
        for line in value
    ]
    if lines:
        terminalreporter.section("live controls in JupyterLab")
        for line in lines:
            terminalreporter.write_line(line)
