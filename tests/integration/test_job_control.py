"""Pause, resume, modify, cancel, rate limits and skip conditions on a real conductor."""

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc import protocol
from podium.ipc.client import RemoteError
from podium.ipc.methods import (
    DAEMON_CLEAR_RATE_LIMITS,
    DAEMON_RATE_LIMITS,
    JOB_CANCEL,
    JOB_MODIFY,
    JOB_PAUSE,
    JOB_RESUME,
    JOB_SUBMIT,
)
from podium.ipc.stream import Subscription
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess
from tests.files import written
from tests.integration.test_event_stream import read_until

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
        {% if sheet_num == 1 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}
"""

SECOND_TIME_LUCKY = """
    name: lucky
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
        {% if sheet_num == 1 %}
        if [ ! -e first ]; then touch first; echo $$ > pid; sleep 600; fi
        {% endif %}
"""


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def status_of(conductor: ConductorProcess, job: str) -> tuple[str, list[str]]:
    found = conductor.status(job)
    return found["status"], [s["status"] for s in found["sheets"]]


def history(conductor: ConductorProcess, job: str) -> list[str]:
    return [n["text"] for n in conductor.status(job)["history"]]


def test_pause_lets_the_running_sheet_finish_and_resume_goes_on(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(GATED))
    conductor.wait_until(lambda: bool(lines(ws / "runs-1.txt")), 15, "sheet 1 to start")
    done = conductor.request(JOB_PAUSE({"job_id": job}))
    assert done == {
        "job_id": job,
        "message": "paused; 1 attempt(s) in flight will finish and be recorded",
    }
    (ws / "go").touch()
    conductor.wait_until(
        lambda: status_of(conductor, job) == ("paused", ["completed", "ready", "pending"]),
        15,
        "sheet 1 to complete while paused",
    )
    assert not (ws / "runs-2.txt").exists()
    with pytest.raises(RemoteError) as again:
        conductor.request(JOB_RESUME({"job_id": "nobody"}))
    assert again.value.code == protocol.JOB_NOT_FOUND
    conductor.request(JOB_RESUME({"job_id": job}))
    conductor.wait_for_job(job, "completed")
    assert [len(lines(ws / f"runs-{n}.txt")) for n in (1, 2, 3)] == [1, 1, 1]
    assert history(conductor, job)[:2] == ["paused by the user", "resumed"]


def test_a_forced_pause_stops_the_attempt_and_resume_runs_it_without_spending_budget(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(SECOND_TIME_LUCKY))
    conductor.wait_until(lambda: written(ws / "pid"), 15, "sheet 1 to start")
    _, pgid = conductor.wait_for_recorded_attempt(1)  # the script's shell is not its leader
    done = conductor.request(JOB_PAUSE({"job_id": job, "force": True}))
    assert "stopping 1 running attempt(s)" in done["message"]
    conductor.wait_until(
        lambda: status_of(conductor, job) == ("paused", ["ready", "pending"]),
        15,
        "the attempt to stop",
    )
    assert not group_exists(pgid)
    conductor.request(JOB_RESUME({"job_id": job}))
    done_job = conductor.wait_for_job(job, "completed")
    assert done_job["sheets"][0]["attempts"] == 2  # with max_retries: 0
    outcomes = conductor.query("SELECT outcome FROM attempts WHERE sheet = 1 ORDER BY attempt")
    assert outcomes == [("stopped",), ("succeeded",)]


def test_a_paused_job_stays_paused_across_a_restart(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    first = conductors()
    job = first.submit(write_score(GATED))
    first.wait_until(lambda: bool(lines(ws / "runs-1.txt")), 15, "sheet 1 to start")
    first.request(JOB_PAUSE({"job_id": job}))
    (ws / "go").touch()
    first.wait_until(lambda: status_of(first, job)[1][0] == "completed", 15, "sheet 1")
    first.stop()
    second = conductors()
    assert status_of(second, job) == ("paused", ["completed", "ready", "pending"])
    assert second.status(job)["detail"] == "paused by the user"
    second.request(JOB_RESUME({"job_id": job}))
    second.wait_for_job(job, "completed")
    assert len(lines(ws / "runs-1.txt")) == 1


def test_cancel_stops_the_process_group_and_resume_runs_the_cancelled_sheets(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(SECOND_TIME_LUCKY))
    conductor.wait_until(lambda: written(ws / "pid"), 15, "sheet 1 to start")
    _, pgid = conductor.wait_for_recorded_attempt(1)  # the script's shell is not its leader
    assert conductor.request(JOB_CANCEL({"job_id": job}))["message"] == (
        "cancelled; stopping 1 running attempt(s)"
    )
    conductor.wait_until(lambda: not group_exists(pgid), 15, "the attempt's group to go")
    assert status_of(conductor, job) == ("cancelled", ["cancelled", "cancelled"])
    with pytest.raises(RemoteError) as refused:
        conductor.request(JOB_PAUSE({"job_id": job}))
    assert refused.value.code == protocol.JOB_NOT_RESUMABLE
    assert "has cancelled" in refused.value.message
    conductor.request(JOB_RESUME({"job_id": job}))
    conductor.wait_for_job(job, "completed")


def test_resume_reloads_the_fixed_score_and_keeps_completed_sheets(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    broken = GATED.replace("while [ ! -e go ]; do sleep 0.02; done", "true").replace(
        "{% endif %}", "{% endif %}\n        {% if sheet_num == 2 %}exit 3{% endif %}"
    )
    score = write_score(broken)
    job = conductor.submit(score)
    failed = conductor.wait_for_job(job, "failed")
    assert str(failed["error"]).startswith("sheet 2 failed after 1 attempt: exit code 3")
    score.write_text(score.read_text().replace("exit 3", "true"))
    conductor.request(JOB_RESUME({"job_id": job, "no_reload": True}))  # the broken snapshot
    conductor.wait_until(
        lambda: len(lines(tmp_path / "ws" / "runs-2.txt")) == 2, 15, "sheet 2 to run again"
    )
    conductor.wait_for_job(job, "failed")
    conductor.request(JOB_RESUME({"job_id": job}))
    conductor.wait_for_job(job, "completed")
    ws = tmp_path / "ws"
    assert [len(lines(ws / f"runs-{n}.txt")) for n in (1, 2, 3)] == [1, 3, 1]


def test_modify_lets_the_running_sheet_finish_then_runs_the_new_score(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    job = conductor.submit(write_score(GATED))
    conductor.wait_until(lambda: bool(lines(ws / "runs-1.txt")), 15, "sheet 1 to start")
    bigger = write_score(GATED.replace("total_items: 3", "total_items: 4"), "bigger.yaml")
    done = conductor.request(JOB_MODIFY({"job_id": job, "score_path": str(bigger)}))
    assert "once its 1 attempt(s) in flight have ended" in done["message"]
    assert conductor.status(job)["status"] == "paused"
    (ws / "go").touch()
    finished = conductor.wait_for_job(job, "completed")
    assert finished["total_sheets"] == 4
    assert finished["score_path"] == str(bigger)
    assert [len(lines(ws / f"runs-{n}.txt")) for n in (1, 2, 3, 4)] == [1, 1, 1, 1]
    assert any("now runs its new score: 3 → 4 sheets" in n for n in history(conductor, job))


RATE_LIMITED_ONCE = """
    name: limited
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    retry: {max_retries: 0}
    rate_limit: {detection_patterns: ["rate limit"]}
    prompt:
      template: |
        echo run >> runs.txt
        if [ ! -e limited ]; then
          touch limited
          echo "Error: rate limit exceeded. {message}" >&2
          exit 1
        fi
