"""The `podium` command as a user runs it, with a conductor of its own."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.testing.conductor import kill_leftovers

PODIUM = str(Path(sys.executable).parent / "podium")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)


class User:
    """Runs `podium` with a home of its own, as a shell would."""

    def __init__(self, home: Path, socket: Path) -> None:
        self.env = {**os.environ, "PODIUM_HOME": str(home), "PODIUM_SOCKET": str(socket)}

    @staticmethod
    def argv(*args: str) -> list[str]:
        return [PODIUM, *args]

    def __call__(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PODIUM, *args],
            env=self.env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def podium(tmp_path: Path) -> Iterator[User]:
    socket_dir = Path(tempfile.mkdtemp(prefix="podium-"))
    user = User(tmp_path / "home", socket_dir / "podium.sock")
    yield user
    user("stop", "--force")
    kill_leftovers(tmp_path / "home" / "jobs")  # attempts outlive their conductor by design
    shutil.rmtree(socket_dir, ignore_errors=True)
