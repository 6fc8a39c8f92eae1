"""A conductor that dies between starting an attempt's process and recording its pid.

The attempt's row says `running` with no process; its exit wrapper may have written the exit
file meanwhile, or its process may still run. Either way the next conductor finds it (by the
file, or by the marker in the process's environment) and the sheet runs once. The state such a
crash leaves is made here the honest way: a real conductor is killed, and the pid it recorded
is taken out of its store again; one test makes the window happen for real, under strace.
"""

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.host import processes
from podium.ipc.client import ConductorUnavailable
from podium.ipc.methods import DAEMON_STATUS
from podium.runtime.process import (
    group_exists,
    leaders_marked,
    marked_env,
    read_exit_file,
    signal_group,
    spawn,
)
from podium.testing.conductor import ConductorProcess

GATED = """
    name: window
    workspace: ./ws
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 3, base_delay_seconds: 0.05, max_completion_attempts: 0}}
    instrument_config: {{timeout_seconds: {timeout}}}
    prompt:
      template: |
        echo run >> runs.txt
        while [ ! -e go ]; do sleep 0.02; done
        echo done > out.txt
    validations:
      - type: command_succeeds
        command: 'echo checked >> checks.txt; test -e out.txt'
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def exit_file(conductor: ConductorProcess, job: str) -> Path:
    return conductor.home / "jobs" / job / "sheets" / "1" / "attempt-1.exit"


def crashed_before_recording(
    conductors: Callable[..., ConductorProcess], score: Path, *, recorded: bool = False
) -> tuple[ConductorProcess, str, int]:
    """A conductor killed while the score's attempt runs, its store left as if the crash came
    before the attempt's pid was recorded (unless `recorded`). The job and the attempt's
    process group."""
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(score)
    runs = score.parent / "ws" / "runs.txt"
    first.wait_until(lambda: len(lines(runs)) == 1, 15, "the attempt to start")
    _, pgid = first.wait_for_recorded_attempt()  # the crash is made below, by forgetting it
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    if not recorded:
        first.query("UPDATE attempts SET pid = NULL, pgid = NULL, start_ticks = NULL")
    return first, job, pgid


def test_an_attempt_that_ended_before_its_pid_was_recorded_is_finished_from_its_exit_file(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first, job, pgid = crashed_before_recording(conductors, write_score(GATED.format(timeout=60)))
    (ws / "go").touch()
    first.wait_until(lambda: not group_exists(pgid), 15, "the attempt to end")
    assert read_exit_file(exit_file(first, job)) == 0

    second = conductors({"kill_grace_seconds": 0.5})
    done = second.wait_for_job(job, "completed")
    assert lines(ws / "runs.txt") == ["run"]
    assert lines(ws / "checks.txt") == ["checked"]  # its validations ran, once
    assert second.query("SELECT attempt, outcome, error_code FROM attempts") == [
        (1, "succeeded", None)
    ]
    assert done["sheets"][0]["status"] == "completed"


def test_a_live_attempt_whose_pid_was_never_recorded_is_reattached_not_killed(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    _, job, pgid = crashed_before_recording(conductors, write_score(GATED.format(timeout=60)))

    second = conductors({"kill_grace_seconds": 0.5})
    assert group_exists(pgid)
    # Recorded now: a crash of this conductor too finds it by its pid.
    [(pid, recorded)] = second.query("SELECT pid, pgid FROM attempts")
    assert pid == recorded == pgid
    assert second.kill(signal.SIGKILL) == -signal.SIGKILL

    third = conductors({"kill_grace_seconds": 0.5})
    assert group_exists(pgid)
    (ws / "go").touch()
    third.wait_for_job(job, "completed")
    assert lines(ws / "runs.txt") == ["run"]
    assert third.query("SELECT attempt, outcome FROM attempts") == [(1, "succeeded")]


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "unrecorded"])
def test_an_attempt_that_ended_in_time_while_no_conductor_watched_is_not_timed_out(
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    tmp_path: Path,
    recorded: bool,
) -> None:
    ws = tmp_path / "ws"
    timeout = 8  # long enough for the first conductor to be killed before it, however busy
    first, job, pgid = crashed_before_recording(
        conductors, write_score(GATED.format(timeout=timeout)), recorded=recorded
    )
    (ws / "go").touch()
    first.wait_until(lambda: not group_exists(pgid), 15, "the attempt to end")
    [(started,)] = first.query("SELECT started_at FROM attempts")
    first.wait_until(lambda: time.time() > started + timeout + 0.5, 30, "its timeout to pass")

    second = conductors({"kill_grace_seconds": 0.5})
    second.wait_for_job(job, "completed")
    assert lines(ws / "runs.txt") == ["run"]


KILLS_ITS_CONDUCTOR = """
    name: killer
    workspace: ./ws
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 3, base_delay_seconds: 0.05, max_completion_attempts: 0}}
    prompt:
      template: |
        read conductor < {pid_file}
        kill -9 "$conductor"
        echo run >> runs.txt
