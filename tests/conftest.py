"""Shared test settings and fixtures: hypothesis profile sized for a 2-core CI machine, figures closed."""

import os

import matplotlib
import pytest
from browser import browser  # noqa: F401  (the shared headless-Chromium fixture)
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from lra_edu.datasets import Dataset, load_dataset

settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
