"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a real
conductor and a real `podium web` process.

Without Chromium the suite skips, except under CI, where a missing browser is a
failure: `.ci/run` installs it. Screenshots of each page go to `$PODIUM_SCREENSHOTS` (a new
temporary folder by default; CI prints where)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from podium.testing.conductor import ConductorProcess

CHROMIUM = os.environ.get("PODIUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Without the network flags Chromium tries Google's hosts at every start, which this kind of
machine refuses."""


def _unusable() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PODIUM_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    problem = _unusable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser suite cannot run: {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_FLAGS,
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = os.environ.get("PODIUM_SCREENSHOTS")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="podium-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


class Dashboard:
    """A `podium web` process serving one conductor, and the link it printed."""

    def __init__(self, conductor: ConductorProcess, *extra: str) -> None:
        self.conductor = conductor
        self.process = subprocess.Popen(
            [sys.executable, "-m", "podium.cli.main", "web", "--port", "0", *extra],
            env=conductor.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first.startswith("Podium dashboard: "):
            self.stop()
            raise AssertionError(f"podium web did not start: {first}{self.process.stderr}")
        self.link = first.removeprefix("Podium dashboard: ").strip()
        self.base = self.link.split("/?", 1)[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def dashboard(conductor: ConductorProcess) -> Iterator[Dashboard]:
    found = Dashboard(conductor)
    yield found
    found.stop()


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard) -> Iterator[Page]:
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
        done = subprocess.run(
            [sys.executable, "-m", "podium.cli.main", *args],
            env=conductor.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.stdout + done.stderr

    return run
