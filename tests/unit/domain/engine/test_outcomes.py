"""What an attempt that did not succeed leads to: retries after a backoff, completion
attempts, fall-backs, failures; and results that are no longer current."""

import pytest

from podium.domain.commands import Command
from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import RetryPolicy
from podium.domain.records import AttemptRecord
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, launches, make_plan, persisted, wakes
from tests.unit.domain.engine.helpers import NO_DELAYS, notes, policy


def attempt_rows(commands: list[Command]) -> list[AttemptRecord]:
    return [a for p in persisted(commands) for a in p.attempts]


def test_a_retry_waits_its_backoff_then_runs() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    commands = h.exit("job", 1, code=1)
    assert launched(commands) == [] and wakes(commands) == [h.clock.now() + 10.0]
    assert h.statuses() == {1: "waiting"}
    assert launched(h.advance(9.9)) == []
    assert launched(h.advance(0.1)) == [("job", 1)]
    h.exit("job", 1, code=1)
    assert launched(h.advance(19.9)) == []
    assert launched(h.advance(0.1)) == [("job", 1)]


def test_jittered_delays_are_the_same_for_the_same_attempt() -> None:
    plan = make_plan(sheets=1, policy=policy(retry=RetryPolicy(base_delay_seconds=10.0)))
    due = []
    for _ in range(2):
        h = EngineHarness()
        h.submit(plan)
        due.append(wakes(h.exit("job", 1, code=1)))
    assert due[0] == due[1]
    assert 1_800_000_005.0 <= due[0][0] <= 1_800_000_010.0


def test_partly_passed_validations_lead_to_a_completion_attempt_naming_the_failed_checks() -> None:
    retry = RetryPolicy(
        max_retries=0, max_completion_attempts=1, completion_delay_seconds=5.0, jitter=False
    )
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(retry=retry)))
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])
    assert launched(commands) == []
    [launch] = launches(h.advance(5.0))
    assert launch.completion_of == ("file_exists /workspace/out.txt: file not found",)
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])  # no completion left, no retry left
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED


def test_a_pass_rate_below_the_threshold_is_an_ordinary_failure() -> None:
    retry = RetryPolicy(
        max_retries=0, max_completion_attempts=3, completion_threshold_percent=60, jitter=False
    )
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(retry=retry)))
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED


def test_an_auth_failure_moves_the_sheet_to_its_fallback_with_a_fresh_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="gemini", fallbacks=("claude",), policy=policy()))
    commands = h.exit("job", 1, code=1, outcome=AttemptOutcome.AUTH_FAILED)
    [launch] = launches(commands)
    assert (launch.instrument, launch.attempt) == ("claude", 2)
    assert "sheet 1 moves from gemini to claude: authentication failed" in notes(h)
    sheet = persisted(commands)[0].sheets[-1]
    assert (sheet.fallback, sheet.failures) == (1, 0)


def test_an_auth_failure_without_a_fallback_fails_the_sheet_at_once() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    commands = h.exit("job", 1, code=1, outcome=AttemptOutcome.AUTH_FAILED)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED


def test_a_spent_budget_moves_to_the_fallback_and_the_fallback_runs_without_a_model() -> None:
    plan = make_plan(
        sheets=1, instrument="a", model="big", fallbacks=("b",), policy=policy(retry=NO_DELAYS)
    )
    h = EngineHarness()
    h.submit(plan)
    for _ in range(2):
        h.exit("job", 1, code=1)
        h.advance(100)
    [launch] = launches(h.exit("job", 1, code=1))
    assert (launch.instrument, launch.model) == ("b", None)
    assert "the instrument failed after 3 attempts" in notes(h)[-1]


def test_results_of_attempts_that_are_no_longer_current_change_nothing() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=1))
    assert h.validated("job", 1, attempt=1) == []  # it is running, not validating
    h.exit("job", 1, code=1)
    h.exit("job", 1)  # attempt 2 exits: validating
    assert h.not_launched("job", 1) == []  # not running any more
    assert h.skip_checked("job", 1, skip=True) == []  # nothing asked


def test_an_attempts_usage_and_error_code_are_recorded_through_its_validations() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    exited = attempt_rows(h.exit("job", 1, cost=0.25))
    assert [(a.outcome, a.cost) for a in exited] == [(AttemptOutcome.VALIDATING, 0.25)]
    failed = attempt_rows(h.validated("job", 1, passed=(False,)))[-1]
    assert (failed.outcome, failed.cost, failed.error_code) == (
        AttemptOutcome.VALIDATION_FAILED,
        0.25,
        "E201",
    )


@pytest.mark.parametrize(
    ("outcome", "quota", "code"),
    [
        (AttemptOutcome.RATE_LIMITED, False, "E102"),
        (AttemptOutcome.RATE_LIMITED, True, "E104"),
        (AttemptOutcome.AUTH_FAILED, False, "E502"),
        (AttemptOutcome.CAPACITY, False, "E103"),
        (AttemptOutcome.FAILED, False, "E009"),
    ],
)
def test_each_way_an_attempt_fails_has_its_error_code(
    outcome: AttemptOutcome, quota: bool, code: str
) -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    rows = attempt_rows(h.exit("job", 1, code=1, outcome=outcome, quota=quota))
    assert [a.error_code for a in rows if a.outcome is outcome] == [code]


def test_an_attempts_feedback_stays_with_its_record_and_not_with_the_next() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(retry=NO_DELAYS)))
    commands = h.exit("job", 1, feedback='{"score": 7}')
    [validating] = [a for p in persisted(commands) for a in p.attempts]
    assert (validating.outcome, validating.feedback) == (AttemptOutcome.VALIDATING, '{"score": 7}')
    commands = h.validated("job", 1, [False])
    [failed] = [a for p in persisted(commands) for a in p.attempts if a.attempt == 1]
    assert failed.feedback == '{"score": 7}'
    h.advance(10)
    commands = h.exit("job", 1)
    [second] = [a for p in persisted(commands) for a in p.attempts if a.attempt == 2]
    assert second.feedback is None