"""


def test_a_rate_limited_attempt_waits_for_the_reset_and_spends_no_budget(
    virtual_conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    conductor = virtual_conductor
    score = write_score(RATE_LIMITED_ONCE.replace("{message}", "Retry after 20 minutes"))
    # The wait passes in a moment of real time: the stream tells it whole, however brief.
    with Subscription(str(conductor.socket), {"kinds": ["sheet", "rate_limit"]}) as stream:
        job = conductor.submit(score)
        told = read_until(
            stream, lambda e: e["kind"] == "sheet" and e["data"]["status"] == "completed"
        )
    [waiting] = [
        e["data"] for e in told if e["kind"] == "sheet" and e["data"]["status"] == "waiting"
    ]
    assert waiting["wait"] == "rate_limit"
    [window, cleared] = [e["data"] for e in told if e["kind"] == "rate_limit"]
    assert (window["instrument"], window["model"]) == ("cli", None)
    assert "rate limit exceeded" in window["reason"]
    assert (cleared["instrument"], cleared["until"]) == ("cli", None)
    done = conductor.wait_for_job(job, "completed", timeout=30)
    assert done["sheets"][0]["attempts"] == 2  # with max_retries: 0
    outcomes = conductor.query("SELECT outcome FROM attempts ORDER BY attempt")
    assert outcomes == [("rate_limited",), ("succeeded",)]
    assert conductor.request(DAEMON_RATE_LIMITS({})) == {"rate_limits": []}
    [(_, limited_end), (retry_start, _)] = conductor.query(
        "SELECT started_at, COALESCE(exited_at, ended_at) FROM attempts ORDER BY attempt"
    )
    assert 20 * 60 <= retry_start - limited_end < 21 * 60  # the 20 minutes, on virtual time


def test_a_rate_limit_window_survives_a_restart_and_can_be_cleared(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    first = conductors()
    score = write_score(RATE_LIMITED_ONCE.replace("{message}", "Try again in 30 minutes."))
    job = first.submit(score)
    first.wait_until(
        lambda: bool(first.request(DAEMON_RATE_LIMITS({}))["rate_limits"]), 15, "the window"
    )
    first.stop()
    second = conductors()
    [window] = second.request(DAEMON_RATE_LIMITS({}))["rate_limits"]
    assert window["instrument"] == "cli"
    assert status_of(second, job) == ("running", ["waiting"])
    cleared = second.request(DAEMON_CLEAR_RATE_LIMITS({"instrument": "cli"}))
    assert cleared == {"message": "cleared 1 rate limit(s); 1 waiting sheet(s) may run now"}
    second.wait_for_job(job, "completed")
    assert len(lines(tmp_path / "ws" / "runs.txt")) == 2


def test_skip_when_command_skips_a_sheet_and_the_job_completes(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score("""
        name: skipping
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet:
          size: 1
          total_items: 3
          skip_when_command:
            2: {command: 'test -e {workspace}/converged'}
          skip_when:
            3: "sheets[2].skipped"
        prompt:
          template: |
            echo run >> runs-{{ sheet_num }}.txt
            touch converged
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    assert [s["status"] for s in done["sheets"]] == ["completed", "skipped", "skipped"]
    assert done["sheets"][1]["error"] == "skipped: skip_when_command exited 0"
    ws = tmp_path / "ws"
    assert not (ws / "runs-2.txt").exists() and not (ws / "runs-3.txt").exists()


