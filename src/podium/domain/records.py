"""The facts the conductor persists: one record type per stored row.

The engine emits records in `Persist` commands; a store writes them and reads them back after a
restart. Records are complete rows, so writing one is an idempotent upsert.
"""

from dataclasses import dataclass

from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.plan import JobPlan
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.validation import ValidationResult


@dataclass(frozen=True, slots=True)
class JobRecord:
    job_id: JobId
    name: str
    score_path: str
    workspace: str
    status: JobStatus
    submitted_at: float
    total_sheets: int
    completed_sheets: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """Written once, when a job is accepted: what the job was asked to do."""

    record: JobRecord
    plan: JobPlan
    snapshot: str


@dataclass(frozen=True, slots=True)
class SheetRecord:
    job_id: JobId
    num: SheetNum
    status: SheetStatus
    updated_at: float
    attempts: int = 0
    failures: int = 0
    """Attempts that spent the retry budget."""
    error: str | None = None
    blocked_by: SheetNum | None = None
    """Set when the sheet was skipped because this dependency failed."""


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    job_id: JobId
    sheet: SheetNum
    attempt: int
    started_at: float
    outcome: AttemptOutcome = AttemptOutcome.RUNNING
    exited_at: float | None = None
    """When the process ended."""
    ended_at: float | None = None
    """When the attempt was decided: after its validations, when it got that far."""
    exit_code: int | None = None
    signal: int | None = None
    error: str | None = None
    validations: tuple[ValidationResult, ...] = ()


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """Enough to find an attempt's process again after a restart, without trusting a bare pid."""

    pid: int
    pgid: int
    start_ticks: int
    """The process start time from /proc/<pid>/stat, in clock ticks since boot."""


@dataclass(frozen=True, slots=True)
class StoredJob:
    record: JobRecord
    plan: JobPlan
    sheets: tuple[SheetRecord, ...]


@dataclass(frozen=True, slots=True)
class InFlightAttempt:
    record: AttemptRecord
    process: ProcessInfo | None


@dataclass(frozen=True, slots=True)
class ActiveJob:
    """A job that was not finished when the conductor stopped, with what it needs to go on."""

    job: StoredJob
    snapshot: str
    in_flight: tuple[InFlightAttempt, ...]
