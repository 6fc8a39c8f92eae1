"""What the engine records of each attempt: enough for `history` to be honest."""

from podium.domain.events import Restarted, RestoredJob
from podium.domain.ids import JobId, SheetNum
from podium.domain.policy import JobPolicy, RetryPolicy
from podium.domain.records import AttemptRecord, JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, launches, make_plan, persisted


def attempts(h: EngineHarness) -> list[AttemptRecord]:
    return [a for p in persisted(h.commands) for a in p.attempts]


def test_a_completion_attempt_is_recorded_as_one_from_its_start_to_its_end() -> None:
    retry = RetryPolicy(
        max_retries=0, max_completion_attempts=1, completion_delay_seconds=5.0, jitter=False
    )
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=JobPolicy(retry=retry)))
    h.exit("job", 1)
    h.validated("job", 1, passed=[True, False])
    [launch] = launches(h.advance(5.0))
    h.exit("job", 1)
    h.validated("job", 1, passed=[True, True])
    modes = {(a.attempt, a.outcome.value): a.mode for a in attempts(h)}
    assert modes[(1, "validation_failed")] == "normal"
    assert modes[(2, "running")] == modes[(2, "succeeded")] == "completion"
    assert launch.attempt == 2


def test_an_attempt_on_a_fallback_records_the_instrument_it_ran_on() -> None:
    plan = make_plan(
        sheets=1,
        instrument="a",
        model="big",
        fallbacks=("b",),
        policy=JobPolicy(retry=RetryPolicy(max_retries=0, max_completion_attempts=0)),
    )
    h = EngineHarness()
    h.submit(plan)
    h.exit("job", 1, code=1)
    h.exit("job", 1, code=1)
    ended = [a for a in attempts(h) if a.ended_at is not None]
    assert [(a.attempt, a.instrument, a.model) for a in ended] == [(1, "a", "big"), (2, "b", None)]


def test_a_reattached_completion_attempt_keeps_its_mode_to_its_end() -> None:
    job = JobRecord(JobId("job"), "job", "/s.yaml", "/w", JobStatus.RUNNING, 10.0, 1)
    sheet = SheetRecord(JobId("job"), SheetNum(1), SheetStatus.RUNNING, 11.0, attempts=2)
    running = AttemptRecord(JobId("job"), SheetNum(1), 2, 11.0, mode="completion")
    h = EngineHarness()
    recovered = RestoredJob(
        job, make_plan(sheets=1), (sheet,), (running,), reattached=frozenset({SheetNum(1)})
    )
    h.feed(Restarted((recovered,)))
    h.exit("job", 1, attempt=2)
    h.validated("job", 1, passed=[True], attempt=2)
    [ended] = [a for a in attempts(h) if a.outcome.value == "succeeded"]
    assert (ended.attempt, ended.mode, ended.started_at) == (2, "completion", 11.0)


def test_an_attempt_records_when_its_process_ended_not_when_the_engine_heard_of_it() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, parallel=2))
    h.advance(1.0)
    heard = h.clock.now()
    h.exit("job", 1, exited_at=heard - 0.25)
    h.validated("job", 1, passed=[True])
    h.exit("job", 2, exited_at=heard + 9.0)  # a clock that jumped: never after receipt
    h.validated("job", 2, passed=[True])
    ended = {a.sheet: a for a in attempts(h) if a.ended_at is not None}
    assert (ended[SheetNum(1)].exited_at, ended[SheetNum(2)].exited_at) == (heard - 0.25, heard)
