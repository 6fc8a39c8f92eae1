"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a real
conductor and a real `podium web` process.

Without Chromium the suite skips, except under CI, where a missing browser is a
failure: `.ci/run` installs it. Screenshots of each page go to `$PODIUM_SCREENSHOTS` (a new
temporary folder by default; CI prints where)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from podium.testing.conductor import ConductorProcess
from podium.testing.web import CHROMIUM as DEFAULT_CHROMIUM
from podium.testing.web import CHROMIUM_FLAGS, WebProcess

CHROMIUM = os.environ.get("PODIUM_CHROMIUM", DEFAULT_CHROMIUM)


def _unusable() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PODIUM_CHROMIUM)"
    return None


# Under CI's load (four workers on two cores) a live update can take seconds: wait for long
# enough, as a person would, before calling it missing.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, for one module's tests. Playwright's synchronous API keeps an event loop
    running in this thread while it is open, and `asyncio.run` refuses to start beside it:
    closed with the module, it is gone before a test of another module runs here."""
    problem = _unusable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser suite cannot run: {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=list(CHROMIUM_FLAGS),
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = os.environ.get("PODIUM_SCREENSHOTS")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="podium-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def dashboard(conductor: ConductorProcess) -> Iterator[WebProcess]:
    with WebProcess(conductor.env) as found:
        yield found


@pytest.fixture
def page(browser: Browser, dashboard: WebProcess) -> Iterator[Page]:
    """A browser tab that opened the dashboard's link (its token is in the cookie now)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto(dashboard.link)
    yield tab
    context.close()


@pytest.fixture
def podium_cli(conductor: ConductorProcess) -> Callable[..., str]:
    """Run `podium …` as a user would, against the test's conductor; its output."""

    def run(*args: str) -> str:
        done = conductor.podium(*args)
        return done.stdout + done.stderr

    return run
