"""Read models: what `status` and `list` show, built the same way from live or stored records."""

from collections.abc import Iterable
from dataclasses import dataclass

from podium.domain.ids import JobId, SheetNum
from podium.domain.plan import JobPlan
from podium.domain.records import HookRecord, JobNote, JobRecord, RateLimitRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus


@dataclass(frozen=True, slots=True)
class SheetView:
    num: SheetNum
    status: SheetStatus
    movement: int
    voice: int | None
    instrument: str
    """The instrument it runs on now (a fallback, once it moved)."""
    depends_on: tuple[SheetNum, ...]
    description: str | None
    attempts: int
    max_attempts: int
    error: str | None
    blocked_by: SheetNum | None
    updated_at: float
    due: float | None = None
    wait: str | None = None
    cost: float = 0.0
    model: str | None = None
    """The model it runs with now: the planned one, or its instrument's default on a fallback."""
    voice_count: int = 1
    """How many voices its movement fans out to (1 without a fan-out)."""


@dataclass(frozen=True, slots=True)
class JobView:
    job: JobRecord
    sheets: tuple[SheetView, ...]
    history: tuple[JobNote, ...] = ()
    rate_limits: tuple[RateLimitRecord, ...] = ()
    """Rate-limit windows open on the instruments its unfinished sheets use."""
    hooks: tuple[HookRecord, ...] = ()
    """Its on_success hooks of its latest run, in order."""
    parent: JobId | None = None
    """The job whose `run_job` hook started it (for a job deeper than 0 in a chain)."""

    @property
    def job_id(self) -> JobId:
        return self.job.job_id

    @property
    def status(self) -> JobStatus:
        return self.job.status


def job_view(
    job: JobRecord,
    plan: JobPlan,
    sheets: Iterable[SheetRecord],
    *,
    history: tuple[JobNote, ...] = (),
    rate_limits: tuple[RateLimitRecord, ...] = (),
    hooks: tuple[HookRecord, ...] = (),
) -> JobView:
    """Join a job's record, its plan and its sheet records into what a person reads."""
    by_num = {s.num: s for s in sheets}
    max_attempts = plan.policy.retry.max_retries + 1
    views = []
    for p in plan.sheets:
        rec = by_num.get(p.num)
        fallback = min(rec.fallback, len(p.chain) - 1) if rec else 0
        views.append(
            SheetView(
                num=p.num,
                status=rec.status if rec else SheetStatus.PENDING,
                movement=p.movement,
                voice=p.voice,
                instrument=p.chain[fallback],
                depends_on=p.depends_on,
                description=p.description,
                attempts=rec.attempts if rec else 0,
                max_attempts=max_attempts,
                error=rec.error if rec else None,
                blocked_by=rec.blocked_by if rec else None,
                updated_at=rec.updated_at if rec else job.submitted_at,
                due=rec.due if rec else None,
                wait=rec.wait if rec else None,
                cost=rec.cost if rec else 0.0,
                model=p.model if fallback == 0 else None,
                voice_count=p.voice_count,
            )
        )
    return JobView(
        job=job, sheets=tuple(views), history=history, rate_limits=rate_limits, hooks=hooks
    )
