"""Shared test settings: hypothesis profile sized for a 2-core CI machine."""

import os

import matplotlib
from browser import browser  # noqa: F401  (the shared headless-Chromium fixture)
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")
settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
