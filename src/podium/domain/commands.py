"""Commands: what the engine asks the runtime to do, in order.

`Persist` always comes first in a batch and is committed before any effect that follows it,
so an effect never runs for a state that was not saved.
"""

from dataclasses import dataclass

from podium.domain.ids import JobId, SheetNum
from podium.domain.records import AttemptRecord, JobRecord, NewJob, SheetRecord


@dataclass(frozen=True, slots=True)
class Persist:
    new_jobs: tuple[NewJob, ...] = ()
    jobs: tuple[JobRecord, ...] = ()
    sheets: tuple[SheetRecord, ...] = ()
    attempts: tuple[AttemptRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Launch:
    """Start attempt `attempt` of a sheet; its exit comes back as `AttemptExited`."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class RunValidations:
    """Check the sheet's rules for this attempt; the results come back as `ValidationsDone`."""

    job_id: JobId
    sheet: SheetNum
    attempt: int


@dataclass(frozen=True, slots=True)
class Accepted:
    job_id: JobId


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


@dataclass(frozen=True, slots=True)
class Reply:
    request: int
    result: Accepted | Rejected


@dataclass(frozen=True, slots=True)
class JobEnded:
    """A job reached a terminal status; the runtime may drop what it cached for it."""

    job_id: JobId


Command = Persist | Launch | RunValidations | Reply | JobEnded
