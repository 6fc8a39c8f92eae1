"""A conductor restart: jobs, attempts and windows taken back from the store."""

import dataclasses

import pytest

from podium.domain.commands import JobEnded
from podium.domain.engine import Limits
from podium.domain.events import Restarted, RestoredJob
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import AttemptRecord, JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import (
    EngineHarness,
    launched,
    make_plan,
    persisted,
    validations_requested,
)
from tests.unit.domain.engine.helpers import job_record


def statuses(h: EngineHarness, job: str = "job") -> dict[int, str]:
    view = h.engine.view(JobId(job))
    assert view is not None
    return {s.num: s.status.value for s in view.sheets}


def _recovered(
    sheets: dict[int, SheetStatus],
    attempts: dict[int, int],
    plan_sheets: int = 3,
    reattached: frozenset[SheetNum] = frozenset(),
) -> Restarted:
    plan = make_plan(sheets=plan_sheets, max_retries=1)
    job = JobRecord(
        JobId("job"),
        "plan",
        "/s/job.yaml",
        "/w",
        JobStatus.RUNNING,
        10.0,
        plan_sheets,
        started_at=10.0,
    )
    records = tuple(
        SheetRecord(JobId("job"), SheetNum(n), st, 11.0, attempts=attempts.get(n, 0))
        for n, st in sheets.items()
    )
    inflight = tuple(
        AttemptRecord(
            JobId("job"),
            SheetNum(n),
            attempts[n],
            12.0,
            outcome=AttemptOutcome.VALIDATING
            if st is SheetStatus.VALIDATING
            else AttemptOutcome.RUNNING,
            exit_code=0 if st is SheetStatus.VALIDATING else None,
            feedback='"kept"' if st is SheetStatus.VALIDATING else None,
        )
        for n, st in sheets.items()
        if st.in_flight
    )
    return Restarted((RestoredJob(job, plan, records, inflight, reattached=reattached),))


def test_recovery_retries_an_interrupted_attempt_and_keeps_completed_sheets() -> None:
    h = EngineHarness()
    commands = h.feed(
        _recovered(
            {1: SheetStatus.COMPLETED, 2: SheetStatus.RUNNING, 3: SheetStatus.PENDING}, {1: 1, 2: 1}
        )
    )
    persist = persisted(commands)[0]
    assert persist.attempts[0].outcome is AttemptOutcome.INTERRUPTED
    assert persist.attempts[0].attempt == 1
    assert launched(commands) == [("job", 2)]
    assert h.current_attempt("job", 2) == 2
    assert launched(h.run_sheet("job", 2)) == [("job", 3)]


def test_an_attempt_that_outlived_the_conductor_goes_on_and_ends_as_usual() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=1))
    commands = h.feed(
        _recovered(
            {1: SheetStatus.RUNNING, 2: SheetStatus.PENDING, 3: SheetStatus.PENDING},
            {1: 1},
            reattached=frozenset({SheetNum(1)}),
        )
    )
    assert launched(commands) == []  # not run again
    assert all(not p.attempts for p in persisted(commands))  # nor recorded as interrupted
    assert statuses(h) == {1: "running", 2: "pending", 3: "pending"}
    assert validations_requested(h.exit("job", 1, attempt=1)) == [("job", 1)]
    assert launched(h.validated("job", 1, attempt=1)) == [("job", 2)]


def test_a_reattached_attempt_that_failed_is_retried_under_its_budget() -> None:
    h = EngineHarness()
    h.feed(
        _recovered(
            {1: SheetStatus.RUNNING, 2: SheetStatus.PENDING, 3: SheetStatus.PENDING},
            {1: 1},
            reattached=frozenset({SheetNum(1)}),
        )
    )
    commands = h.exit("job", 1, code=3, attempt=1)
    ended = [a for p in persisted(commands) for a in p.attempts if a.attempt == 1]
    assert [(a.outcome, a.exit_code) for a in ended] == [(AttemptOutcome.FAILED, 3)]
    assert h.current_attempt("job", 1) == 2  # the retry, with the budget it had


def test_recovery_revalidates_an_attempt_whose_process_had_finished_keeping_its_feedback() -> None:
    h = EngineHarness()
    commands = h.feed(
        _recovered(
            {1: SheetStatus.VALIDATING, 2: SheetStatus.PENDING, 3: SheetStatus.PENDING}, {1: 1}
        )
    )
    assert validations_requested(commands) == [("job", 1)]
    assert launched(commands) == []
    commands = h.validated("job", 1, attempt=1)
    assert launched(commands) == [("job", 2)]
    [decided] = [a for p in persisted(commands) for a in p.attempts if a.sheet == 1]
    assert decided.feedback == '"kept"'  # what the attempt said before the restart


