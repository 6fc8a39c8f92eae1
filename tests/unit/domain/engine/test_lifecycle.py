"""How a job ends: the conductor's job timeout, a cancel, attempts of a stopped job."""

from podium.domain.commands import JobEnded
from podium.domain.engine import Limits
from podium.domain.ids import JobId
from podium.domain.policy import ParallelPolicy
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, killed, launched, make_plan
from tests.unit.domain.engine.helpers import job_record, policy


def test_a_job_running_past_the_conductors_timeout_fails_and_its_attempts_are_stopped() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    commands = h.advance(100)
    assert killed(commands) == [("job", 1)]
    record = job_record(h)
    assert record.status is JobStatus.FAILED
    assert "job_timeout_seconds (100s)" in (record.error or "")
    assert JobEnded(JobId("job")) in commands


def test_cancel_stops_everything_and_nothing_revives_the_job() -> None:
    h = EngineHarness()
    two_at_once = ParallelPolicy(enabled=True, max_concurrent=2, fail_fast=False)
    h.submit(make_plan({1: [], 2: []}, policy=policy(parallel=two_at_once)))
    h.exit("job", 2, code=1)  # waiting for a retry in 10 s
    commands = h.cancel()
    assert killed(commands) == [("job", 1)]
    assert job_record(h).status is JobStatus.CANCELLED
    assert launched(h.advance(3600)) == []
    assert h.engine.in_flight == 1  # until the killed process has gone
    h.exit("job", 1, signal=15)
    assert h.engine.in_flight == 0


def test_the_job_timeout_counts_from_the_latest_resume() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.advance(50)
    h.pause()
    h.run_sheet("job", 1)
    h.advance(200)
    h.resume()
    assert job_record(h).status is JobStatus.RUNNING
    h.advance(60)  # 310 s after submission, 60 s after the resume: the first alarm re-arms
    assert job_record(h).status is JobStatus.RUNNING
    h.advance(40)
    assert job_record(h).status is JobStatus.FAILED


def test_validations_of_a_cancelled_job_free_their_slot_when_they_end() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.exit("job", 1)  # validating
    h.cancel()
    assert h.engine.in_flight == 1
    h.validated("job", 1, attempt=1)
    assert h.engine.in_flight == 0


def test_the_job_timeout_does_not_fire_while_the_job_is_paused() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.pause()
    h.run_sheet("job", 1)
    h.advance(150)
    assert job_record(h).status is JobStatus.PAUSED


def test_an_alarm_of_an_earlier_run_does_not_time_out_a_resumed_job() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.advance(50)
    h.pause()
    h.resume()  # the run restarts its clock at 50 s
    h.advance(60)  # the first run's alarm at 100 s rings
    assert job_record(h).status is JobStatus.RUNNING
    h.advance(40)
    assert job_record(h).status is JobStatus.FAILED
