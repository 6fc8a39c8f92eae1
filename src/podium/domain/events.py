"""Events: everything that can happen to the engine. Each is handled by `Engine.handle`."""

from dataclasses import dataclass

from podium.domain.classify import Classified
from podium.domain.gates import Answer, GateRecord
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import Limits
from podium.domain.outcome import ExitStatus
from podium.domain.plan import JobPlan
from podium.domain.pressure import PressureLevel
from podium.domain.records import (
    AttemptRecord,
    Carried,
    HookRecord,
    JobNote,
    JobRecord,
    RateLimitRecord,
    SheetRecord,
    Usage,
)
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
    start_sheet: int = 1
    """Sheets before this one are skipped on purpose (`run --start-sheet`)."""
    chain_depth: int = 0
    note: str | None = None
    """The first line of the job's history (how it was started)."""
    submit_key: str | None = None
    """The client's idempotency key, stored with the job in the same transaction."""
    environment: Carried | None = None
    """What the submitting shell carried for the job's instruments (see `JobSpec`)."""


@dataclass(frozen=True, slots=True)
class RestoredJob:
    """A job as the store remembers it: one left unfinished by the last conductor, or a
    finished one being resumed or modified."""

    job: JobRecord
    plan: JobPlan
    sheets: tuple[SheetRecord, ...]
    attempts: tuple[AttemptRecord, ...] = ()
    """The latest attempt of each sheet that was running or validating."""
    problem: str | None = None
    """Why the job cannot go on (its score no longer compiles, say); it then fails."""
    history: tuple[JobNote, ...] = ()
    reattached: frozenset[SheetNum] = frozenset()
    """Sheets whose attempt outlived the last conductor (still running, or ended with its
    exit status recorded): the runtime watches it again and reports its end as usual."""
    hooks: tuple[HookRecord, ...] = ()
    """Its on_success hooks' records, while it runs them (`JobRecord.hook`)."""
    gates: tuple[GateRecord, ...] = ()
    """The latest question of each sheet that was asked one (open or answered)."""


