"""A state folder that turns read-only stops dispatch, never the conductor; one that is
read-only from the start is refused in one clear line."""

import json
import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.testing.conductor import ConductorProcess
from tests.faults.cli import podium
from tests.faults.statefs import fail_ext4, make_ext4, mounted_ext4, small_tmpfs

CONFIG = {
    "monitor_interval_seconds": 0.2,
    "kill_grace_seconds": 1,
    "resource_limits": {"min_free_disk_mb": 2, "disk_reserve_mb": 2},
}


def score(folder: Path, name: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        textwrap.dedent(f"""
            name: {name}
            workspace: {folder}/ws-{name}
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            prompt: {{template: "echo {name} >> {folder}/runs.txt"}}
        """)
    )
    return path


def pressure(conductor: ConductorProcess) -> dict[str, Any]:
    shown = podium(conductor.env, "conductor-status", "--json")
    assert shown.returncode == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)["pressure"]
    return found


def test_a_state_folder_turned_read_only_is_reported_and_the_conductor_stays_up(
    tmp_path: Path,
) -> None:
    image = make_ext4(tmp_path / "state.img", size_mb=32)
    with mounted_ext4(tmp_path / "state", image) as state:
        conductor = ConductorProcess(state, CONFIG).start()
        try:
            done = conductor.submit(score(tmp_path, "before"))
            conductor.wait_for_job(done, "completed")
            fail_ext4(state)  # as the kernel does when the disk fails
            read_only = (
                f"the state folder {state} is read-only; dispatch resumes once it is writable"
            )
            conductor.wait_until(
                lambda: pressure(conductor)["reason"] == read_only, 20, "the read-only report"
            )
            assert pressure(conductor)["level"] == "disk"
            assert conductor.status(done)["status"] == "completed"  # what it knew, it knows
            refused = podium(conductor.env, "run", str(score(tmp_path, "during")), "--no-wait")
            assert refused.returncode == 2
            assert f"the conductor takes no new work now: {read_only}" in refused.stderr
            assert conductor.process is not None and conductor.process.poll() is None
            doctor = podium(conductor.env, "doctor")
            assert f"dispatch stopped: {read_only}" in doctor.stdout
        finally:
            conductor.stop()
    # The disk is back (mounted again after its error): the conductor goes on from there.
    with (
        mounted_ext4(tmp_path / "state", image) as state,
        ConductorProcess(state, CONFIG) as conductor,
    ):
        assert conductor.status(done)["status"] == "completed"
        after = conductor.submit(score(tmp_path, "after"))
        conductor.wait_for_job(after, "completed")
    assert (tmp_path / "runs.txt").read_text().split() == ["before", "after"]


@pytest.fixture
def read_only_state(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "state", size_mb=8) as state:
        subprocess.run(["mount", "-o", "remount,ro", str(state)], check=True)
        yield state


def test_run_on_a_read_only_state_folder_says_so_in_one_line(
    read_only_state: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PODIUM_SOCKET"}
    env["PODIUM_HOME"] = str(read_only_state)
    done = podium(env, "run", str(score(tmp_path, "job")), "--no-wait")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"podium: the conductor cannot start: the state folder {read_only_state} takes no "
        "write (Read-only file system); make room there or make it writable (or set "
        "PODIUM_HOME to another folder), then try again"
    )
