"""A score path that names something other than a small regular file (a device that never
ends, a FIFO nobody writes to, a folder, a huge file) is refused at once, and the conductor
goes on answering."""

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.config_file import read_settings
from podium.domain.errors import UserError
from podium.instruments.registry import ProfileError, load_profile
from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_SUBMIT
from podium.score.compiled import load_score
from podium.score.diagnostics import ScoreError
from podium.testing.conductor import ConductorProcess
from tests.faults.cli import PODIUM, podium


def _refusal(conductor: ConductorProcess, path: Path) -> str:
    with pytest.raises(RemoteError) as refused:
        conductor.request(JOB_SUBMIT({"score_path": str(path)}))
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
    assert podium(conductor.env, "status").returncode == 0


def test_validating_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path)
    done = subprocess.run(
        [PODIUM, "validate", str(fifo)], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert "is not a regular file (a named pipe); a score must be a YAML file" in done.stderr


def test_a_conductor_config_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:

    fifo = tmp_path / "conductor.yaml"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match=r"is not a regular file \(a named pipe\)"):
        read_settings(fifo)


def test_an_instrument_profile_that_is_a_device_is_refused(tmp_path: Path) -> None:

    with pytest.raises(ProfileError, match="/dev/zero is not a regular file"):
        load_profile(Path("/dev/zero"))


def test_a_template_file_that_is_a_fifo_is_refused_with_its_location(
    write_score: Callable[..., Path], tmp_path: Path
) -> None:

    os.mkfifo(tmp_path / "prompt.j2")
    score = write_score(
        """
        name: fifo-template
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template_file: prompt.j2}
        """
    )
    with pytest.raises(ScoreError, match=r"prompt\.j2 is not a regular file \(a named pipe\)"):
        load_score(score)
