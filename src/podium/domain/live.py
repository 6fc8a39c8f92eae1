"""The engine's live state of the jobs it runs, and how that state becomes records.

Mutable on purpose and private to the engine: `Engine` changes it and `Changes` collects what
changed, so that one `handle` call returns one `Persist` with the final rows.
"""

from collections import deque
from dataclasses import dataclass, field, fields

from podium.domain.commands import Command, Persist
from podium.domain.decide import Budget
from podium.domain.gates import GateRecord
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey
from podium.domain.outcome import ExitStatus
from podium.domain.plan import JobPlan, SheetPlan
from podium.domain.policy import Hook
from podium.domain.records import (
    AttemptRecord,
    HookRecord,
    JobNote,
    JobRecord,
    JobSpec,
    RateLimitRecord,
    SheetRecord,
    Usage,
)
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.validation import ValidationResult

HISTORY_KEPT = 50
"""Notes a live job keeps in memory for `status` (the store keeps them all)."""

_FROM_PLAN = frozenset({"name", "total_sheets", "completed_sheets"})
_SHARED_WITH_RECORD = tuple(f.name for f in fields(JobRecord) if f.name not in _FROM_PLAN)
"""The `JobRecord` fields a `LiveJob` holds under the same name."""


@dataclass(slots=True)
class LiveSheet:
    plan: SheetPlan
    status: SheetStatus
    updated_at: float
    unmet: int
    """Dependencies not yet satisfied."""
    attempts: int = 0
    budget: Budget = field(default_factory=Budget)
    fallback: int = 0
    """Index into the plan's instrument chain."""
    error: str | None = None
    blocked_by: SheetNum | None = None
    due: float | None = None
    wait: str | None = None
    failed_checks: tuple[str, ...] = ()
    cost: float = 0.0
    attempt_started_at: float = 0.0
    exited_at: float | None = None
    exit: ExitStatus | None = None
    launched_on: InstrumentKey | None = None
    """The slot the attempt in flight holds."""
    checking: int | None = None
    """Its `skip_when_command` is running: the number of that check."""
    checked: bool = False
    """Its skip conditions were looked at since it last became ready."""
    stopping: bool = False
    """Its attempt in flight is being stopped on purpose (a forced pause, a person)."""
    stopped_why: str = ""
    """While `stopping`: what its attempt's record will say."""
    usage: Usage | None = None
    feedback: str | None = None
    """The latest attempt's feedback (JSON text), kept with its record."""
    review: str | None = None
    """The latest attempt's AI review (JSON text), kept with its record."""
    """What the attempt in flight (or the last one) consumed, once it exited."""
    quota: bool = False
    """The last attempt ran into a spent quota."""
    mode: str = "normal"
    """How the attempt in flight (or the last one) was asked: normal, or completion."""
    gate: GateRecord | None = None
    """Its latest approval question, open or answered."""
    approved: bool = False
    """It passed its gate (answered, or a notice) since it was last reset."""
    cost_approved: bool = False
    """A person let it run on over the job's cost limit (`on_exceed: ask`)."""

    @property
    def instrument(self) -> str:
        return self.plan.chain[self.fallback]

    @property
    def model(self) -> str | None:
        """The planned model, on the planned instrument; a fallback runs its default."""
        return self.plan.model if self.fallback == 0 else None

    @property
    def key(self) -> InstrumentKey:
        return (self.instrument, self.model)

    @property
    def has_fallback(self) -> bool:
        return self.fallback + 1 < len(self.plan.chain)

    @property
    def satisfies_dependents(self) -> bool:
        return self.status is SheetStatus.COMPLETED or (
            self.status is SheetStatus.SKIPPED and self.blocked_by is None
        )


@dataclass(slots=True)
class PendingScore:
    """A new score for a job, applied once its attempts in flight have ended."""

    plan: JobPlan
    key: str
    """Names the compiled score the runtime keeps for it (see `SwapScore`)."""


