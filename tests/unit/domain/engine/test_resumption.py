"""A job going on again: resumed with fresh budgets, or on a new score once its attempts in
flight have ended."""

import pytest

from podium.domain.commands import Accepted, Persist, Rejected, SwapScore
from podium.domain.events import RestoredJob
from podium.domain.ids import JobId
from podium.domain.records import SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, launched, launches, make_plan, persisted
from tests.unit.domain.engine.helpers import job_record, notes, policy, reply_of


def test_resume_gives_failed_sheets_a_fresh_budget_and_never_reruns_completed_ones() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3))
    h.run_sheet("job", 1)
    commands = h.exit("job", 2, code=1)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED
    stored = RestoredJob(
        job_record(h),
        make_plan(sheets=3),
        (
            SheetRecord(JobId("job"), 1, SheetStatus.COMPLETED, 1.0, attempts=1),  # type: ignore[arg-type]
            SheetRecord(JobId("job"), 2, SheetStatus.FAILED, 1.0, attempts=1, failures=1),  # type: ignore[arg-type]
            SheetRecord(JobId("job"), 3, SheetStatus.SKIPPED, 1.0, blocked_by=2),  # type: ignore[arg-type]
        ),
    )
    commands = h.resume(stored=stored)
    [launch] = launches(commands)
    assert (launch.sheet, launch.attempt) == (2, 2)
    assert h.statuses() == {1: "completed", 2: "running", 3: "pending"}


def test_modify_waits_for_attempts_in_flight_then_runs_the_new_score() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    h.run_sheet("job", 1)  # sheet 2 is running
    commands = h.modify(make_plan(sheets=3))
    assert launched(commands) == []
    assert job_record(h).status is JobStatus.PAUSED
    assert [s.plan.total_sheets for c in commands if isinstance(c, Persist) for s in c.specs] == [3]
    commands = h.run_sheet("job", 2)  # finishes under the old score
    assert [c.job_id for c in commands if isinstance(c, SwapScore)] == ["job"]
    assert launched(commands) == [("job", 3)]
    assert h.statuses() == {1: "completed", 2: "completed", 3: "running"}
    assert any("now runs its new score: 2 → 3 sheets, 2 already done kept" in n for n in notes(h))


def test_resume_without_a_new_score_goes_on_at_once_even_with_attempts_in_flight() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, parallel=2))
    h.pause()
    result = reply_of(h.resume())
    assert result == Accepted(JobId("job"), "resumed")
    assert job_record(h).status is JobStatus.RUNNING


def test_resume_during_a_modify_still_waits_for_the_attempts_in_flight() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    h.modify(make_plan(sheets=3))
    result = reply_of(h.resume())
    assert isinstance(result, Accepted) and "once its 1 attempt(s) in flight" in result.message
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert len(h.statuses()) == 3


def test_resume_with_a_changed_score_waits_for_the_attempts_in_flight_then_runs_it() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2), score_path="/s/old.yaml")
    h.pause()  # sheet 1 goes on running
    commands = h.resume(plan=make_plan(sheets=3), score_path="/s/new.yaml")
    assert reply_of(commands) == Accepted(
        JobId("job"), "resumed; it goes on once its 1 attempt(s) in flight have ended"
    )
    assert launched(commands) == []
    assert [s.plan.total_sheets for c in commands if isinstance(c, Persist) for s in c.specs] == [3]
    record = job_record(h)
    assert (record.status, record.score_path, record.resume_when_idle) == (
        JobStatus.PAUSED,
        "/s/new.yaml",
        True,
    )
    assert record.detail == "resumed: waits for 1 attempt(s) in flight to end"
    commands = h.run_sheet("job", 1)  # finishes under the old score
    assert [c.job_id for c in commands if isinstance(c, SwapScore)] == ["job"]
    assert launched(commands) == [("job", 2)]
    assert h.statuses() == {1: "completed", 2: "running", 3: "pending"}
    assert job_record(h).status is JobStatus.RUNNING
    assert any("now runs its new score: 2 → 3 sheets, 1 already done kept" in n for n in notes(h))


@pytest.mark.parametrize(
    ("rate_limited", "at_once", "now"),
    [(False, [("job", 1)], SheetStatus.RUNNING), (True, [], SheetStatus.READY)],
    ids=["retry-backoff", "rate-limit"],
)
def test_resume_makes_a_waiting_sheet_ready_with_a_fresh_budget(
    rate_limited: bool, at_once: list[tuple[str, int]], now: SheetStatus
) -> None:
    """A retry's backoff is not waited out again; a rate limit's window still holds the
    sheet back, and it runs when the window ends."""
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent", policy=policy()))
    if rate_limited:
        h.rate_limited("job", 1, reset_at=h.clock.now() + 600)
    else:
        h.exit("job", 1, code=1)  # its retry is due in 10 s
    assert h.statuses() == {1: "waiting"}
    h.pause()
    commands = h.resume()
    assert launched(commands) == at_once
    rows = [s for c in persisted(commands) for s in c.sheets]
    assert [(s.num, s.status, s.failures, s.rate_waits, s.due, s.wait) for s in rows] == [
        (1, now, 0, 0, None, None)
    ]
    if rate_limited:
        assert h.statuses() == {1: "ready"}
        assert launched(h.advance(599)) == []
        assert launched(h.advance(1)) == [("job", 1)]
    assert h.current_attempt("job", 1) == 2


def test_a_modify_takes_its_new_path_at_once_and_holds_the_old_one_until_it_switches() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), score_path="/s/old.yaml")
    h.modify(make_plan(sheets=2), score_path="/s/new.yaml")
    assert job_record(h).score_path == "/s/new.yaml"  # a restart now keeps the new path
    for path in ("/s/new.yaml", "/s/old.yaml"):
        result = reply_of(h.submit(make_plan(sheets=1), job_id="other", score_path=path))
        assert isinstance(result, Rejected) and result.code == "already_running"
    h.run_sheet("job", 1)  # the switch: the old path is free again
    result = reply_of(h.submit(make_plan(sheets=1), job_id="other", score_path="/s/old.yaml"))
    assert isinstance(result, Accepted)


def test_a_resume_does_not_drop_a_modify_that_waits() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.modify(make_plan(sheets=3))
    h.resume(plan=make_plan(sheets=1))  # the service reloads the old file
    h.run_sheet("job", 1)
    assert len(h.statuses()) == 3


def test_a_second_modify_frees_the_path_the_first_one_took() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), score_path="/s/a.yaml")
    h.modify(make_plan(sheets=2), score_path="/s/b.yaml")
    h.modify(make_plan(sheets=2), score_path="/s/c.yaml")
    result = reply_of(h.submit(make_plan(sheets=1), job_id="other", score_path="/s/b.yaml"))
    assert isinstance(result, Accepted)
