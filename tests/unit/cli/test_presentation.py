"""What the CLI prints, from the conductor's answers (no conductor needed)."""

import io
from typing import Any, cast

import pytest

from podium.cli import exits
from podium.cli.follow import Follower, verdict
from podium.cli.main import build_parser
from podium.cli.output import duration, table
from podium.ipc.schema import JobStatusResult, SheetInfo


def sheet(num: int, status: str, attempts: int, at: float, error: str | None = None) -> SheetInfo:
    found = {
        "num": num,
        "status": status,
        "attempts": attempts,
        "max_attempts": 3,
        "updated_at": at,
        "error": error,
        "logs": f"/logs/{num}",
    }
    return cast("SheetInfo", found)


def job(status: str, *sheets: SheetInfo, **changes: Any) -> JobStatusResult:
    found = {
        "job_id": "demo",
        "status": status,
        "submitted_at": 100.0,
        "started_at": 100.0,
        "finished_at": None if status == "running" else 112.5,
        "error": None,
        "completed_sheets": sum(s["status"] == "completed" for s in sheets),
        "total_sheets": len(sheets),
        "sheets": list(sheets),
    }
    return cast("JobStatusResult", {**found, **changes})


def test_following_prints_each_change_once_and_notes_retries() -> None:
    out = io.StringIO()
    follower = Follower(out, color=False)
    follower.update(job("running", sheet(1, "running", 1, 100.2), sheet(2, "pending", 0, 100)))
    follower.update(job("running", sheet(1, "running", 1, 100.2), sheet(2, "pending", 0, 100)))
    follower.update(
        job(
            "running",
            sheet(1, "running", 2, 103.0, error="exit code 1: boom"),
            sheet(2, "pending", 0, 100),
        )
    )
    follower.update(
        job(
            "running",
            sheet(1, "completed", 2, 104.0),
            sheet(2, "skipped", 0, 104.0, error="skipped: sheet 1 failed"),
        )
    )
    assert out.getvalue().splitlines() == [
        "[  0.2s] sheet 1   running   attempt 1/3",
        "[  3.0s] sheet 1   running   attempt 2/3, retrying after: exit code 1: boom",
        "[  4.0s] sheet 1   completed",
        "[  4.0s] sheet 2   skipped   skipped: sheet 1 failed",
    ]


def test_the_verdict_names_the_failing_sheet_and_where_its_logs_are() -> None:
    out = io.StringIO()
    code = verdict(
        job(
            "failed",
            sheet(1, "completed", 1, 101),
            sheet(2, "failed", 3, 112, error="exit code 2"),
            error="sheet 2 failed after 3 attempts: exit code 2",
        ),
        out,
        color=False,
    )
    assert code == exits.JOB_FAILED
    assert out.getvalue().splitlines() == [
        "job demo failed after 12s (1/2 sheets): sheet 2 failed after 3 attempts: exit code 2",
        "  logs of sheet 2: /logs/2",
        "  details: podium status demo",
    ]
    done = io.StringIO()
    assert verdict(job("completed", sheet(1, "completed", 1, 101)), done, False) == exits.OK
    assert done.getvalue() == "job demo completed: 1/1 sheets in 12s\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.0s"),
        (9.96, "10.0s"),
        (42, "42s"),
        (184, "3m04s"),
        (7500, "2h05m"),
        (3 * 86400 + 4 * 3600, "3d04h"),
    ],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_tables_align_on_visible_width() -> None:
    colored = [["\033[32mok\033[0m", "x"]]
    assert table(["A", "B"], colored, [["ok", "x"]]).splitlines() == [
        "A   B",
        "\033[32mok\033[0m  x",
    ]


def test_run_waits_by_default_only_on_a_terminal() -> None:
    parser = build_parser()
    assert parser.parse_args(["run", "s.yaml"]).wait is None
    assert parser.parse_args(["run", "s.yaml", "--wait"]).wait is True
    assert parser.parse_args(["run", "s.yaml", "--detach"]).wait is False


def test_a_waiting_sheet_says_what_for_and_until_when() -> None:
    import time

    from podium.cli.follow import waiting_for

    at = time.mktime((2020, 1, 2, 15, 0, 0, 0, 0, -1))  # not today: shown with its date

    def waiting(wait: str, due: float | None = at, error: str = "exit code 1: 429") -> SheetInfo:
        return cast("SheetInfo", {"due": due, "error": error, "wait": wait})

    assert waiting_for(waiting("rate_limit")) == (
        "rate limited until 2020-01-02 15:00: exit code 1: 429"
    )
    assert waiting_for(waiting("retry")).startswith("retry at ")
    assert waiting_for(waiting("completion")).startswith("completion attempt at ")
    assert waiting_for(waiting("retry", None, "x")) == "retry at soon after: x"


def test_following_ends_at_a_pause_and_at_a_held_chain() -> None:
    paused = job("paused", sheet(1, "ready", 0, 100), detail="paused by the user")
    out = io.StringIO()
    assert verdict(paused, out, color=False) == exits.JOB_FAILED
    assert out.getvalue() == (
        "job demo paused (0/1 sheets): paused by the user; 'podium resume demo' goes on\n"
    )
    held = job("paused_at_chain", sheet(1, "completed", 1, 101))
    out = io.StringIO()
    assert verdict(held, out, color=False) == exits.OK
    assert out.getvalue().splitlines() == [
        "job demo completed: 1/1 sheets in 12s",
        "  it holds its chain: 'podium resume demo' starts the next job",
    ]
