"""The engine's live state of the jobs it runs, and how that state becomes records.

Mutable on purpose and private to the engine: `Engine` changes it and `Changes` collects what
changed, so that one `handle` call returns one `Persist` with the final rows.
"""

from dataclasses import dataclass, field

from podium.domain.commands import Command, Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import ExitStatus
from podium.domain.plan import JobPlan, SheetPlan
from podium.domain.records import AttemptRecord, JobRecord, NewJob, SheetRecord
from podium.domain.status import JobStatus, SheetStatus


@dataclass(slots=True)
class LiveSheet:
    plan: SheetPlan
    status: SheetStatus
    updated_at: float
    unmet: int
    """Dependencies not yet satisfied."""
    attempts: int = 0
    failures: int = 0
    error: str | None = None
    blocked_by: SheetNum | None = None
    attempt_started_at: float = 0.0
    exited_at: float | None = None
    exit: ExitStatus | None = None

    @property
    def satisfies_dependents(self) -> bool:
        return self.status is SheetStatus.COMPLETED or (
            self.status is SheetStatus.SKIPPED and self.blocked_by is None
        )


@dataclass(slots=True)
class LiveJob:
    seq: int
    job_id: JobId
    plan: JobPlan
    score_path: str
    workspace: str
    submitted_at: float
    status: JobStatus
    sheets: dict[SheetNum, LiveSheet]
    dependents: dict[SheetNum, list[SheetNum]]
    ready: list[SheetNum] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    completed: int = 0
    terminal: int = 0

    def record(self) -> JobRecord:
        return JobRecord(
            job_id=self.job_id,
            name=self.plan.name,
            score_path=self.score_path,
            workspace=self.workspace,
            status=self.status,
            submitted_at=self.submitted_at,
            total_sheets=self.plan.total_sheets,
            completed_sheets=self.completed,
            started_at=self.started_at,
            finished_at=self.finished_at,
            error=self.error,
        )

    def sheet_record(self, sheet: LiveSheet) -> SheetRecord:
        return SheetRecord(
            job_id=self.job_id,
            num=sheet.plan.num,
            status=sheet.status,
            updated_at=sheet.updated_at,
            attempts=sheet.attempts,
            failures=sheet.failures,
            error=sheet.error,
            blocked_by=sheet.blocked_by,
        )

    def failure_summary(self) -> str:
        """Why the job failed, in one line: the first failed sheet and what else went wrong."""
        failed = [s for s in self.sheets.values() if s.status is SheetStatus.FAILED]
        skipped = sum(1 for s in self.sheets.values() if s.blocked_by is not None)
        if not failed:
            return "the job ended with sheets that did not complete"
        first = min(failed, key=lambda s: s.plan.num)
        tries = "1 attempt" if first.attempts == 1 else f"{first.attempts} attempts"
        text = f"sheet {first.plan.num} failed after {tries}: {first.error}"
        if len(failed) > 1:
            text += f"; {len(failed) - 1} more sheet(s) failed"
        if skipped:
            text += f"; {skipped} sheet(s) skipped because a dependency failed"
        return text


class Changes:
    """What one `handle` call changed: persisted first, then the effects in order."""

    def __init__(self) -> None:
        self._new: dict[JobId, tuple[LiveJob, str]] = {}
        self._jobs: dict[JobId, LiveJob] = {}
        self._sheets: dict[tuple[JobId, SheetNum], tuple[LiveJob, LiveSheet]] = {}
        self._attempts: list[AttemptRecord] = []
        self.effects: list[Command] = []

    def new_job(self, job: LiveJob, snapshot: str) -> None:
        self._new[job.job_id] = (job, snapshot)

    def job(self, job: LiveJob) -> None:
        self._jobs[job.job_id] = job

    def sheet(self, job: LiveJob, sheet: LiveSheet) -> None:
        self._sheets[(job.job_id, sheet.plan.num)] = (job, sheet)

    def attempt(self, record: AttemptRecord) -> None:
        self._attempts.append(record)

    def commands(self) -> list[Command]:
        persist = Persist(
            new_jobs=tuple(NewJob(j.record(), j.plan, text) for j, text in self._new.values()),
            jobs=tuple(j.record() for jid, j in self._jobs.items() if jid not in self._new),
            sheets=tuple(j.sheet_record(s) for j, s in self._sheets.values()),
            attempts=tuple(self._attempts),
        )
        if persist == Persist():
            return list(self.effects)
        return [persist, *self.effects]
