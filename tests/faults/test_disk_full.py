"""A full state folder stops dispatch, never the conductor: it says why, keeps what it
recorded, runs no sheet twice, and goes on by itself once there is room again."""

import json
import re
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.runtime.process import read_exit_file
from podium.testing.conductor import ConductorProcess
from tests.faults.cli import podium
from tests.faults.statefs import fill, small_tmpfs

CONFIG = {
    "monitor_interval_seconds": 0.2,
    "kill_grace_seconds": 1,
    "resource_limits": {"min_free_disk_mb": 2, "disk_reserve_mb": 2},
}


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "state", size_mb=16) as folder:
        yield folder


@pytest.fixture
def conductor(state: Path) -> Iterator[ConductorProcess]:
    running = ConductorProcess(state, CONFIG)
    try:
        yield running.start()
    finally:
        running.stop()


def gated_score(folder: Path, sheets: int = 3) -> Path:
    """Sheets one after the other; each counts its runs outside the state folder and ends
    once its gate file exists."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "gated.yaml"
    path.write_text(
        textwrap.dedent(f"""
            name: gated
            workspace: {folder}/ws
            instrument: cli
            sheet: {{size: 1, total_items: {sheets}}}
            retry: {{max_retries: 0}}
            prompt:
              template: |
                echo "{{{{ sheet_num }}}}" >> {folder}/runs.txt
                while [ ! -e {folder}/go-{{{{ sheet_num }}}} ]; do sleep 0.02; done
        """)
    )
    return path


def runs(folder: Path) -> list[str]:
    path = folder / "runs.txt"
    return path.read_text().split() if path.exists() else []


def pressure(conductor: ConductorProcess) -> dict[str, Any]:
    shown = podium(conductor.env, "conductor-status", "--json")
    assert shown.returncode == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)["pressure"]
    return found


def sheets(conductor: ConductorProcess, job: str) -> dict[int, str]:
    return {s["num"]: s["status"] for s in conductor.status(job)["sheets"]}


def test_a_full_state_folder_holds_dispatch_and_the_job_goes_on_once_there_is_room(
    conductor: ConductorProcess, state: Path, tmp_path: Path
) -> None:
    job = conductor.submit(gated_score(tmp_path))
    conductor.wait_until(lambda: runs(tmp_path) == ["1"], 20, "sheet 1 to start")
    filler = fill(state)
    (tmp_path / "go-1").touch()
    shown: dict[str, Any] = {}

    def full() -> bool:
        shown.update(pressure(conductor))
        return shown["level"] == "disk" and " MB free; " in shown["reason"]

    conductor.wait_until(full, 20, "the disk pressure level")
    # What it needs is the free minimum, plus the reserve while that is given up (2 + 2 MB).
    found = re.fullmatch(
        f"the state folder {state} has (\\d+) MB free; dispatch resumes when ([24]) MB are free",
        shown["reason"],
    )
    assert found is not None and int(found[1]) < int(found[2]), shown["reason"]
    assert "\n  resource pressure disk: the state folder " in podium(conductor.env, "status").stdout
    refused = podium(conductor.env, "run", str(gated_score(tmp_path / "other")), "--no-wait")
    assert refused.returncode == 2
    assert "the conductor takes no new work now: the state folder " in refused.stderr

    (tmp_path / "go-2").touch()
    (tmp_path / "go-3").touch()
    conductor.wait_until(
        lambda: sheets(conductor, job)[1] == "completed", 20, "sheet 1 to be recorded"
    )
    # Sheet 2 would have been launched in the step that completed sheet 1: it is held.
    assert sheets(conductor, job)[2] in ("pending", "ready")
    assert runs(tmp_path) == ["1"]
    assert pressure(conductor)["level"] == "disk"
    assert conductor.process is not None and conductor.process.poll() is None

    filler.unlink()
    conductor.wait_for_job(job, "completed")
    assert runs(tmp_path) == ["1", "2", "3"]  # each sheet ran once
    assert pressure(conductor)["level"] == "none"
    assert (state / "podium.reserve").exists()  # made again once there was room


def test_an_attempt_ending_on_a_full_disk_is_not_run_again_by_the_next_conductor(
    state: Path, tmp_path: Path
) -> None:
    first = ConductorProcess(state, CONFIG).start()
    try:
        job = first.submit(gated_score(tmp_path, sheets=2))
        first.wait_until(lambda: runs(tmp_path) == ["1"], 20, "sheet 1 to start")
        first.kill(signal.SIGKILL)  # the attempt outlives its conductor
        filler = fill(state)
        (tmp_path / "go-1").touch()
        exit_file = state / "jobs" / job / "sheets" / "1" / "attempt-1.exit"
        first.wait_until(lambda: read_exit_file(exit_file) == 0, 20, "the attempt's exit status")
        filler.unlink()
        (tmp_path / "go-2").touch()
        first.start()
        first.wait_for_job(job, "completed")
    finally:
        first.stop()
    assert runs(tmp_path) == ["1", "2"]
