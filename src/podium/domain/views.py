"""Read models: what `status` and `list` show, built the same way from live or stored records."""

from collections.abc import Iterable
from dataclasses import dataclass

from podium.domain.ids import JobId, SheetNum
from podium.domain.plan import JobPlan
from podium.domain.records import JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus


@dataclass(frozen=True, slots=True)
class SheetView:
    num: SheetNum
    status: SheetStatus
    movement: int
    voice: int | None
    instrument: str
    depends_on: tuple[SheetNum, ...]
    description: str | None
    attempts: int
    max_attempts: int
    error: str | None
    blocked_by: SheetNum | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class JobView:
    job: JobRecord
    sheets: tuple[SheetView, ...]

    @property
    def job_id(self) -> JobId:
        return self.job.job_id

    @property
    def status(self) -> JobStatus:
        return self.job.status


def job_view(job: JobRecord, plan: JobPlan, sheets: Iterable[SheetRecord]) -> JobView:
    """Join a job's record, its plan and its sheet records into what a person reads."""
    by_num = {s.num: s for s in sheets}
    views = []
    for p in plan.sheets:
        rec = by_num.get(p.num)
        views.append(
            SheetView(
                num=p.num,
                status=rec.status if rec else SheetStatus.PENDING,
                movement=p.movement,
                voice=p.voice,
                instrument=p.instrument,
                depends_on=p.depends_on,
                description=p.description,
                attempts=rec.attempts if rec else 0,
                max_attempts=p.max_retries + 1,
                error=rec.error if rec else None,
                blocked_by=rec.blocked_by if rec else None,
                updated_at=rec.updated_at if rec else job.submitted_at,
            )
        )
    return JobView(job=job, sheets=tuple(views))
