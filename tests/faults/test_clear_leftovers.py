"""A `podium clear` that cannot remove a job's folder, or is cut short, never leaves a folder
that a start takes for a job the database forgot: the conductor starts, and `podium doctor
--repair` brings back no cleared job (nor a backup in place of the sound database)."""

import contextlib
import signal
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.testing.conductor import ConductorProcess
from tests.faults.cli import podium


@contextlib.contextmanager
def immutable(path: Path, under: Path) -> Iterator[None]:
    """`path` cannot be removed (nor changed), even by root, while the block runs, wherever
    under `under` it is moved."""
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-R", "-i", str(under)], capture_output=True, check=True)


def test_a_job_folder_a_clear_cannot_remove_is_never_taken_for_a_forgotten_job(
    tmp_path: Path,
) -> None:
    score = tmp_path / "only.yaml"
    score.write_text(
        textwrap.dedent("""
            name: only
            workspace: ./ws
            instrument: cli
            sheet: {size: 1, total_items: 1}
            prompt: {template: 'true'}
        """)
    )
    conductor = ConductorProcess(tmp_path / "state", {"kill_grace_seconds": 1})
    try:
        conductor.start()
        job = conductor.submit(score)
        conductor.wait_for_job(job, "completed")
        card = conductor.home / "jobs" / job / "job.json"
        with immutable(card, conductor.home / "jobs"):
            cleared = podium(conductor.env, "clear", "--yes")
            assert cleared.returncode == 0, cleared.stderr
            assert conductor.kill(signal.SIGTERM) == 0
            conductor.start()  # the database knows no job, and no job folder says otherwise
            assert conductor.query("SELECT job_id FROM jobs") == []
            assert conductor.kill(signal.SIGTERM) == 0

            repaired = podium(conductor.env, "doctor", "--repair")
            assert repaired.returncode == 0, repaired.stderr
            assert "nothing to repair" in repaired.stdout
            assert not list(conductor.home.glob("podium.db.damaged-*"))
            assert not (conductor.home / "jobs" / job).exists()
            assert "is removed at the next start" in cleared.stderr
        assert conductor.kill(signal.SIGTERM) == 0
        conductor.start()
        conductor.wait_until(
            lambda: list((conductor.home / "jobs").iterdir()) == [],
            15,
            "what the clear left aside to be removed",
        )
    finally:
        conductor.stop()
