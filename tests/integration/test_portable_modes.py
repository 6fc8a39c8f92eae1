"""A conductor that took the Linux fast paths and one that took the portable ones
(`PODIUM_PORTABLE=1`) recognise each other's attempts: the start stamp they record has one unit
per operating system, whichever way it was read. A stamp that does not match is another
process, which is never stopped."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.host import platform, processes
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess

from .test_recovery import GATED_CHAIN, attempts, killed_while_sheet_2_runs, lines, sheet_status

WAYS = {"fast": None, "portable": "1"}

pytestmark = pytest.mark.skipif(
    platform.probe().pidfd is not None or not platform.probe().procfs,
    reason="the Linux fast paths are not available here, so there is no other way to cross to",
)


def _take(way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Conductors started from now on take `way`."""
    value = WAYS[way]
    if value is None:
        monkeypatch.delenv(platform.PORTABLE_ENV, raising=False)
    else:
        monkeypatch.setenv(platform.PORTABLE_ENV, value)


@pytest.mark.parametrize(("before", "after"), [("fast", "portable"), ("portable", "fast")])
def test_an_attempt_recorded_one_way_is_reattached_by_a_conductor_taking_the_other(
    before: str,
    after: str,
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = tmp_path / "ws"
    _take(before, monkeypatch)
    first = conductors({"kill_grace_seconds": 1.0})
    job, pgid = killed_while_sheet_2_runs(first, write_score(GATED_CHAIN))
    _take(after, monkeypatch)
    second = conductors({"kill_grace_seconds": 1.0})
    assert _paths_taken(second) == ("portable" if after == "portable" else "Linux fast")
    assert group_exists(pgid)
    assert sheet_status(second, job, 2) == "running"
    (ws / "go").touch()
    done = second.wait_for_job(job, "completed")

    assert len(lines(ws / "runs-2.txt")) == 1  # never run twice
    assert [(n, outcome) for n, outcome, _ in attempts(second, 2)] == [(1, "succeeded")]
    assert done["sheets"][1]["attempts"] == 1
    assert "re-attached 1 attempt(s)" in second.log


@pytest.mark.parametrize("after", ["fast", "portable"])
def test_a_recorded_pid_that_names_another_process_now_never_gets_it_stopped(
    after: str,
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = tmp_path / "ws"
    _take("portable" if after == "fast" else "fast", monkeypatch)
    first = conductors({"kill_grace_seconds": 1.0})
    job, _ = killed_while_sheet_2_runs(first, write_score(GATED_CHAIN))
    # As if the attempt's pid had been reused since by a process of someone else's, which
    # started a tick after the one recorded.
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        found = processes.stat(other.pid)
        assert found is not None
        first.query(
            "UPDATE attempts SET pid = ?, pgid = ?, start_ticks = ? WHERE sheet = 2",
            other.pid,
            other.pid,
            found.start_ticks - 1,
        )
        _take(after, monkeypatch)
        second = conductors({"kill_grace_seconds": 1.0})
        second.wait_until(lambda: len(attempts(second, 2)) == 2, 15, "sheet 2 to run again")
        assert other.poll() is None  # the process the record does not name was left alone
        assert group_exists(other.pid)
        (ws / "go").touch()
        second.wait_for_job(job, "completed")
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def _paths_taken(conductor: ConductorProcess) -> str:
    """Which paths the conductor that started last said it took."""
    said = [line for line in conductor.log.splitlines() if " paths: processes: " in line]
    return said[-1].split(" INFO podium.conductor: ")[1].split(" paths:")[0]
