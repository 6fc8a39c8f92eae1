"""A restart hands the engine its queued backlog in slices, after the jobs in progress: the
engine dispatches in between, keeps the queue in submission order, and lists and counts its
jobs without making the record of every one."""

from podium.domain.engine import Limits
from podium.domain.events import Restarted, RestoredJob
from podium.domain.ids import JobId
from podium.domain.records import JobRecord
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, make_plan


def queued(job_id: str, at: float) -> RestoredJob:
    plan = make_plan(sheets=1)
    record = JobRecord(JobId(job_id), "plan", f"/s/{job_id}.yaml", "/w", JobStatus.QUEUED, at, 1)
    return RestoredJob(record, plan, ())


def test_the_oldest_queued_job_of_the_first_slice_starts_before_the_rest_arrive() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    first = h.feed(Restarted((queued("a", 1.0), queued("b", 2.0)), ()))
    assert launched(first) == [("a", 1)]
    later = h.feed(Restarted((queued("c", 3.0),), ()))
    assert launched(later) == []
    assert h.engine.active_count == 3


def test_jobs_taken_back_in_slices_run_in_submission_order() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.feed(Restarted((queued("a", 1.0),), ()))
    h.feed(Restarted((queued("b", 2.0),), ()))
    h.feed(Restarted((queued("c", 3.0),), ()))
    order = [job for job, _ in launched(h.commands)]
    for job in ("a", "b"):
        order += [j for j, _ in launched(h.run_sheet(job, 1))]
    assert order == ["a", "b", "c"]


def test_the_newest_jobs_are_listed_first_whatever_order_they_came_back_in() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.feed(Restarted((queued("late", 30.0),), ()))
    h.feed(Restarted((queued("early", 10.0), queued("middle", 20.0)), ()))
    assert [r.job_id for r in h.engine.newest_jobs(2)] == ["late", "middle"]
    assert [r.job_id for r in h.engine.newest_jobs(10)] == ["late", "middle", "early"]
    assert h.engine.active_count == len(h.engine.active_jobs()) == 3
