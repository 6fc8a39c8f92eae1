"""The `podium` command as a user runs it, with a conductor of its own."""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PODIUM = str(Path(sys.executable).parent / "podium")


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
    shutil.rmtree(socket_dir, ignore_errors=True)
