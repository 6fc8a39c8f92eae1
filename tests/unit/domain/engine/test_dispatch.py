"""Starting work within every limit: job slots, sheet slots, instrument and model caps,
parallel limits, stagger and pacing."""

from podium.domain.engine import Limits
from podium.domain.policy import ParallelPolicy
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, make_plan, wakes
from tests.unit.domain.engine.helpers import job_record, policy


def test_jobs_beyond_the_job_limit_wait_queued_and_start_in_order() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan(sheets=1), job_id="a")
    assert launched(h.submit(make_plan(sheets=1), job_id="b")) == []
    assert job_record(h, "b").status is JobStatus.QUEUED
    assert launched(h.run_sheet("a", 1)) == [("b", 1)]


def test_a_paused_job_gives_its_job_slot_to_a_queued_one() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan(sheets=2), job_id="a")
    h.submit(make_plan(sheets=1), job_id="b")
    h.run_sheet("a", 1)  # a's sheet 2 is running now
    commands = h.pause("a")
    assert launched(commands) == [("b", 1)]
    assert job_record(h, "b").status is JobStatus.RUNNING
    assert h.engine.running_jobs == 1


def test_an_instrument_never_runs_more_than_its_cap() -> None:
    h = EngineHarness(Limits(instrument_caps={"slow": 2}))
    commands = h.submit(make_plan({1: [], 2: [], 3: [], 4: []}, instrument="slow", parallel=4))
    assert launched(commands) == [("job", 1), ("job", 2)]
    assert launched(h.run_sheet("job", 1)) == [("job", 3)]


def test_a_model_with_its_own_cap_is_counted_apart_from_its_instrument() -> None:
    limits = Limits(instrument_caps={"agent": 1}, model_caps={("agent", "big"): 2})
    h = EngineHarness(limits)
    h.submit(make_plan({1: [], 2: [], 3: []}, instrument="agent", model="big", parallel=3))
    assert launched(h.commands) == [("job", 1), ("job", 2)]
    h.submit(make_plan({1: []}, instrument="agent"), job_id="small")
    assert ("small", 1) in launched(h.commands)


def test_a_job_runs_one_sheet_at_a_time_unless_parallel_is_enabled() -> None:
    h = EngineHarness()
    assert launched(h.submit(make_plan({1: [], 2: [], 3: []}))) == [("job", 1)]
    h2 = EngineHarness()
    assert len(launched(h2.submit(make_plan({1: [], 2: [], 3: []}, parallel=2)))) == 2


def test_stagger_spaces_the_starts_of_a_job() -> None:
    plan = make_plan(
        {1: [], 2: [], 3: []},
        policy=policy(
            parallel=ParallelPolicy(enabled=True, max_concurrent=3, stagger_delay_ms=500)
        ),
    )
    h = EngineHarness()
    commands = h.submit(plan)
    assert launched(commands) == [("job", 1)]
    assert wakes(commands) == [h.clock.now() + 0.5]
    assert launched(h.advance(0.4)) == []
    assert launched(h.advance(0.1)) == [("job", 2)]


def test_pacing_waits_between_sheets_once_the_job_is_idle() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, policy=policy(pause_between_sheets_seconds=2.0)))
    assert launched(h.run_sheet("job", 1)) == []
    assert launched(h.advance(1.0)) == []
    assert launched(h.advance(1.0)) == [("job", 2)]
