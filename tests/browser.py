"""Headless Chromium for tests that look at pages the way a reader does.

The ``browser`` fixture (imported into conftest.py) starts one headless Chromium per test
session through Selenium and chromedriver. Where either is missing the test is skipped
with the reason, unless ``LRA_EDU_REQUIRE_BROWSER=1`` (CI sets it), which turns the skip
into a failure so a missing browser cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ENV = "LRA_EDU_REQUIRE_BROWSER"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def browser_required() -> bool:
    """Whether a missing browser must fail the test rather than skip it."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when the environment requires the browser."""
    if browser_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 requires the browser test to run)", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> tuple[str, str]:
    """Paths of a Chromium binary and its chromedriver; skip (or fail) when absent."""
    chromium = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        unavailable(
            "headless Chromium not found (Debian: apt-get install chromium chromium-driver; "
            "`make browser`, run by `make test`, installs them where apt-get runs as root)"
        )
    return chromium, driver


def start_chromium(width: int = 1280, height: int = 1000) -> Any:
    """A new headless Chromium WebDriver that keeps the page's console log."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[test]')")
    chromium, chromedriver = find_chromium()
    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver), options=options)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole test session."""
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()


def open_file(driver: Any, path: Path) -> None:
    """Load a local file in ``driver`` and drop the console messages of earlier pages."""
    driver.get_log("browser")
    driver.get(path.resolve().as_uri())


def console_errors(driver: Any, allowed: tuple[str, ...] = ()) -> list[str]:
    """Console messages of level SEVERE since the last call, minus those containing an ``allowed`` text."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not any(a in entry["message"] for a in allowed)
    ]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy; return it, or ``None`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value or None
        time.sleep(interval)
