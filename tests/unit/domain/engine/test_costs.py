"""The score's cost limits: reaching one pauses the job and says why."""

from podium.domain.commands import Accepted
from podium.domain.policy import CostPolicy
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, make_plan
from tests.unit.domain.engine.helpers import job_record, notes, policy, reply_of


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
