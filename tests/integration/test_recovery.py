"""Durability: a conductor killed at any point comes back without losing or repeating work."""

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.host import processes
from podium.ipc.client import RemoteError
from podium.ipc.methods import DAEMON_SHUTDOWN, DAEMON_STATUS, JOB_CANCEL
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess

GATED_CHAIN = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3}
    retry: {max_retries: 3, base_delay_seconds: 0.05, max_completion_attempts: 0}
    prompt:
      template: |
        echo "run $$" >> runs-{{ sheet_num }}.txt
        {% if sheet_num == 2 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def attempts(conductor: ConductorProcess, sheet: int) -> list[tuple[int, str, int | None]]:
    return conductor.query(
        "SELECT attempt, outcome, pgid FROM attempts WHERE sheet = ? ORDER BY attempt", sheet
    )


def sheet_status(conductor: ConductorProcess, job: str, num: int) -> str:
    status: str = conductor.status(job)["sheets"][num - 1]["status"]
    return status


def killed_while_sheet_2_runs(conductor: ConductorProcess, score: Path) -> tuple[str, int]:
    """Submit a gated chain, wait until its sheet 2 runs, then SIGKILL the conductor. The job,
    and the process group of sheet 2's attempt."""
    job = conductor.submit(score)
    runs = score.parent / "ws" / "runs-2.txt"
    conductor.wait_until(lambda: len(lines(runs)) == 1, 15, "sheet 2 to start")
    _, pgid = conductor.wait_for_recorded_attempt(sheet=2)
    assert conductor.kill(signal.SIGKILL) == -signal.SIGKILL
    return job, pgid


def test_an_attempt_running_when_the_conductor_is_killed_is_reattached_not_rerun(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 1.0})
    job, pgid = killed_while_sheet_2_runs(first, write_score(GATED_CHAIN))
    second = conductors({"kill_grace_seconds": 1.0})
    assert group_exists(pgid)  # it outlived its conductor, and goes on
    assert sheet_status(second, job, 1) == "completed"
    assert sheet_status(second, job, 2) == "running"
    (ws / "go").touch()
    done = second.wait_for_job(job, "completed")

    assert [len(lines(ws / f"runs-{n}.txt")) for n in (1, 2, 3)] == [1, 1, 1]
    assert [(n, outcome) for n, outcome, _ in attempts(second, 2)] == [(1, "succeeded")]
    assert done["sheets"][1]["attempts"] == 1
    assert "re-attached 1 attempt(s)" in second.log


def test_an_attempt_that_ended_while_no_conductor_ran_is_finished_from_its_exit_file(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 1.0})
    score = GATED_CHAIN.replace(
        "while [ ! -e go ]; do sleep 0.02; done",
        "while [ ! -e go ]; do sleep 0.02; done; touch ended; exit $(cat go)",
    )
    job, pgid = killed_while_sheet_2_runs(first, write_score(score))
    # It fails with exit code 3 while nobody watches (the gate appears whole: a file written
    # in place could be read empty, and `exit` of nothing would succeed).
    (ws / "go.part").write_text("3")
    (ws / "go.part").rename(ws / "go")
    first.wait_until((ws / "ended").exists, 15, "the attempt to end")
    first.wait_until(lambda: not group_exists(pgid), 15, "its process to be gone")
    (ws / "go").write_text("0")  # the retry succeeds

    second = conductors({"kill_grace_seconds": 1.0})
    done = second.wait_for_job(job, "completed")
    rows = second.query("SELECT attempt, outcome, exit_code FROM attempts WHERE sheet = 2")
    assert sorted(rows) == [(1, "failed", 3), (2, "succeeded", 0)]
    assert done["sheets"][1]["attempts"] == 2


