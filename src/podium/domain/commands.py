"""Commands: what the engine asks the runtime to do, in order.

`Persist` always comes first in a batch and is committed before any effect that follows it,
so an effect never runs for a state that was not saved.
"""

from dataclasses import dataclass

from podium.domain.gates import GateRecord
from podium.domain.ids import JobId, SheetNum
from podium.domain.policy import Hook
from podium.domain.records import (
    AttemptRecord,
    HookRecord,
    JobNote,
    JobRecord,
    JobSpec,
    RateLimitRecord,
    SheetRecord,
)


@dataclass(frozen=True, slots=True)
class Persist:
    jobs: tuple[JobRecord, ...] = ()
    specs: tuple[JobSpec, ...] = ()
    sheets: tuple[SheetRecord, ...] = ()
    attempts: tuple[AttemptRecord, ...] = ()
    rate_limits: tuple[RateLimitRecord, ...] = ()
    """Windows opened or extended."""
    rate_limits_cleared: tuple[tuple[str, str | None], ...] = ()
    """(instrument, model) windows that ended early or expired."""
    notes: tuple[JobNote, ...] = ()
    hooks_cleared: tuple[JobId, ...] = ()
    """Jobs whose hooks start over: their earlier runs' hook records go (before `hooks`)."""
    hooks: tuple[HookRecord, ...] = ()
    gates: tuple[GateRecord, ...] = ()
    """Approval questions asked or answered."""


@dataclass(frozen=True, slots=True)
class Launch:
    """Start attempt `attempt` of a sheet; its exit comes back as `AttemptExited`."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    instrument: str
    model: str | None
    timeout_seconds: float
    idle_timeout_seconds: float | None = None
    """Stop the attempt as stale when it writes nothing for this long."""
    completion_of: tuple[str, ...] = ()
    """A completion attempt: the checks the previous attempt failed, to be named to it."""
    previous_error: str | None = None
    """Why the previous attempt failed, for a retry's prompt."""
    person_prompt: str | None = None
    """A person's text for this attempt, given with an approval (appended to the prompt)."""
    replace_prompt: bool = False
    """True: `person_prompt` replaces the sheet's prompt instead."""


@dataclass(frozen=True, slots=True)
class RunValidations:
    """Check the sheet's rules for this attempt; the results come back as `ValidationsDone`."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    recheck: bool = False
    """For `podium recover`: the workspace as it is now, against the sheet's latest attempt;
    the results come back marked the same way."""


@dataclass(frozen=True, slots=True)
class RunSkipCheck:
    """Run the sheet's `skip_when_command`; the answer comes back as `SkipChecked`."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    """The sheet's attempt count when asked (it marks the check's processes)."""
    check: int
    """Numbers this check; the answer carries it back."""


@dataclass(frozen=True, slots=True)
class Kill:
    """Stop the attempt's process group (TERM, grace, KILL); its exit still comes back."""

    job_id: JobId
    sheet: SheetNum
    attempt: int


@dataclass(frozen=True, slots=True)
class RunHook:
    """Run the job's `on_success` hook number `index` (1 for the first); its end comes back as
    `HookFinished`."""

    job_id: JobId
    index: int
    hook: Hook
    chain_depth: int
    """The depth a job started by a `run_job` hook gets."""
    chained_job: JobId | None = None
    """A `run_job` hook run again after a restart: the job it had been given; it is submitted
    only if the store does not have it."""


@dataclass(frozen=True, slots=True)
class StopHook:
    """Stop the job's running hook (its process group); nothing comes back."""

    job_id: JobId
    index: int


@dataclass(frozen=True, slots=True)
class SwapScore:
    """The job now runs on the score it was modified to; the old one is no longer needed."""

    job_id: JobId
    key: str
    """The `NewScore.key` of the score it runs on now."""


@dataclass(frozen=True, slots=True)
class WakeAt:
    """Send a `Tick` at `at` (epoch seconds), replacing any later wake-up asked before."""

    at: float


@dataclass(frozen=True, slots=True)
class SheetChange:
    """What a request did (or, in a dry run, would do) to one sheet."""

    sheet: SheetNum
    changed: bool
    detail: str
    """'completed', 'pending again', or why it is left as it is."""


@dataclass(frozen=True, slots=True)
class Accepted:
    job_id: JobId | None
    message: str = ""
    sheets: tuple[SheetChange, ...] = ()
    """Sheet by sheet, for requests that change sheets (`podium recover`)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    code: str = "invalid_state"
    """invalid_state, or already_running (a submission of a score that is running)."""


@dataclass(frozen=True, slots=True)
class Reply:
    request: int
    result: Accepted | Rejected


@dataclass(frozen=True, slots=True)
class JobEnded:
    """A job left the engine (completed, failed or cancelled); the runtime may drop what it
    cached for it."""

    job_id: JobId


Command = (
    Persist
    | Launch
    | RunValidations
    | RunSkipCheck
    | Kill
    | RunHook
    | StopHook
    | SwapScore
    | WakeAt
    | Reply
    | JobEnded
)
