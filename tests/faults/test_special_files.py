"""A score path that names something other than a small regular file (a device that never
ends, a FIFO nobody writes to, a folder, a huge file) is refused at once, and the conductor
goes on answering."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from podium.ipc.client import RemoteError
from podium.testing.conductor import ConductorProcess

PODIUM = str(Path(sys.executable).parent / "podium")


def _podium(conductor: ConductorProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PODIUM, *args], env=conductor.env, capture_output=True, text=True, timeout=30, check=False
    )


def _refusal(conductor: ConductorProcess, path: Path) -> str:
    with pytest.raises(RemoteError) as refused:
        conductor.call("job.submit", {"score_path": str(path)})
    return str(refused.value)


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "score.yaml"
    os.mkfifo(path)
    return path


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MiB of size, no disk
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda _tmp: Path("/dev/zero"), "/dev/zero is not a regular file (a character device)"),
        (_fifo, "score.yaml is not a regular file (a named pipe)"),
        (lambda tmp: tmp, "is not a regular file (a folder)"),
        (_huge, "big.yaml is 50 MiB; a score may be at most 8 MiB"),
    ],
    ids=["dev-zero", "fifo", "folder", "too-large"],
)
def test_submitting_a_special_or_huge_file_is_refused_and_the_conductor_still_answers(
    conductor: ConductorProcess, tmp_path: Path, make: object, expected: str
) -> None:
    assert callable(make)
    message = _refusal(conductor, make(tmp_path))
    assert expected in message
    assert _podium(conductor, "status").returncode == 0


def test_validating_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path)
    done = subprocess.run(
        [PODIUM, "validate", str(fifo)], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert "is not a regular file (a named pipe); a score must be a YAML file" in done.stderr