def test_start_sheet_skips_the_earlier_sheets(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score(GATED.replace("{% if sheet_num == 1 %}", "{% if false %}"))
    job = conductor.request(JOB_SUBMIT({"score_path": str(score), "start_sheet": 3}))["job_id"]
    done = conductor.wait_for_job(job, "completed")
    assert [s["status"] for s in done["sheets"]] == ["skipped", "skipped", "completed"]
    assert not (tmp_path / "ws" / "runs-1.txt").exists()


def test_stopping_the_conductor_does_not_cancel_or_lose_a_waiting_retry(
    conductors: Callable[..., ConductorProcess], write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score("""
        name: retrying
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 1, base_delay_seconds: 300, jitter: false}
        prompt:
          template: |
            echo run >> runs.txt
            [ -e second ] || { touch second; exit 1; }
    """)
    # Its time jumps only after 2 s of real idleness: it stops while the retry waits.
    first = conductors(virtual=True, autojump=2.0)
    with Subscription(str(first.socket), {"kinds": ["sheet"]}) as stream:
        job = first.submit(score)
        read_until(stream, lambda e: e["data"]["status"] == "waiting")
        assert first.kill(signal.SIGTERM) == 0
    assert first.query("SELECT attempt FROM attempts") == [(1,)]
    second = conductors(virtual=True)
    done = second.wait_for_job(job, "completed")
    assert done["sheets"][0]["attempts"] == 2
    [(_, first_end), (retry_start, _)] = second.query(
        "SELECT started_at, COALESCE(exited_at, ended_at) FROM attempts ORDER BY attempt"
    )
    assert retry_start - first_end >= 300  # the retry kept its 5 min delay across the stop


def test_an_attempt_that_goes_silent_is_stopped_as_stale_and_retried(
    virtual_conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    conductor = virtual_conductor
    score = write_score("""
        name: silent
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 1, base_delay_seconds: 0.05, max_completion_attempts: 0}
        stale_detection: {enabled: true, idle_timeout_seconds: 600, check_interval_seconds: 30}
        prompt:
          template: |
            if [ ! -e once ]; then touch once; echo working; sleep 3600; fi
    """)
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed", timeout=30)
    assert done["sheets"][0]["attempts"] == 2
    rows = conductor.query("SELECT outcome, error FROM attempts ORDER BY attempt")
    assert rows[0] == ("stale", "stopped after 600s without output: working")
    assert rows[1][0] == "succeeded"


def test_a_completion_attempt_is_told_which_checks_failed(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    score = write_score("""
        name: partial
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        retry:
          max_retries: 0
          max_completion_attempts: 1
          completion_delay_seconds: 0
          completion_threshold_percent: 50
        prompt:
          template: |
            echo "$PODIUM_ATTEMPT_MODE" >> modes.txt
            printf '%s\\n' "$PODIUM_FAILED_CHECKS" > told.txt
            touch a.md
            [ "$PODIUM_ATTEMPT_MODE" = completion ] && touch b.md
            true
        validations:
          - {type: file_exists, path: "{workspace}/a.md", description: first part}
          - {type: file_exists, path: "{workspace}/b.md", description: second part}
    """)
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    ws = tmp_path / "ws"
    assert lines(ws / "modes.txt") == ["normal", "completion"]
    assert lines(ws / "told.txt") == [f"second part (file_exists {ws}/b.md): file not found"]
