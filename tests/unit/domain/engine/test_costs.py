"""The score's cost limits: reaching one pauses the job and says why."""

import dataclasses

from podium.domain.commands import Accepted, Command, Persist, Rejected
from podium.domain.policy import CostPolicy, JobPolicy, RetryPolicy
from podium.domain.records import JobRecord
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, make_plan, replies

NO_DELAYS = RetryPolicy(
    max_retries=2, base_delay_seconds=10.0, jitter=False, max_completion_attempts=0
)


def policy(**changes: object) -> JobPolicy:
    """A policy with retries after 10 s, 20 s…, no pacing, and the given changes."""
    return dataclasses.replace(JobPolicy(retry=NO_DELAYS), **changes)  # type: ignore[arg-type]


def notes(h: EngineHarness) -> list[str]:
    return [n.text for c in h.commands if isinstance(c, Persist) for n in c.notes]


def job_record(h: EngineHarness, job: str = "job") -> JobRecord:
    found = [r for c in h.commands if isinstance(c, Persist) for r in c.jobs if r.job_id == job]
    return found[-1]


def reply_of(commands: list[Command]) -> Accepted | Rejected:
    [reply] = replies(commands)
    return reply.result


def test_reaching_the_job_cost_limit_pauses_the_job_with_the_reason() -> None:
    h = EngineHarness()
    cost = CostPolicy(max_cost_per_job=1.0, warn_at_percent=50)
    h.submit(make_plan(sheets=3, policy=policy(cost=cost)))
    h.exit("job", 1, cost=0.6)
    assert any("past 50% of the job's limit" in n for n in notes(h))
    h.validated("job", 1)
    h.exit("job", 2, cost=0.5)
    commands = h.validated("job", 2)
    assert launched(commands) == []
    record = job_record(h)
    assert record.status is JobStatus.PAUSED
    assert record.detail == "cost limit reached: $1.10 of $1.00 (cost_limits.max_cost_per_job)"


def test_a_resume_over_the_cost_limit_pauses_again_and_says_why() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, policy=policy(cost=CostPolicy(max_cost_per_job=1.0))))
    h.exit("job", 1, cost=2.0)
    h.validated("job", 1)
    result = reply_of(h.resume())
    assert isinstance(result, Accepted)
    assert result.message == (
        "resumed, but it is paused again: cost limit reached: $2.00 of $1.00 "
        "(cost_limits.max_cost_per_job)"
    )


def test_reaching_a_sheets_cost_limit_pauses_the_job() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, policy=policy(cost=CostPolicy(max_cost_per_sheet=0.5))))
    h.exit("job", 1, code=1, cost=0.7)
    record = job_record(h)
    assert record.status is JobStatus.PAUSED
    assert record.detail == (
        "cost limit reached: sheet 1 cost $0.70 of $0.50 (cost_limits.max_cost_per_sheet)"
    )


def test_a_job_whose_last_sheet_crosses_the_cost_limit_still_completes() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(cost=CostPolicy(max_cost_per_job=1.0))))
    h.exit("job", 1, cost=2.0)
    assert job_record(h).status is JobStatus.PAUSED
    h.validated("job", 1)
    assert job_record(h).status is JobStatus.COMPLETED