def test_a_sheet_killed_while_validating_is_validated_again_not_rerun(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    score = write_score("""
        name: checked
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        prompt: {template: "echo run >> runs.txt"}
        validations:
          - type: command_succeeds
            command: "echo $$ >> {workspace}/checks.txt; while [ ! -e {workspace}/release ]; do sleep 0.02; done"
    """)
    first = conductors()
    job = first.submit(score)
    first.wait_until(lambda: len(lines(ws / "checks.txt")) == 1, 15, "the validation to start")
    assert sheet_status(first, job, 1) == "validating"
    first.kill(signal.SIGKILL)

    second = conductors()
    second.wait_until(lambda: len(lines(ws / "checks.txt")) == 2, 15, "the validation again")
    assert not processes.running(int(lines(ws / "checks.txt")[0]))  # never two checks at once
    (ws / "release").touch()
    second.wait_for_job(job, "completed")
    assert lines(ws / "runs.txt") == ["run"]
    assert [(n, outcome) for n, outcome, _ in attempts(second, 1)] == [(1, "succeeded")]


def test_a_graceful_stop_leaves_running_attempts_running_for_the_next_start(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 1.0})
    job = first.submit(write_score(GATED_CHAIN))
    first.wait_until(lambda: len(lines(ws / "runs-2.txt")) == 1, 15, "sheet 2 to start")
    _, pgid = first.wait_for_recorded_attempt(sheet=2)

    assert first.kill(signal.SIGTERM) == 0
    assert group_exists(pgid)  # the attempt goes on without its conductor
    assert "1 running attempt(s) go on and are picked up at the next start" in first.log

    second = conductors({"kill_grace_seconds": 1.0})
    (ws / "go").touch()
    second.wait_for_job(job, "completed")
    assert [len(lines(ws / f"runs-{n}.txt")) for n in (1, 2, 3)] == [1, 1, 1]


def test_stop_refuses_while_jobs_run_unless_drained_or_forced(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(GATED_CHAIN))
    conductor.wait_until(lambda: len(lines(ws / "runs-2.txt")) == 1, 15, "sheet 2 to start")
    with pytest.raises(RemoteError) as refused:
        conductor.request(DAEMON_SHUTDOWN({}))
    assert "1 job(s) are running; 'podium stop --drain' waits" in refused.value.message
    assert conductor.request(DAEMON_SHUTDOWN({"drain": True}))["drain"] is True
    assert conductor.process is not None and conductor.process.poll() is None  # draining
    (ws / "go").touch()  # sheet 2's attempt ends; sheet 3 does not start
    assert conductor.process.wait(timeout=15) == 0
    assert "draining: no new jobs or attempts; waiting for 1 running attempt(s)" in conductor.log
    assert "0 running attempt(s) go on" in conductor.log
    rows = conductor.query("SELECT sheet, outcome FROM attempts ORDER BY sheet")
    assert rows[-1][0] == 2  # nothing new started while draining
    assert job


