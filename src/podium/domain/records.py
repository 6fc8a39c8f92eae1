"""The facts the conductor persists: one record type per stored row.

The engine emits records in `Persist` commands; a store writes them and reads them back after a
restart. Records are complete rows, so writing one is an idempotent upsert.
"""

from dataclasses import dataclass
from enum import StrEnum

from podium.domain.gates import GateRecord
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
    detail: str | None = None
    """Why a job is paused ('paused by the user', 'cost limit reached: …')."""
    chain_depth: int = 0
    """How many `run_job` hooks led to this job (0 for a job a person submitted)."""
    cost: float = 0.0
    resume_when_idle: bool = False
    """Paused for a modify: it resumes on its new score once its attempts in flight end."""
    hook: int = 0
    """While its on_success hooks run: the one running (1 for the first); 0 otherwise."""


Carried = tuple[tuple[str, str], ...]
"""Variables a job carries from the shell that submitted it, as (name, value) pairs."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What a job was asked to do: written when it is accepted, replaced by a modify."""

    job_id: JobId
    plan: JobPlan
    snapshot: str
    """The score and the files it reads, frozen (see `podium.score.snapshot`)."""
    submit_key: str | None = None
    """The idempotency key the job was submitted with: kept with the job, never replaced (a
    modify writes None, which leaves it)."""
    environment: Carried | None = None
    """The variables the submitting shell carried for the job's instruments (its PATH, their
    credentials), laid over the conductor's environment; None: the conductor's alone."""


@dataclass(frozen=True, slots=True)
class SheetRecord:
    job_id: JobId
    num: SheetNum
    status: SheetStatus
    updated_at: float
    attempts: int = 0
    failures: int = 0
    """Attempts that spent the retry budget (of the current instrument)."""
    error: str | None = None
    blocked_by: SheetNum | None = None
    """Set when the sheet was skipped because this dependency failed."""
    completions: int = 0
    rate_waits: int = 0
    quota_waits: int = 0
    fallback: int = 0
    """0 while on the planned instrument, then 1, 2… along its fallbacks."""
    due: float | None = None
    """While waiting: when it may run again."""
    wait: str | None = None
    """While waiting: what for (retry, completion or rate_limit)."""
    failed_checks: tuple[str, ...] = ()
    """The checks the last attempt failed, for the completion attempt that follows."""
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Usage:
    """What an attempt consumed, as its instrument reported it (or as Podium estimated it)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    cost_estimated: bool = False
    """True when the cost was computed from guessed prices, not the model's own."""


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
    instrument: str | None = None
    model: str | None = None
    mode: str = "normal"
    """normal, or completion (told which checks failed last time)."""
    cost: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_estimated: bool = False
    error_code: str | None = None
    """E001 timeout … E102 rate limit, E201 validation, E502 auth (see `podium.domain.codes`)."""
    feedback: str | None = None
    """The agent's feedback block, as JSON text (`feedback` in the score)."""
    review: str | None = None
    """The AI review of the attempt's work, as JSON text (`ai_review` in the score)."""


class HookOutcome(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class HookRecord:
    """One `on_success` hook of a job's latest run: written when it starts, again when it
    ends."""

    job_id: JobId
    num: int
    """1 for the job's first hook."""
    type: str
    label: str
    """'run_command: make deploy' (see `Hook.label`)."""
    description: str | None
    started_at: float
    outcome: HookOutcome = HookOutcome.RUNNING
    ended_at: float | None = None
    exit_code: int | None = None
    error: str | None = None
    output: str = ""
    """The end of what it printed (redacted)."""
    chained_job: JobId | None = None
    """The job a `run_job` hook submitted (recorded just before it is submitted)."""


@dataclass(frozen=True, slots=True)
class RateLimitRecord:
    """A rate-limit window: no attempt of this instrument (and model) starts before `until`."""

    instrument: str
    model: str | None
    until: float
    reason: str


@dataclass(frozen=True, slots=True)
class JobNote:
    """One line of a job's history: a pause, a fallback, a rate-limit wait, a modify."""

    job_id: JobId
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """Enough to find an attempt's process again after a restart, without trusting a bare pid."""

    pid: int
    pgid: int
    start_ticks: int
    """The process's start stamp: with the pid, it names one process for good. Its unit is
    the operating system's, whichever way it was read: clock ticks since boot on Linux (as
    /proc/<pid>/stat has it), microseconds since the epoch elsewhere (`podium.host.psproc`)."""


@dataclass(frozen=True, slots=True)
class StoredJob:
    record: JobRecord
    plan: JobPlan
    sheets: tuple[SheetRecord, ...]
    history: tuple[JobNote, ...] = ()
    """The latest notes, oldest first."""
    hooks: tuple[HookRecord, ...] = ()
    gates: tuple[GateRecord, ...] = ()
    """The latest approval question of each sheet asked one."""


@dataclass(frozen=True, slots=True)
class InFlightAttempt:
    record: AttemptRecord
    process: ProcessInfo | None


@dataclass(frozen=True, slots=True)
class InFlightHook:
    record: HookRecord
    process: ProcessInfo | None


@dataclass(frozen=True, slots=True)
class ActiveJob:
    """A job that was not finished when the conductor stopped, with what it needs to go on."""

    job: StoredJob
    snapshot: str
    in_flight: tuple[InFlightAttempt, ...]
    hooks: tuple[InFlightHook, ...] = ()
    """Its hooks' records, with the process of the one that was running, if known."""
    environment: Carried | None = None
    """What it carries of the environment it was submitted (or resumed) from."""
