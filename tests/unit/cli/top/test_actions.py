"""Which request each action key of `podium top` sends, what it asks first, or why not."""

from __future__ import annotations

import pytest

from podium.cli.top.actions import Action, Selection, plan

RUNNING = Selection("a", "running")


@pytest.mark.parametrize(
    ("key", "selection", "question"),
    [
        ("p", RUNNING, "Pause job a?"),
        ("r", Selection("a", "paused"), "Resume job a?"),
        ("r", Selection("a", "failed"), "Resume job a?"),
        ("c", RUNNING, "Cancel job a?"),
        (
            "R",
            Selection("a", "failed", 3, "failed"),
            "Recover sheet 3 of job a (check it again, as 'podium recover')?",
        ),
        (
            "x",
            Selection("a", "running", 2, "running"),
            "Kill the running attempt of sheet 2 of job a (it runs again, its retries untouched)?",
        ),
    ],
)
def test_an_action_asks_before_it_is_sent(key: str, selection: Selection, question: str) -> None:
    planned = plan(key, selection, readonly=False)
    assert isinstance(planned, Action)
    assert planned.question == question


@pytest.mark.parametrize(
    ("key", "selection", "refusal"),
    [
        (
            "p",
            Selection("a", "completed"),
            "job a is completed: only a queued or running job pauses",
        ),
        ("r", RUNNING, "job a is running: only a paused, failed or cancelled job resumes"),
        ("c", Selection("a", "cancelled"), "job a is cancelled already"),
        ("R", RUNNING, "select a failed sheet to retry (Enter shows a job's sheets)"),
        (
            "R",
            Selection("a", "running", 2, "running"),
            "sheet 2 is running: only a failed sheet is retried",
        ),
        ("x", RUNNING, "select a running sheet (or one of its processes) to kill its attempt"),
        (
            "x",
            Selection("a", "running", 2, "completed"),
            "sheet 2 is completed: only a running attempt is killed",
        ),
        ("p", None, "select a job first (pause)"),
        ("a", RUNNING, "select a sheet awaiting approval to approve it"),
        (
            "S",
            Selection("a", "running", 1, "running"),
            "select a sheet awaiting approval to skip it",
        ),
    ],
)
def test_an_action_that_cannot_be_says_why(
    key: str, selection: Selection | None, refusal: str
) -> None:
    assert plan(key, selection, readonly=False) == refusal


@pytest.mark.parametrize("key", ["p", "r", "c", "R", "x", "a", "d", "S"])
def test_read_only_disables_every_action(key: str) -> None:
    refusal = plan(key, Selection("a", "failed", 1, "failed"), readonly=True)
    assert isinstance(refusal, str)
    assert refusal.startswith("read-only (--readonly): ")
