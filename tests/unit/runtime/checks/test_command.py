"""A check's command runs by bash in the folder given, its output on its log, its environment
given, and is stopped once it runs past its timeout."""

import asyncio
from pathlib import Path

import pytest

from podium.domain.outcome import ExitStatus
from podium.runtime.checks.command import CheckCommand, last_line, run_check_command
from podium.runtime.process import MARKER


def _run(
    script: str, folder: Path, *, timeout: float = 10.0, marker: str | None = None
) -> ExitStatus | None:
    command = CheckCommand(
        script, folder, folder / "check.log", {"PODIUM_VALUE": "a b"}, marker, timeout, 0.1
    )
    return asyncio.run(run_check_command(command))


def test_the_exit_code_and_the_last_line_written_come_back(tmp_path: Path) -> None:
    status = _run('pwd; echo "$PODIUM_VALUE" >&2; exit 3', tmp_path)
    assert status == ExitStatus(3)
    assert (tmp_path / "check.log").read_text() == f"{tmp_path}\na b\n"
    assert last_line(tmp_path / "check.log") == "a b"


def test_the_marker_is_in_the_environment_when_given(tmp_path: Path) -> None:
    assert _run(f'test "${MARKER}" = m1', tmp_path, marker="m1") == ExitStatus(0)
    assert _run(f'test -z "${MARKER}"', tmp_path) == ExitStatus(0)


def test_a_command_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    assert _run("sleep 30", tmp_path, timeout=0.2) is None


def test_a_command_that_cannot_start_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        _run("true", tmp_path / "missing")


def test_a_silent_command_has_no_last_line(tmp_path: Path) -> None:
    assert _run("true", tmp_path) == ExitStatus(0)
    assert last_line(tmp_path / "check.log") == ""
