"""`podium top` in a real terminal (tmux) on a real conductor: the job shows, `p` asks,
`y` pauses it, and `podium status` agrees."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium import __version__
from tests.e2e.conftest import User, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SLEEPY = """
    name: sleepy
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo sheet {{ sheet_num }} waits
        while [ ! -e go ]; do sleep 0.05; done
"""
"""Each sheet runs until the test lets it end: the job is there however long `top` takes."""


class Terminal:
    """A tmux server of the test's own, one window running one command."""

    def __init__(self, name: str) -> None:
        self.name = name

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        settings = " ".join(f"{k}={shlex.quote(env[k])}" for k in ("PODIUM_HOME", "PODIUM_SOCKET"))
        line = f"env {settings} {shlex.join(command)}"
        self.tmux("new-session", "-d", "-s", "top", "-x", "100", "-y", "30", line)

    def running(self) -> bool:
        """The window is still there (it closes when its command ends)."""
        found = subprocess.run(
            ["tmux", "-L", self.name, "has-session", "-t", "top"], capture_output=True, check=False
        )
        return found.returncode == 0

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "top")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "top", *keys)

    def wait_for_text(self, text: str) -> None:
        wait_for(lambda: text in self.screen(), f"{text!r} on the screen:\n{self.screen()}")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    found = Terminal(f"podium-top-{os.getpid()}")
    yield found
    subprocess.run(["tmux", "-L", found.name, "kill-server"], capture_output=True, check=False)


def test_top_pauses_the_selected_job_after_asking(
    podium: User, terminal: Terminal, tmp_path: Path
) -> None:
    score = tmp_path / "sleepy.yaml"
    score.write_text(textwrap.dedent(SLEEPY))
    assert podium("run", str(score), "--no-wait").returncode == 0
    terminal.start(User.argv("top"), podium.env)
    terminal.wait_for_text("sleepy")
    terminal.wait_for_text(f"conductor {__version__} up")
    terminal.wait_for_text("executor: local (this machine)")
    terminal.keys("p")
    terminal.wait_for_text("Pause job sleepy?")
    terminal.keys("y")
    terminal.wait_for_text("job sleepy: ")
    (tmp_path / "ws" / "go").touch()  # the running sheet ends; the job pauses after it

    def paused() -> bool:
        shown = podium("status", "sleepy", "--json")
        return bool(json.loads(shown.stdout)["status"] == "paused")

    wait_for(paused, "the job to be paused")
    terminal.wait_for_text("paused")
    terminal.keys("q")
    wait_for(lambda: not terminal.running(), "top to quit on q")