def test_recovery_makes_a_sheet_waiting_for_its_retry_ready_again() -> None:
    h = EngineHarness()
    commands = h.feed(
        _recovered(
            {1: SheetStatus.COMPLETED, 2: SheetStatus.WAITING, 3: SheetStatus.PENDING}, {1: 1, 2: 1}
        )
    )
    assert launched(commands) == [("job", 2)]
    assert statuses(h) == {1: "completed", 2: "running", 3: "pending"}


def test_recovery_counts_every_job_in_flight_before_dispatching_any() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=1))
    plan = make_plan(sheets=1)

    def job(job_id: str, status: SheetStatus, submitted: float) -> RestoredJob:
        record = JobRecord(
            JobId(job_id),
            "plan",
            f"/s/{job_id}.yaml",
            "/w",
            JobStatus.RUNNING,
            submitted,
            1,
            started_at=submitted,
        )
        sheet = SheetRecord(JobId(job_id), SheetNum(1), status, 11.0, attempts=1)
        attempt = AttemptRecord(
            JobId(job_id), SheetNum(1), 1, 12.0, AttemptOutcome.VALIDATING, exit_code=0
        )
        return RestoredJob(
            record, plan, (sheet,), (attempt,) if status is SheetStatus.VALIDATING else ()
        )

    # The earlier job waits for a slot; the later one holds it, validating.
    commands = h.feed(
        Restarted((job("a", SheetStatus.READY, 1.0), job("b", SheetStatus.VALIDATING, 2.0)))
    )
    assert validations_requested(commands) == [("b", 1)]
    assert launched(commands) == []
    assert h.engine.in_flight == 1
    assert launched(h.validated("b", 1, attempt=1)) == [("a", 1)]


def test_a_recovered_job_that_cannot_go_on_fails_with_the_reason() -> None:
    h = EngineHarness()
    event = _recovered(
        {1: SheetStatus.COMPLETED, 2: SheetStatus.RUNNING, 3: SheetStatus.PENDING}, {1: 1, 2: 1}
    )
    [job] = event.jobs
    commands = h.feed(
        Restarted(
            (
                RestoredJob(
                    job.job, job.plan, job.sheets, job.attempts, problem="score.yaml:1:1: bad"
                ),
            )
        )
    )
    persist = persisted(commands)[0]
    assert persist.jobs[0].status is JobStatus.FAILED
    assert persist.jobs[0].error == "cannot go on after a restart: score.yaml:1:1: bad"
    assert {s.num: s.status for s in persist.sheets} == {
        2: SheetStatus.CANCELLED,
        3: SheetStatus.CANCELLED,
    }
    assert persist.attempts[0].outcome is AttemptOutcome.INTERRUPTED
    assert launched(commands) == [] and JobEnded(JobId("job")) in commands


def test_a_paused_job_stays_paused_across_a_restart() -> None:
    record = JobRecord(
        JobId("job"),
        "plan",
        "/s/job.yaml",
        "/w",
        JobStatus.PAUSED,
        1.0,
        1,
        detail="paused by the user",
    )
    h = EngineHarness()
    commands = h.feed(Restarted((RestoredJob(record, make_plan(sheets=1), ()),)))
    assert launched(commands) == []
    view = h.engine.view(JobId("job"))
    assert view is not None and view.status is JobStatus.PAUSED


def test_a_recovered_job_that_cannot_run_is_cancelled_when_it_was_paused() -> None:
    record = JobRecord(JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.PAUSED, 1.0, 1)
    h = EngineHarness()
    commands = h.feed(
        Restarted((RestoredJob(record, make_plan(sheets=1), (), problem="bad score"),))
    )
    assert persisted(commands)[0].jobs[-1].status is JobStatus.CANCELLED
    queued = dataclasses.replace(record, status=JobStatus.QUEUED)
    h.feed(Restarted((RestoredJob(queued, make_plan(sheets=1), (), problem="bad score"),)))
    assert job_record(h).status is JobStatus.FAILED


def test_sheet_records_of_a_score_before_a_modify_are_left_out() -> None:
    record = JobRecord(JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.RUNNING, 1.0, 1)
    gone = SheetRecord(JobId("job"), 7, SheetStatus.COMPLETED, 1.0)  # type: ignore[arg-type]
    h = EngineHarness()
    h.feed(Restarted((RestoredJob(record, make_plan(sheets=1), (gone,)),)))
    assert h.statuses() == {1: "running"}