@dataclass(frozen=True, slots=True)
class Restarted:
    """Every unfinished job, handed back at once after a restart, so that the limits see all
    the attempts still in flight before anything new is dispatched."""

    jobs: tuple[RestoredJob, ...]
    rate_limits: tuple[RateLimitRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredScoreBroken:
    """A job recovered uncompiled (queued when the conductor stopped) whose stored score no
    longer compiles, found when it was first needed: the job fails with the reason."""

    job_id: JobId
    reason: str


@dataclass(frozen=True, slots=True)
class AttemptExited:
    job_id: JobId
    sheet: SheetNum
    attempt: int
    status: ExitStatus
    classified: Classified
    """What the exit and the output mean (see `podium.domain.classify`)."""
    usage: Usage | None = None
    """Tokens and cost, when the instrument reports them (or they could be estimated)."""
    exited_at: float | None = None
    """When the runtime saw the process end (before it read the output); None: on receipt."""
    feedback: str | None = None
    """The agent's feedback block, as JSON text, when the score asks for it (`feedback`)."""


@dataclass(frozen=True, slots=True)
class AttemptNotLaunched:
    """The runtime could not start the attempt at all (missing binary, unwritable workspace)."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    reason: str
    no_room: bool = False
    """The state folder could not take the attempt's files (full or read-only): not the
    sheet's fault, so it runs again without spending its budget, once dispatch resumes."""
    final: bool = False
    """Trying again cannot help (no node of the cluster offers the instrument): the sheet falls
    back to its next instrument, or fails, at once."""
    wait_seconds: float | None = None
    """No place can run it now, but one may soon (the nodes that offered its instrument are
    gone, and may come back): the sheet waits this long, its budget untouched, then runs."""


@dataclass(frozen=True, slots=True)
class AttemptLost:
    """The attempt's process was lost with the machine that ran it (a Ray node gone, its
    actor dead) before it recorded how it ended: not the sheet's fault, so it runs again,
    without spending its budget, wherever its instrument is still offered."""

    job_id: JobId
    sheet: SheetNum
    attempt: int
    reason: str
    """What was lost, in words ('its Ray actor on node 5f2c… died')."""


@dataclass(frozen=True, slots=True)
class ValidationsDone:
    job_id: JobId
    sheet: SheetNum
    attempt: int
    results: tuple[ValidationResult, ...]
    recheck: bool = False
    """The answer to a `RunValidations` of `podium recover`, not to an attempt."""
    review: str | None = None
    """The AI review of the attempt (`ai_review`), as JSON text, when one ran."""
    review_cost: float | None = None
    """What the review cost, added to the sheet's and the job's."""


@dataclass(frozen=True, slots=True)
class SkipChecked:
    """The answer of a `RunSkipCheck`."""

    job_id: JobId
    sheet: SheetNum
    check: int
    skip: bool
    detail: str
    """What the command did ('exited 0', 'timed out after 10s: ran anyway')."""


@dataclass(frozen=True, slots=True)
class HookResult:
    """How an `on_success` hook ended."""

    ok: bool
    exit_code: int | None = None
    error: str | None = None
    """Why it failed: 'exit 3: make: *** No rule…', 'timed out after 300s'."""
    output: str = ""
    """The end of what it printed (redacted)."""
    chained_job: JobId | None = None
    """The job a `run_job` hook submitted."""


@dataclass(frozen=True, slots=True)
class HookFinished:
    """The answer of a `RunHook`."""

    job_id: JobId
    index: int
    result: HookResult


@dataclass(frozen=True, slots=True)
class Tick:
    """A time the engine asked for with `WakeAt` has come."""


@dataclass(frozen=True, slots=True)
class NewScore:
    """A job's score read again from disk (for a resume or a modify)."""

    plan: JobPlan
    snapshot: str
    score_path: str
    key: str = ""
    """Names it in the runtime's catalog (a digest of the snapshot)."""
    environment: Carried | None = None
    """What the job carries from now on (the resuming shell's, or the one it carried)."""


@dataclass(frozen=True, slots=True)
class PauseJob:
    request: int
    job_id: JobId
    force: bool = False
    """Stop the attempts in flight now; their sheets go back to ready, budget untouched."""


@dataclass(frozen=True, slots=True)
class StopAttempt:
    """Stop a sheet's attempt in flight now (a person judged it stuck or astray): the sheet
    runs again at once, its retry budget untouched."""

    request: int
    job_id: JobId
    sheet: SheetNum


@dataclass(frozen=True, slots=True)
class AnswerGate:
    """A person answers the question a sheet waits on (approve, reject or skip)."""

    request: int
    job_id: JobId
    sheet: SheetNum
    answer: Answer
    note: str | None = None
    prompt: str | None = None
    """For an approve: text for the sheet's next attempt (Marianne's modify_prompt)."""
    replace_prompt: bool = False


@dataclass(frozen=True, slots=True)
class ResumeJob:
    request: int
    job_id: JobId
    stored: RestoredJob | None = None
    """The job as stored, when it has ended (failed or cancelled) and left the engine."""
    score: NewScore | None = None
    """The score reloaded from disk; None keeps the one the job ran with."""
    force: bool = False
    """A completed job runs again too: every sheet, with a fresh budget."""


@dataclass(frozen=True, slots=True)
class ModifyJob:
    request: int
    job_id: JobId
    score: NewScore
    stored: RestoredJob | None = None
    resume: bool = True
    """A paused job goes on with its new score; False leaves it paused until resumed."""


@dataclass(frozen=True, slots=True)
class RecoverSheets:
    """`podium recover`: check the validations of failed sheets again without running them
    (those that pass are completed), or with `from_sheet` put the sheets from there on back to
    pending for a resume."""

    request: int
    job_id: JobId
    stored: RestoredJob | None = None
    """The job as stored, when it has ended (failed or cancelled) and left the engine."""
    sheets: tuple[SheetNum, ...] = ()
    """Only these sheets; none: every failed sheet."""
    from_sheet: SheetNum | None = None
    dry_run: bool = False
    """Say what would happen; change nothing."""


@dataclass(frozen=True, slots=True)
class CancelJob:
    request: int
    job_id: JobId


@dataclass(frozen=True, slots=True)
class ClearRateLimits:
    request: int
    instrument: str | None = None
    """Only this instrument's windows; None clears them all."""


@dataclass(frozen=True, slots=True)
class LimitsChanged:
    """The conductor's settings were reloaded: these limits apply from now on. Nothing running
    is stopped; a lower limit only holds back what starts next."""

    limits: Limits


@dataclass(frozen=True, slots=True)
class PressureMeasured:
    """The resource monitor's level (see `podium.domain.pressure`): posted when it changes,
    and at every measurement while it is critical (each of those pauses one more job)."""

    level: PressureLevel
    reason: str
    """What the level comes from, in words ('memory 7.9 GB of 8 GB (97%)')."""


Event = (
    JobSubmitted
    | Restarted
    | StoredScoreBroken
    | AttemptExited
    | AttemptNotLaunched
    | AttemptLost
    | ValidationsDone
    | SkipChecked
    | HookFinished
    | Tick
    | PauseJob
    | StopAttempt
    | AnswerGate
    | ResumeJob
    | ModifyJob
    | CancelJob
    | RecoverSheets
    | ClearRateLimits
    | LimitsChanged
    | PressureMeasured
)