@dataclass(slots=True)
class Recheck:
    """A `podium recover` under way: the sheets whose validations are being checked again,
    and the answers so far. The request is answered once every sheet has its answer."""

    request: int
    waiting: set[SheetNum]
    dry_run: bool
    revived: bool
    """The job had ended: it leaves the engine again once the recheck is done."""
    results: dict[SheetNum, tuple[ValidationResult, ...]] = field(default_factory=dict)


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
    ready: set[SheetNum] = field(default_factory=set)
    awaiting: set[SheetNum] = field(default_factory=set)
    """Its sheets waiting for a person's answer."""
    asks: bool = False
    """Its plan may ask a person (`JobPlan.asks`), kept with the plan it runs."""
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    detail: str | None = None
    chain_depth: int = 0
    cost: float = 0.0
    completed: int = 0
    terminal: int = 0
    in_flight: int = 0
    completed_this_run: int = 0
    """Sheets completed since the job last started or resumed (the hooks' zero-work guard)."""
    not_before: float = 0.0
    """Pacing and stagger: no dispatch for this job before then."""
    stopped_by: SheetNum | None = None
    """With fail_fast: the sheet whose failure stopped new dispatch."""
    pending: PendingScore | None = None
    held_path: str | None = None
    """While a new score waits: the path of the score the attempts in flight still run."""
    resume_when_idle: bool = False
    cost_warned: bool = False
    recheck: Recheck | None = None
    """A `podium recover` checking its sheets again: no other request is taken meanwhile."""
    history: deque[JobNote] = field(default_factory=lambda: deque(maxlen=HISTORY_KEPT))
    hooks: tuple[Hook, ...] = ()
    """The on_success hooks it runs (once every sheet is done)."""
    hook: int = 0
    """The hook running now (1 for the first); 0 when none is."""
    hook_records: dict[int, HookRecord] = field(default_factory=dict)

    def record(self) -> JobRecord:
        """The job's row: every field it shares with `JobRecord` by name, and the few that
        come from its plan and counts."""
        own = {name: getattr(self, name) for name in _SHARED_WITH_RECORD}
        return JobRecord(
            **own,
            name=self.plan.name,
            total_sheets=self.plan.total_sheets,
            completed_sheets=self.completed,
        )

    def sheet_record(self, sheet: LiveSheet) -> SheetRecord:
        return SheetRecord(
            job_id=self.job_id,
            num=sheet.plan.num,
            status=sheet.status,
            updated_at=sheet.updated_at,
            attempts=sheet.attempts,
            failures=sheet.budget.failures,
            error=sheet.error,
            blocked_by=sheet.blocked_by,
            completions=sheet.budget.completions,
            rate_waits=sheet.budget.rate_waits,
            quota_waits=sheet.budget.quota_waits,
            fallback=sheet.fallback,
            due=sheet.due,
            wait=sheet.wait,
            failed_checks=sheet.failed_checks,
            cost=sheet.cost,
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
            text += f"; {skipped} sheet(s) not run because a sheet failed"
        return text


class Changes:
    """What one `handle` call changed: persisted first, then the effects in order."""

    def __init__(self) -> None:
        self._jobs: dict[JobId, LiveJob] = {}
        self._specs: dict[JobId, JobSpec] = {}
        self._sheets: dict[tuple[JobId, SheetNum], tuple[LiveJob, LiveSheet]] = {}
        self._attempts: list[AttemptRecord] = []
        self._windows: dict[InstrumentKey, RateLimitRecord | None] = {}
        self._notes: list[JobNote] = []
        self._hooks: dict[tuple[JobId, int], HookRecord] = {}
        self._hooks_cleared: list[JobId] = []
        self._gates: dict[tuple[JobId, SheetNum], GateRecord] = {}
        self.effects: list[Command] = []

    def job(self, job: LiveJob) -> None:
        self._jobs[job.job_id] = job

    def spec(self, spec: JobSpec) -> None:
        self._specs[spec.job_id] = spec

    def sheet(self, job: LiveJob, sheet: LiveSheet) -> None:
        self._sheets[(job.job_id, sheet.plan.num)] = (job, sheet)

    def attempt(self, record: AttemptRecord) -> None:
        self._attempts.append(record)

    def window(self, key: InstrumentKey, record: RateLimitRecord | None) -> None:
        """A rate-limit window opened (a record) or closed (None)."""
        self._windows[key] = record

    def note(self, job: LiveJob, at: float, text: str) -> None:
        note = JobNote(job.job_id, at, text)
        job.history.append(note)
        self._notes.append(note)

    def hook(self, record: HookRecord) -> None:
        self._hooks[(record.job_id, record.num)] = record

    def gate(self, record: GateRecord) -> None:
        """An approval question asked, answered or expired."""
        self._gates[(record.job_id, record.sheet)] = record

    def hooks_cleared(self, job: LiveJob) -> None:
        self._hooks_cleared.append(job.job_id)

    def commands(self) -> list[Command]:
        persist = Persist(
            jobs=tuple(j.record() for j in self._jobs.values()),
            specs=tuple(self._specs.values()),
            sheets=tuple(j.sheet_record(s) for j, s in self._sheets.values()),
            attempts=tuple(self._attempts),
            rate_limits=tuple(r for r in self._windows.values() if r is not None),
            rate_limits_cleared=tuple(k for k, r in self._windows.items() if r is None),
            notes=tuple(self._notes),
            hooks_cleared=tuple(self._hooks_cleared),
            hooks=tuple(self._hooks.values()),
            gates=tuple(self._gates.values()),
        )
        if persist == Persist():
            return list(self.effects)
        return [persist, *self.effects]
