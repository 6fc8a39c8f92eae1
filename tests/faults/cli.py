"""The `podium` command, run as a user's shell would run it, for the fault tests."""

import subprocess
import sys
from pathlib import Path

PODIUM = str(Path(sys.executable).parent / "podium")


def podium(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`podium ARGS` with `env` (a conductor's, to talk to it), no stdin, output captured."""
    return subprocess.run(
        [PODIUM, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