def test_a_drain_ends_after_the_shutdown_timeout_leaving_the_attempt_running(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    conductor = conductors({"shutdown_timeout_seconds": 0.5})
    job = conductor.submit(write_score(GATED_CHAIN))
    conductor.wait_until(lambda: len(lines(ws / "runs-2.txt")) == 1, 15, "sheet 2 to start")
    _, pgid = conductor.wait_for_recorded_attempt(sheet=2)

    conductor.request(DAEMON_SHUTDOWN({"drain": True}))

    assert conductor.process is not None
    assert conductor.process.wait(timeout=15) == 0  # the gate never opened
    assert "drained for shutdown_timeout_seconds (0.5s): stopping with 1 attempt(s)" in (
        conductor.log
    )
    assert group_exists(pgid)  # and the attempt goes on for the next conductor
    second = conductors()
    (ws / "go").touch()
    second.wait_for_job(job, "completed")
    assert [len(lines(ws / f"runs-{n}.txt")) for n in (1, 2, 3)] == [1, 1, 1]


def test_a_second_conductor_on_the_same_state_refuses_to_start(conductor: ConductorProcess) -> None:
    other = subprocess.run(
        [sys.executable, "-m", "podium.conductor.daemon"],
        env=conductor.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert other.returncode == 3
    assert "a conductor is already running (pid" in other.stderr
    assert conductor.request(DAEMON_STATUS({}))["pid"] == conductor.process.pid  # type: ignore[union-attr]


def test_an_attempt_lost_with_its_conductor_is_retried_without_spending_the_budget(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 1.0})
    job, _ = killed_while_sheet_2_runs(
        first, write_score(GATED_CHAIN.replace("max_retries: 3", "max_retries: 0"))
    )
    first.kill_running_attempts()  # gone with the machine, say: no process, no exit status
    handed_over = first.home / "jobs" / job / "sheets" / "2" / "attempt-1.input"
    assert handed_over.exists()  # the script, as written, secrets and all

    second = conductors({"kill_grace_seconds": 1.0})
    second.wait_until(lambda: len(lines(ws / "runs-2.txt")) == 2, 15, "sheet 2 to run again")
    assert not handed_over.exists()
    (ws / "go").touch()
    done = second.wait_for_job(job, "completed")
    assert [(n, outcome) for n, outcome, _ in attempts(second, 2)] == [
        (1, "interrupted"),
        (2, "succeeded"),
    ]
    assert done["sheets"][1]["attempts"] == 2


def test_processes_left_by_an_attempt_whose_leader_died_are_stopped_at_restart(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    score = write_score("""
        name: leaky
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            bash -c 'trap "" TERM; echo $$ >> helpers.txt; exec sleep 300' &
            while [ ! -e go ]; do sleep 0.02; done
    """)
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(score)
    first.wait_until(lambda: len(lines(ws / "helpers.txt")) == 1, 15, "the helper to start")
    leader, _ = first.wait_for_recorded_attempt()
    first.kill(signal.SIGKILL)
    os.kill(leader, signal.SIGKILL)  # the attempt's own process dies; its helper lives on
    helper = int(lines(ws / "helpers.txt")[0])
    assert processes.running(helper)

    second = conductors({"kill_grace_seconds": 0.5})
    assert not processes.running(helper)
    second.wait_until(lambda: len(lines(ws / "helpers.txt")) == 2, 15, "the retry to start")
    (ws / "go").touch()
    second.wait_for_job(job, "completed")
    assert not processes.running(int(lines(ws / "helpers.txt")[1]))  # stopped when it ended
    assert "left processes behind; stopping them" in second.log


def test_an_attempt_whose_pid_was_never_recorded_is_found_by_its_marker_and_reattached(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(write_score(GATED_CHAIN))
    first.wait_until(lambda: len(lines(ws / "runs-2.txt")) == 1, 15, "sheet 2 to start")
    _, pgid = first.wait_for_recorded_attempt(sheet=2)
    first.kill(signal.SIGKILL)
    first.query("UPDATE attempts SET pid = NULL, pgid = NULL, start_ticks = NULL")
    assert group_exists(pgid)

    second = conductors({"kill_grace_seconds": 0.5})
    assert group_exists(pgid)
    assert second.query("SELECT pgid FROM attempts WHERE sheet = 2") == [(pgid,)]
    (ws / "go").touch()
    second.wait_for_job(job, "completed")
    assert len(lines(ws / "runs-2.txt")) == 1


def test_a_job_whose_score_no_longer_compiles_fails_and_the_others_go_on(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    first = conductors({"kill_grace_seconds": 0.5})
    broken = first.submit(write_score(GATED_CHAIN, "broken.yaml"))
    fine = first.submit(write_score(GATED_CHAIN.replace("./ws", "./other"), "fine.yaml"))
    first.wait_until(lambda: len(lines(tmp_path / "other" / "runs-2.txt")) == 1, 15, "sheet 2")
    first.kill(signal.SIGKILL)
    first.query("UPDATE job_specs SET snapshot = 'name: [' WHERE job_id = ?", broken)

    second = conductors({"kill_grace_seconds": 0.5})
    failed = second.wait_for_job(broken, "failed")
    assert str(failed["error"]).startswith("cannot go on after a restart: ")
    assert {s["status"] for s in failed["sheets"][1:]} == {"cancelled"}
    (tmp_path / "other" / "go").touch()
    second.wait_for_job(fine, "completed")


def test_a_recovered_job_keeps_the_template_it_was_submitted_with(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "steps.j2").write_text(
        'echo "v1 {{ sheet_num }}" >> log.txt\n'
        "{% if sheet_num == 1 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}\n"
    )
    score = write_score("""
        name: pinned
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 2}
        prompt: {template_file: steps.j2}
    """)
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(score)
    first.wait_until((tmp_path / "ws" / "log.txt").exists, 15, "sheet 1 to start")
    first.kill(signal.SIGKILL)
    (tmp_path / "steps.j2").write_text('echo "v2 {{ sheet_num }}" >> log.txt\n')

    second = conductors({"kill_grace_seconds": 0.5})
    (tmp_path / "ws" / "go").touch()
    second.wait_for_job(job, "completed")
    # Sheet 1's attempt went on (re-attached); sheet 2 still runs the template as submitted.
    assert lines(tmp_path / "ws" / "log.txt") == ["v1 1", "v1 2"]


def test_a_reattached_attempt_keeps_its_timeout_and_can_be_cancelled(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 0.5})
    stuck, pgid = killed_while_sheet_2_runs(
        first,
        write_score(
            GATED_CHAIN.replace("name: gated", "name: stuck").replace(
                "pause_between_sheets_seconds: 0",
                "pause_between_sheets_seconds: 0\n    instrument_config: {timeout_seconds: 10}",
            ),
            "stuck.yaml",
        ),
    )
    second = conductors({"kill_grace_seconds": 0.5})
    # Started before the crash, it times out 10 s after it started, not 10 s after the restart.
    # (Long enough for the first conductor to be killed before it, however busy the machine.)
    second.wait_until(
        lambda: (
            second.query("SELECT outcome FROM attempts WHERE sheet = 2 AND attempt = 1")
            == [("timed_out",)]
        ),
        30,
        "the re-attached attempt to time out",
    )
    assert not group_exists(pgid)
    second.wait_until(lambda: len(lines(ws / "runs-2.txt")) == 2, 15, "the retry to start")
    second.request(JOB_CANCEL({"job_id": stuck}))
    second.wait_for_job(stuck, "cancelled")


def test_cancelling_a_reattached_attempt_stops_its_whole_group(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors({"kill_grace_seconds": 0.5})
    job, pgid = killed_while_sheet_2_runs(first, write_score(GATED_CHAIN))
    second = conductors({"kill_grace_seconds": 0.5})
    assert group_exists(pgid)
    second.request(JOB_CANCEL({"job_id": job}))
    second.wait_for_job(job, "cancelled")
    second.wait_until(lambda: not group_exists(pgid), 10, "the attempt's group to go")
    assert len(lines(ws / "runs-2.txt")) == 1


def test_the_same_process_finishes_across_a_crash_and_its_output_is_whole(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    score = write_score("""
        name: long
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            echo "started by $$"; echo $$ > pid
            while [ ! -e go ]; do sleep 0.02; done
            echo "finished by $$"
        validations:
          - type: file_exists
            path: "{workspace}/pid"
    """)
    first = conductors({"kill_grace_seconds": 0.5})
    job = first.submit(score)
    first.wait_until((ws / "pid").exists, 15, "the attempt to start")
    first.kill(signal.SIGKILL)
    (ws / "go").touch()  # it finishes while no conductor watches, or just after the restart

    second = conductors({"kill_grace_seconds": 0.5})
    done = second.wait_for_job(job, "completed")
    pid = (ws / "pid").read_text().strip()
    output = (second.home / "jobs" / job / "sheets" / "1" / "attempt-1.stdout.log").read_text()
    assert output == f"started by {pid}\nfinished by {pid}\n"
    assert (ws / "logs" / "sheet-01.stdout.log").read_text() == output
    assert done["sheets"][0]["attempts"] == 1
    assert not processes.running(int(pid))
