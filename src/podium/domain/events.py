"""Events: everything that can happen to the engine. Each is handled by `Engine.handle`."""

from dataclasses import dataclass

from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import ExitStatus
from podium.domain.plan import JobPlan
from podium.domain.records import AttemptRecord, JobRecord, SheetRecord
from podium.domain.validation import ValidationResult


@dataclass(frozen=True, slots=True)
class JobSubmitted:
    request: int
    """Correlates the engine's `Reply` with the caller waiting for it."""
    job_id: JobId
    plan: JobPlan
    score_path: str
    workspace: str
    snapshot: str


@dataclass(frozen=True, slots=True)
class RecoveredJob:
    """A job that was active when the conductor last stopped, as the store remembers it."""

    job: JobRecord
    plan: JobPlan
    sheets: tuple[SheetRecord, ...]
    attempts: tuple[AttemptRecord, ...]
    """The latest attempt of each sheet that was running or validating."""
    problem: str | None = None
    """Why the job cannot go on (its score no longer compiles, say); it then fails."""


@dataclass(frozen=True, slots=True)
class Recovered:
    """Every unfinished job, handed back at once after a restart, so that the limits see all
    the attempts still in flight before anything new is dispatched."""

    jobs: tuple[RecoveredJob, ...]


@dataclass(frozen=True, slots=True)
class AttemptExited:
    job_id: JobId
    sheet: SheetNum
    attempt: int
    status: ExitStatus
    output_tail: str = ""
    """The last lines the process wrote to stderr (or stdout when stderr was empty)."""


@dataclass(frozen=True, slots=True)
class AttemptNotLaunched:
    """The runtime could not start the attempt at all (missing binary, unwritable workspace)."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    reason: str


@dataclass(frozen=True, slots=True)
class ValidationsDone:
    job_id: JobId
    sheet: SheetNum
    attempt: int
    results: tuple[ValidationResult, ...]


Event = JobSubmitted | Recovered | AttemptExited | AttemptNotLaunched | ValidationsDone
