"""A Chromium page for browser tests, logging in, and screenshots of pictures.

Import the fixture into a test module (`from tests.e2e.browsing import browser_page_fixture`)
to use `browser_page`. The
screenshots land in `tests/e2e/screenshots/` (git-ignored) for people to look at; the tests
assert what the pictures contain, not how they look.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(name="browser_page")
def browser_page_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A chromium page (1280 x 900); skips when chromium or playwright is not installed."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made between page
    # steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            yield page
        finally:
            # The ORM calls made while Playwright's loop ran opened other connections: close
            # them, or the test database cannot be dropped at the end of the session.
            connections.close_all()
            browser.close()


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/plans/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/plans/")


def screenshot(locator: Any, name: str) -> Path:
    """Save a screenshot of `locator` as `tests/e2e/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # A long picture scrolls inside a box of its own; let the box grow for the picture.
    locator.evaluate(
        "el => { const box = el.closest('.picture-scroll'); if (box) box.style.maxHeight = 'none'; }"
    )
    locator.screenshot(path=str(path))
    return path