@pytest.mark.parametrize(
    "second",
    [
        SheetRecord(JobId("job"), 2, SheetStatus.READY, 1.0),  # type: ignore[arg-type]
        SheetRecord(
            JobId("job"),
            2,  # type: ignore[arg-type]
            SheetStatus.WAITING,
            1.0,
            attempts=1,
            failures=1,
            error="exit code 1",
            due=1_800_000_010.0,
            wait="retry",
        ),
    ],
    ids=["ready", "waiting"],
)
def test_after_a_restart_a_modify_that_had_not_taken_effect_holds_back_sheets_it_made_dependent(
    second: SheetRecord,
) -> None:
    """Sheets 1 and 2 ran side by side; the modify waiting for sheet 1 makes 2 depend on 1.
    The store holds the new plan with the sheets as the old one left them."""
    record = JobRecord(
        JobId("job"),
        "plan",
        "/s/job.yaml",
        "/w",
        JobStatus.PAUSED,
        1.0,
        2,
        started_at=1.0,
        detail="modified: waits for 1 attempt(s) in flight to end",
        resume_when_idle=True,
    )
    first = SheetRecord(JobId("job"), 1, SheetStatus.RUNNING, 1.0, attempts=1)  # type: ignore[arg-type]
    running = AttemptRecord(JobId("job"), 1, 1, 1.0, AttemptOutcome.RUNNING)  # type: ignore[arg-type]
    new_plan = make_plan({1: [], 2: [1]}, parallel=2)
    h = EngineHarness()
    commands = h.feed(Restarted((RestoredJob(record, new_plan, (first, second), (running,)),)))
    assert launched(commands) == [("job", 1)]  # interrupted, it runs again; 2 waits for it
    ended = [(a.sheet, a.attempt, a.outcome) for c in persisted(commands) for a in c.attempts]
    assert ended[0] == (1, 1, AttemptOutcome.INTERRUPTED)
    assert h.statuses() == {1: "running", 2: "pending"}
    rows = [s for c in persisted(commands) for s in c.sheets if s.num == 2]
    assert [(s.status, s.due, s.wait) for s in rows][-1] == (SheetStatus.PENDING, None, None)
    assert job_record(h).status is JobStatus.RUNNING
    assert launched(h.advance(10)) == []  # a retry alarm of the old score wakes nothing
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert h.current_attempt("job", 2) == second.attempts + 1


def test_a_validation_going_on_after_a_restart_holds_the_instrument_it_ran_on() -> None:
    """A modify moved the sheet from `old` to `new` while its attempt was being validated."""
    record = JobRecord(
        JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.RUNNING, 1.0, 1, started_at=1.0
    )
    sheet = SheetRecord(JobId("job"), 1, SheetStatus.VALIDATING, 1.0, attempts=1)  # type: ignore[arg-type]
    attempt = AttemptRecord(
        JobId("job"),
        1,  # type: ignore[arg-type]
        1,
        1.0,
        AttemptOutcome.VALIDATING,
        exit_code=0,
        instrument="old",
    )
    h = EngineHarness(Limits(instrument_caps={"old": 1, "new": 1}))
    h.feed(
        Restarted(
            (RestoredJob(record, make_plan(sheets=1, instrument="new"), (sheet,), (attempt,)),)
        )
    )
    assert launched(h.submit(make_plan(sheets=1, instrument="new"), job_id="on-new")) == [
        ("on-new", 1)
    ]
    assert launched(h.submit(make_plan(sheets=1, instrument="old"), job_id="on-old")) == []
    assert launched(h.validated("job", 1, attempt=1)) == [("on-old", 1)]
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_job_queued_when_the_conductor_stopped_starts_once_a_job_slot_is_free() -> None:
    def queued(job_id: str, submitted: float) -> RestoredJob:
        record = JobRecord(
            JobId(job_id), "plan", f"/s/{job_id}.yaml", "/w", JobStatus.QUEUED, submitted, 1
        )
        return RestoredJob(record, make_plan(sheets=1), ())

    h = EngineHarness(Limits(max_concurrent_jobs=1))
    commands = h.feed(Restarted((queued("a", 1.0), queued("b", 2.0))))
    assert launched(commands) == [("a", 1)]
    assert (job_record(h, "a").status, job_record(h, "b").status) == (
        JobStatus.RUNNING,
        JobStatus.QUEUED,
    )
    assert launched(h.run_sheet("a", 1)) == [("b", 1)]
    assert job_record(h, "b").status is JobStatus.RUNNING


def test_fail_fast_holds_after_a_restart() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: []}, parallel=2))
    h.exit("job", 1, code=1)
    record = job_record(h)
    sheets = (
        SheetRecord(JobId("job"), 1, SheetStatus.FAILED, 1.0, attempts=1),  # type: ignore[arg-type]
        SheetRecord(JobId("job"), 2, SheetStatus.COMPLETED, 1.0, attempts=1),  # type: ignore[arg-type]
        SheetRecord(JobId("job"), 3, SheetStatus.READY, 1.0),  # type: ignore[arg-type]
    )
    after = EngineHarness(clock=h.clock)
    commands = after.feed(
        Restarted((RestoredJob(record, make_plan({1: [], 2: [], 3: []}, parallel=2), sheets),))
    )
    assert launched(commands) == []
    assert job_record(after).status is JobStatus.FAILED