"""


def test_an_attempt_that_kills_its_conductor_and_finishes_runs_once(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    score = write_score(KILLS_ITS_CONDUCTOR.format(pid_file=home / "conductor.pid"))
    first = conductors({"kill_grace_seconds": 0.5})
    assert first.process is not None
    job = first.submit(score)
    assert first.process.wait(timeout=30) == -signal.SIGKILL
    first.wait_until((tmp_path / "ws" / "runs.txt").exists, 15, "the attempt to finish")

    second = conductors({"kill_grace_seconds": 0.5})
    second.wait_for_job(job, "completed")
    assert lines(tmp_path / "ws" / "runs.txt") == ["run"]


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-o", "/dev/null", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _strace_works(), reason="needs strace, allowed to trace (ptrace)")
def test_a_conductor_killed_between_spawning_an_attempt_and_recording_it_runs_it_once(
    write_score: Callable[..., Path], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    score = write_score(KILLS_ITS_CONDUCTOR.format(pid_file=home / "conductor.pid"))
    first = ConductorProcess(home, {"kill_grace_seconds": 0.5})
    # Each process the conductor starts returns to it two seconds late: the attempt runs, and
    # kills the conductor, before the conductor can record its pid.
    first.process = strace = subprocess.Popen(
        [
            "strace",
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=vfork,fork,clone",
            "-e",
            "inject=vfork,fork:delay_exit=2000000",
            sys.executable,
            "-m",
            "podium.conductor.daemon",
        ],
        env=first.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    second = ConductorProcess(home, {"kill_grace_seconds": 0.5})
    try:
        first.wait_until(lambda: _ready(first), 30, "the traced conductor to answer")
        pid = _pid(home)
        with contextlib.suppress(ConductorUnavailable):  # it may die before it answers
            first.submit(score)
        first.wait_until((tmp_path / "ws" / "runs.txt").exists, 30, "the attempt to finish")
        first.wait_until(lambda: not processes.running(pid), 30, "the conductor to die")
        # The spawning thread, held in its fork by strace, dies last and keeps the conductor's
        # lock until then; strace ends once every process it traces has ended.
        first.wait_until(lambda: strace.poll() is not None, 30, "the last of it to end")
        [(job, pid_recorded, outcome)] = first.query("SELECT job_id, pid, outcome FROM attempts")
        assert (pid_recorded, outcome) == (None, "running")

        second.start()
        second.wait_for_job(job, "completed")
        assert lines(tmp_path / "ws" / "runs.txt") == ["run"]
        assert second.query("SELECT attempt, outcome FROM attempts") == [(1, "succeeded")]
    finally:
        second.stop()
        first.stop()


def _ready(conductor: ConductorProcess) -> bool:
    try:
        state: str = conductor.request(DAEMON_STATUS({}))["state"]
    except ConductorUnavailable:
        return False
    return state == "ready"


def _pid(home: Path) -> int:
    return int((home / "conductor.pid").read_text().split()[0])


def test_the_process_found_by_a_marker_is_the_exit_wrapper_leading_its_group(
    tmp_path: Path,
) -> None:
    marker = f"{tmp_path}:job/1/1"
    child = spawn(
        ["sh", "-c", "sleep 30 & wait"],
        cwd=tmp_path,
        stdout=tmp_path / "out",
        stderr=tmp_path / "out",
        env=marked_env(marker),
        exit_file=tmp_path / "exit",
    )
    try:
        # The wrapper, the command and its child all carry the marker; the wrapper is found.
        deadline = time.monotonic() + 10
        while _members(child.info.pgid) < 3:
            assert time.monotonic() < deadline, "the command and its child did not start"
            time.sleep(0.01)
        assert leaders_marked({marker, f"{tmp_path}:job/1/2"}) == {marker: child.info}
    finally:
        signal_group(child.info.pgid, signal.SIGKILL)
        child.popen.wait()


def _members(pgid: int) -> int:
    return sum(1 for pid in processes.pids() if (s := processes.stat(pid)) and s.pgid == pgid)


CHECKED = """
    name: checked
    workspace: ./ws
    instrument: cli
    sheet:
      size: 1
      total_items: 1
      skip_when_command:
        1: {command: 'echo $$ >> checks.txt; while [ ! -e go ]; do sleep 0.02; done; exit 1'}
    prompt:
      template: echo run >> runs.txt
"""


def test_a_skip_check_left_running_by_a_crash_is_stopped_and_asked_again(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(write_score(CHECKED))
    first.wait_until(lambda: len(lines(ws / "checks.txt")) == 1, 15, "the skip check to start")
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    [check] = [int(pid) for pid in lines(ws / "checks.txt")]
    assert group_exists(check)

    second = conductors({"kill_grace_seconds": 0.5})
    assert not group_exists(check)  # never two checks of one sheet at once
    second.wait_until(lambda: len(lines(ws / "checks.txt")) == 2, 15, "the check to run again")
    (ws / "go").touch()
    second.wait_for_job(job, "completed")
    assert lines(ws / "runs.txt") == ["run"]
