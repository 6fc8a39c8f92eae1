"""pause, resume, modify, cancel, rate-limits and clear-rate-limits as a user types them."""

import json
import subprocess
import textwrap
from pathlib import Path

from tests.e2e.conftest import User, wait_for

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo run >> runs-{{ sheet_num }}.txt
        {% if sheet_num == 1 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}
"""


def write(folder: Path, text: str, name: str = "gated.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def job_status(podium: User, job: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(podium("status", job, "--json").stdout)
    return found


def test_pause_status_and_resume_as_a_user_does(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, GATED)
    assert podium("run", str(score), "--no-wait").returncode == 0
    ws = tmp_path / "ws"
    wait_for((ws / "runs-1.txt").exists, "sheet 1 to start")
    paused = podium("pause", "gated")
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout == (
        "job gated: paused; 1 attempt(s) in flight will finish and be recorded\n"
    )
    (ws / "go").touch()
    wait_for(lambda: job_status(podium, "gated")["completed_sheets"] == 1, "sheet 1 to finish")
    shown = podium("status", "gated").stdout
    assert "gated  paused  1/2 sheets completed" in shown
    assert "note       paused by the user" in shown
    assert "paused by the user" in shown.split("history (latest last):")[1]
    resumed = podium("resume", "gated", "--json")
    assert json.loads(resumed.stdout) == {"job_id": "gated", "message": "resumed"}
    wait_for(lambda: job_status(podium, "gated")["status"] == "completed", "the job to end")


def test_a_followed_job_that_is_paused_stops_the_follow_with_exit_3(
    podium: User, tmp_path: Path
) -> None:
    score = write(tmp_path, GATED)
    follow = subprocess.Popen(
        podium.argv("run", str(score), "--wait"),
        env=podium.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ws = tmp_path / "ws"
    wait_for((ws / "runs-1.txt").exists, "sheet 1 to start")
    assert podium("pause", "gated").returncode == 0
    out, _ = follow.communicate(timeout=30)
    assert follow.returncode == 3
    assert "job gated paused (0/2 sheets): paused by the user; 'podium resume gated' goes on" in out


def test_cancel_then_resume_and_what_is_refused(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, GATED)
    podium("run", str(score), "--no-wait")
    ws = tmp_path / "ws"
    wait_for((ws / "runs-1.txt").exists, "sheet 1 to start")
    cancelled = podium("cancel", "gated")
    assert cancelled.stdout == "job gated: cancelled; stopping 1 running attempt(s)\n"
    again = podium("cancel", "gated")
    assert again.returncode == 2
    assert (
        again.stderr == "podium: job 'gated' has cancelled; only an active job can be cancelled\n"
    )
    unknown = podium("resume", "nope")
    assert unknown.returncode == 2 and "no job or fleet 'nope'" in unknown.stderr
    (ws / "go").touch()
    assert podium("resume", "gated").returncode == 0
    wait_for(lambda: job_status(podium, "gated")["status"] == "completed", "the job to end")
    done = podium("resume", "gated")
    assert done.returncode == 2
    assert "has completed; only a paused, failed or cancelled job can be resumed" in done.stderr


def test_modify_gives_a_running_job_a_new_score(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, GATED)
    podium("run", str(score), "--no-wait")
    ws = tmp_path / "ws"
    wait_for((ws / "runs-1.txt").exists, "sheet 1 to start")
    bigger = write(tmp_path, GATED.replace("total_items: 2", "total_items: 3"), "bigger.yaml")
    modified = podium("modify", "gated", "bigger.yaml", cwd=tmp_path)
    assert modified.returncode == 0, modified.stderr
    assert "it goes on once its 1 attempt(s) in flight have ended" in modified.stdout
    (ws / "go").touch()
    wait_for(lambda: job_status(podium, "gated")["status"] == "completed", "the job to end")
    final = job_status(podium, "gated")
    assert (final["total_sheets"], final["score_path"]) == (3, str(bigger))


def test_rate_limits_are_listed_and_cleared(podium: User, tmp_path: Path) -> None:
    score = write(
        tmp_path,
        """
        name: limited
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        rate_limit: {detection_patterns: ["usage limit"]}
        prompt:
          template: |
            [ -e limited ] && exit 0
            touch limited
            echo "You have hit your usage limit. Try again in 2 hours." >&2
            exit 1
        """,
        "limited.yaml",
    )
    podium("run", str(score), "--no-wait")
    wait_for(
        lambda: json.loads(podium("rate-limits", "--json").stdout)["rate_limits"] != [],
        "the rate limit",
    )
    listed = podium("rate-limits").stdout
    assert listed.startswith("cli: rate limited until ")
    assert "usage limit" in listed
    shown = podium("status", "limited").stdout
    assert "waiting    cli: rate limited until" in shown
    [row] = [line for line in shown.splitlines() if line.split()[:2] == ["1", "waiting"]]
    assert "rate limited until" in row
    cleared = podium("clear-rate-limits", "--instrument", "cli")
    assert cleared.stdout == "cleared 1 rate limit(s); 1 waiting sheet(s) may run now\n"
    wait_for(lambda: job_status(podium, "limited")["status"] == "completed", "the job to end")
    assert podium("rate-limits").stdout == "no rate limits\n"


def test_run_start_sheet_skips_the_earlier_sheets(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, GATED.replace("{% if sheet_num == 1 %}", "{% if false %}"))
    run = podium("run", str(score), "--start-sheet", "2", "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sheet 1   skipped   skipped: the job started at sheet 2" in run.stdout
    assert not (tmp_path / "ws" / "runs-1.txt").exists()
    wrong = podium("run", str(score), "--start-sheet", "5")
    assert wrong.returncode == 2
    assert wrong.stderr.endswith("--start-sheet 5: the score has sheets 1 to 2\n")


def test_run_fresh_archives_the_previous_workspace_first(podium: User, tmp_path: Path) -> None:
    score = write(
        tmp_path,
        """
        name: iterate
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        workspace_lifecycle: {archive_on_fresh: true}
        retry: {max_retries: 0}
        prompt:
          template: '[ ! -e result.txt ] && echo new > result.txt'
        validations:
          - {type: file_exists, path: "{workspace}/result.txt"}
        """,
        "iterate.yaml",
    )
    assert podium("run", str(score), "--wait").returncode == 0
    again = podium("run", str(score), "--wait")  # result.txt is there: the script fails
    assert again.returncode == 3
    fresh = podium("run", str(score), "--fresh", "--wait")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    ws = tmp_path / "ws"
    assert f"archived the workspace's previous contents to {ws}/archive/iteration-1" in fresh.stderr
    assert (ws / "archive" / "iteration-1" / "result.txt").read_text() == "new\n"
    assert "started fresh" in podium("status", "iterate-3").stdout


STUCK_ONCE = """
    name: stuck
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 1}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo run >> runs.txt
        if [ ! -e ran ]; then touch ran; sleep 300; fi
"""


def test_kill_stops_a_stuck_attempt_and_its_sheet_runs_again_without_spending_retries(
    podium: User, tmp_path: Path
) -> None:
    score = write(tmp_path, STUCK_ONCE, "stuck.yaml")
    assert podium("run", str(score), "--no-wait").returncode == 0
    wait_for((tmp_path / "ws" / "ran").exists, "the first attempt to start")
    killed = podium("kill", "stuck", "1")
    assert killed.returncode == 0, killed.stderr
    assert killed.stdout == (
        "job stuck: stopping attempt 1 of sheet 1; the sheet runs again, its retries untouched\n"
    )
    wait_for(lambda: job_status(podium, "stuck")["status"] == "completed", "the job to end")
    assert (tmp_path / "ws" / "runs.txt").read_text() == "run\nrun\n"
    history = json.loads(podium("history", "stuck", "--json").stdout)
    outcomes = [(a["attempt"], a["outcome"]) for a in history["attempts"]]
    assert sorted(outcomes) == [(1, "stopped"), (2, "succeeded")]
    again = podium("kill", "stuck", "1")
    assert again.returncode == 2
    assert "only an active job can be told to stop an attempt" in again.stderr
