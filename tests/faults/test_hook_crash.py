"""A conductor that dies while an `on_success` hook runs, or after it ended but before its end
was recorded: the hook runs once.

A command hook runs under the exit wrapper, like an attempt: the next conductor finishes it
from its exit file, or watches its process again (by its recorded pid, or by its marker when
none was recorded), and runs it again only when neither is left.
"""

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess
from tests.faults.statefs import fill, small_tmpfs

KILLER = """
    name: hooked
    workspace: ./ws
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    prompt: {{template: 'true'}}
    on_success:
      - type: run_command
        command: >-
          echo run >> {runs};
          if [ "$(wc -l < {runs})" -eq 1 ]; then kill -9 "$(cat {pid})"; fi;
          echo {marker}
"""

GATED = """
    name: hooked
    workspace: ./ws
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    prompt: {{template: 'true'}}
    on_success:
      - type: run_command
        command: 'echo start >> {runs}; while [ ! -e {gate} ]; do sleep 0.02; done; echo end >> {runs}'
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_hook_that_ended_before_its_end_was_recorded_runs_once(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    runs, pid = tmp_path / "runs.txt", tmp_path / "conductor.pid"
    score = write_score(KILLER.format(runs=runs, pid=pid, marker="hook-said-this"))
    first = conductors()
    assert first.process is not None
    pid.write_text(str(first.process.pid))
    job = first.submit(score)
    # The hook kills its conductor, then ends: no conductor ever heard how it ended.
    assert first.process.wait(timeout=30) == -signal.SIGKILL
    first.kill()  # only lets go of its socket: it is gone
    assert lines(runs) == ["run"]
    assert first.query("SELECT outcome FROM hook_results") == [("running",)]

    second = conductors()
    done = second.wait_for_job(job, "completed")
    assert lines(runs) == ["run"]  # not run a second time
    [hook] = done["hooks"]
    assert hook["outcome"] == "succeeded"
    assert "hook-said-this" in hook["output"]  # its output read from its file


def test_a_running_hook_whose_pid_was_never_recorded_is_found_by_its_marker(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    runs, gate = tmp_path / "runs.txt", tmp_path / "gate"
    first = conductors()
    job = first.submit(write_score(GATED.format(runs=runs, gate=gate)))
    rows = "SELECT pgid FROM hook_results WHERE pgid IS NOT NULL"
    first.wait_until(lambda: bool(lines(runs)) and bool(first.query(rows)), 15, "the hook")
    [(pgid,)] = first.query(rows)
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    first.query("UPDATE hook_results SET pid = NULL, pgid = NULL, start_ticks = NULL")

    second = conductors()
    assert group_exists(pgid)
    assert second.query("SELECT pgid FROM hook_results") == [(pgid,)]  # recorded now
    gate.touch()
    second.wait_for_job(job, "completed")
    assert lines(runs) == ["start", "end"]


def test_an_exit_file_left_by_an_earlier_run_of_the_hooks_is_not_taken_for_this_one(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    runs = tmp_path / "runs.txt"
    score = write_score(
        KILLER.format(runs=runs, pid=tmp_path / "none", marker="x").replace(
            'if [ "$(wc -l < '
            + str(runs)
            + ')" -eq 1 ]; then kill -9 "$(cat '
            + str(tmp_path / "none")
            + ')"; fi;',
            "",
        )
    )
    first = conductors()
    job = first.submit(score)
    first.wait_for_job(job, "completed")
    assert lines(runs) == ["run"]
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    # The store as a new run of the job's hooks leaves it when the conductor dies after
    # recording the hook's start, before starting its process: the exit file is the last
    # run's.
    started = time.time()
    first.query("UPDATE jobs SET status = 'running', hook = 1, finished_at = NULL")
    first.query(
        "UPDATE hook_results SET outcome = 'running', ended_at = NULL, started_at = ?, "
        "pid = NULL, pgid = NULL, start_ticks = NULL",
        started,
    )
    [exit_file] = (first.home / "jobs" / job / "hooks").glob("hook-1.exit")
    os.utime(exit_file, (started - 60, started - 60))

    second = conductors()
    second.wait_for_job(job, "completed")
    assert lines(runs) == ["run", "run"]  # this run's hook had not run: it runs now


def test_a_hook_runs_when_its_folder_has_no_room_for_its_exit_file(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    runs, gate = tmp_path / "runs.txt", tmp_path / "gate"
    first = conductors()
    score = GATED.format(runs=runs, gate=gate).replace(
        "prompt: {template: 'true'}",
        f"prompt: {{template: 'while [ ! -e {gate} ]; do sleep 0.02; done'}}",
    )
    job = first.submit(write_score(score))
    first.wait_until(lambda: first.status(job)["status"] == "running", 15, "the job to run")
    hooks = first.home / "jobs" / job / "hooks"
    with small_tmpfs(hooks, size_mb=1):
        fill(hooks)
        gate.touch()
        done = first.wait_for_job(job, "completed")
    assert lines(runs) == ["start", "end"]
    assert [h["outcome"] for h in done["hooks"]] == ["succeeded"]
