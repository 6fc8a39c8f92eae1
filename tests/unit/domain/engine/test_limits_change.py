"""New limits while jobs run (a reloaded conductor.yaml): nothing running stops, what starts
next follows the new limits."""

from podium.domain.engine import Limits
from podium.domain.events import LimitsChanged
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, killed, launched, make_plan

INDEPENDENT: dict[int, list[int]] = {1: [], 2: [], 3: [], 4: []}


def job_status(h: EngineHarness, job: str = "job") -> JobStatus:
    [record] = [r for r in h.engine.active_jobs() if r.job_id == JobId(job)]
    return record.status


def test_more_sheet_slots_start_the_waiting_sheets_at_once() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=1))
    assert launched(h.submit(make_plan(INDEPENDENT, parallel=4))) == [("job", 1)]
    commands = h.feed(LimitsChanged(Limits(max_concurrent_sheets=3)))
    assert launched(commands) == [("job", 2), ("job", 3)]
    assert h.engine.in_flight == 3


def test_fewer_sheet_slots_stop_nothing_and_hold_back_what_starts_next() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=3))
    h.submit(make_plan(INDEPENDENT, parallel=4))
    commands = h.feed(LimitsChanged(Limits(max_concurrent_sheets=1)))
    assert launched(commands) == [] and killed(commands) == []
    assert h.engine.in_flight == 3
    assert launched(h.run_sheet("job", 1)) == []
    assert launched(h.run_sheet("job", 2)) == []
    assert launched(h.run_sheet("job", 3)) == [("job", 4)]


def test_more_job_slots_admit_queued_jobs() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan(sheets=1), "a")
    h.submit(make_plan(sheets=1), "b")
    assert job_status(h, "b") is JobStatus.QUEUED
    assert launched(h.feed(LimitsChanged(Limits(max_concurrent_jobs=2)))) == [("b", 1)]


def test_a_model_cap_gained_while_its_attempts_run_counts_them_and_frees_them_later() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=4, instrument_caps={"claude": 4}))
    plan = make_plan(INDEPENDENT, parallel=4, instrument="claude", model="opus")
    assert len(launched(h.submit(plan))) == 4
    h.feed(LimitsChanged(Limits(max_concurrent_sheets=4, model_caps={("claude", "opus"): 1})))
    h.run_sheet("job", 1)
    h.run_sheet("job", 2)
    h.run_sheet("job", 3)
    assert h.engine.in_flight == 1
    h.run_sheet("job", 4)
    assert h.engine.in_flight == 0


def test_attempts_of_a_cancelled_job_keep_their_slot_across_new_limits() -> None:
    h = EngineHarness(Limits(max_concurrent_sheets=2))
    h.submit(make_plan(INDEPENDENT, parallel=2), "a")
    h.cancel("a")
    h.feed(LimitsChanged(Limits(max_concurrent_sheets=2, instrument_caps={"cli": 1})))
    assert h.engine.in_flight == 2
    assert launched(h.submit(make_plan(sheets=1), "b")) == []
    h.exit("a", 1, code=-15)
    assert launched(h.exit("a", 2, code=-15)) == [("b", 1)]


def test_a_shorter_job_timeout_fails_a_job_already_past_it() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=1000))
    h.submit(make_plan(sheets=2))
    h.advance(200)
    h.feed(LimitsChanged(Limits(job_timeout_seconds=100)))
    commands = h.advance(0)
    assert killed(commands) == [("job", 1)]
    assert "job_timeout_seconds (100s)" in str(h.commands)


def test_a_longer_job_timeout_lets_a_job_run_past_the_old_one() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.advance(50)
    h.feed(LimitsChanged(Limits(job_timeout_seconds=1000)))
    h.advance(100)
    assert job_status(h) is JobStatus.RUNNING
    h.advance(850)
    assert h.engine.active_jobs() == []
