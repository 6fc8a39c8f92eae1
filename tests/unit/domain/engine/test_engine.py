"""The engine through its harness: events in, commands out, with an explicit clock."""

import pytest

from podium.domain.commands import Accepted, JobEnded, Persist, Rejected
from podium.domain.engine import Limits
from podium.domain.ids import JobId
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import (
    EngineHarness,
    launched,
    make_plan,
    persisted,
    replies,
    validations_requested,
)


def statuses(h: EngineHarness, job: str = "job") -> dict[int, str]:
    view = h.engine.view(JobId(job))
    assert view is not None
    return {s.num: s.status.value for s in view.sheets}


def test_submission_is_persisted_before_the_reply_and_the_first_launch() -> None:
    h = EngineHarness()
    commands = h.submit(make_plan(sheets=3))
    assert isinstance(commands[0], Persist)
    assert commands[0].specs[0].plan.total_sheets == 3
    assert commands[0].jobs[0].status is JobStatus.RUNNING
    assert launched(commands) == [("job", 1)]
    assert [r.result for r in replies(commands)] == [Accepted(JobId("job"))]


def test_linear_chain_runs_sheets_one_after_another() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3))
    assert validations_requested(h.exit("job", 1)) == [("job", 1)]
    assert launched(h.validated("job", 1)) == [("job", 2)]
    assert launched(h.run_sheet("job", 2)) == [("job", 3)]
    commands = h.run_sheet("job", 3)
    assert JobEnded(JobId("job")) in commands
    job = persisted(commands)[0].jobs[0]
    assert job.status is JobStatus.COMPLETED
    assert job.completed_sheets == 3
    assert h.engine.view(JobId("job")) is None  # terminal jobs leave the engine


def test_independent_sheets_start_together_within_the_global_limit() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=2))
    commands = h.submit(make_plan({1: [], 2: [], 3: [], 4: [1, 2, 3]}, parallel=3))
    assert launched(commands) == [("job", 1), ("job", 2)]
    assert launched(h.run_sheet("job", 2)) == [("job", 3)]
    assert launched(h.run_sheet("job", 1)) == []
    assert launched(h.run_sheet("job", 3)) == [("job", 4)]


def test_a_sheet_whose_process_fails_is_retried_until_the_budget_is_spent() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, max_retries=2))
    assert launched(h.exit("job", 1, code=1, tail="boom\n")) == [("job", 1)]
    assert h.current_attempt("job", 1) == 2
    assert launched(h.exit("job", 1, code=1)) == [("job", 1)]
    commands = h.exit("job", 1, code=3, tail="first\nlast words\n")
    assert launched(commands) == []
    persist = persisted(commands)[0]
    job = persist.jobs[0]
    assert job.status is JobStatus.FAILED
    assert job.error == (
        "sheet 1 failed after 3 attempts: exit code 3: last words; "
        "1 sheet(s) not run because a sheet failed"
    )
    assert {s.num: s.status for s in persist.sheets} == {
        1: SheetStatus.FAILED,
        2: SheetStatus.SKIPPED,
    }
    assert persist.attempts[0].outcome is AttemptOutcome.FAILED
    assert persist.attempts[0].exit_code == 3


def test_failed_validations_retry_the_sheet_and_are_recorded() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=1))
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])
    assert launched(commands) == [("job", 1)]
    attempt = persisted(commands)[0].attempts[0]
    assert attempt.outcome is AttemptOutcome.VALIDATION_FAILED
    assert attempt.error is not None and "file not found" in attempt.error
    assert [r.passed for r in attempt.validations] == [True, False]
    h.exit("job", 1)
    commands = h.validated("job", 1)
    assert persisted(commands)[0].jobs[0].status is JobStatus.COMPLETED


@pytest.mark.parametrize(
    ("kwargs", "outcome", "error"),
    [
        ({"timed_out": True}, AttemptOutcome.TIMED_OUT, "timed out after 60s"),
        ({"signal": 9}, AttemptOutcome.CRASHED, "killed by SIGKILL"),
        ({"code": 2}, AttemptOutcome.FAILED, "exit code 2"),
    ],
)
def test_how_a_process_ended_decides_the_attempt_outcome(
    kwargs: dict[str, object], outcome: AttemptOutcome, error: str
) -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    attempt = persisted(h.exit("job", 1, **kwargs))[0].attempts[0]  # type: ignore[arg-type]
    assert (attempt.outcome, attempt.error) == (outcome, error)


def test_a_failure_skips_only_the_sheets_that_depend_on_it() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [1], 4: [3], 5: [2]}, parallel=2, fail_fast=False))
    assert launched(h.commands) == [("job", 1), ("job", 2)]
    h.exit("job", 1, code=1)
    assert statuses(h) == {1: "failed", 2: "running", 3: "skipped", 4: "skipped", 5: "pending"}
    assert launched(h.run_sheet("job", 2)) == [("job", 5)]
    commands = h.run_sheet("job", 5)
    job = persisted(commands)[0].jobs[0]
    assert job.status is JobStatus.FAILED
    assert "2 sheet(s) not run" in (job.error or "")


def test_a_second_submission_of_an_active_score_is_rejected() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="a", score_path="/s/a.yaml")
    commands = h.submit(make_plan(sheets=1), job_id="a-2", score_path="/s/a.yaml")
    [reply] = replies(commands)
    assert isinstance(reply.result, Rejected)
    assert "job 'a' is already running this score" in reply.result.reason
    assert persisted(commands) == []
    h.run_sheet("a", 1)
    [reply] = replies(h.submit(make_plan(sheets=1), job_id="a-2", score_path="/s/a.yaml"))
    assert reply.result == Accepted(JobId("a-2"))


def test_results_for_an_older_attempt_are_ignored() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=1))
    h.exit("job", 1, code=1)
    assert h.exit("job", 1, code=0, attempt=1) == []
    assert statuses(h) == {1: "running"}


def test_earlier_jobs_get_free_slots_first() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=1))
    h.submit(make_plan(sheets=2), job_id="a")
    h.submit(make_plan(sheets=1), job_id="b")
    assert launched(h.run_sheet("a", 1)) == [("a", 2)]
    assert launched(h.run_sheet("a", 2)) == [("b", 1)]


def test_a_sheet_that_can_be_placed_nowhere_fails_at_once_with_retries_left() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=3))
    commands = h.not_launched("job", 1, "no node offers instrument 'cli'", final=True)
    persist = persisted(commands)[0]
    assert [a.outcome for a in persist.attempts] == [AttemptOutcome.LAUNCH_FAILED]
    assert [s.status for s in persist.sheets] == [SheetStatus.FAILED]
    assert persist.jobs[0].status is JobStatus.FAILED
    assert launched(commands) == []


def test_launch_failures_count_as_failed_attempts() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    commands = h.not_launched("job", 1, "bash: not found")
    attempt = persisted(commands)[0].attempts[0]
    assert attempt.outcome is AttemptOutcome.LAUNCH_FAILED
    assert attempt.error == "could not start: bash: not found"
