"""The engine's state and the mechanics every part of it uses: moving statuses through the
tables, taking and giving slots, making sheets ready (or skipping them), building records.
"""

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from podium.domain.alarms import AlarmKind, Alarms
from podium.domain.breaker import Breaker
from podium.domain.codes import error_code
from podium.domain.commands import (
    Rejected,
    Reply,
    RunSkipCheck,
)
from podium.domain.decide import Action, Budget
from podium.domain.events import (
    RecoveredJob,
)
from podium.domain.expressions import ExpressionError, evaluate
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey, Limits, Occupancy
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.plan import JobPlan
from podium.domain.pressure import LaunchPacing
from podium.domain.records import AttemptRecord, RateLimitRecord
from podium.domain.skip import skip_names
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
    next_job_status,
    next_sheet_status,
)
from podium.domain.validation import ValidationResult

AttemptKey = tuple[JobId, SheetNum, int]

BREAKER_FAILURES = frozenset(
    {
        AttemptOutcome.FAILED,
        AttemptOutcome.CRASHED,
        AttemptOutcome.TIMED_OUT,
        AttemptOutcome.STALE,
        AttemptOutcome.CAPACITY,
        AttemptOutcome.AUTH_FAILED,
        AttemptOutcome.LAUNCH_FAILED,
    }
)
"""Outcomes that say something about the instrument's health."""


class EngineCore:
    """The state of the engine; see `podium.domain.engine.Engine`."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or Limits()
        self._jobs: dict[JobId, LiveJob] = {}
        self._by_score: dict[str, JobId] = {}
        self._slots = Occupancy(self._limits)
        self._running: dict[JobId, LiveJob] = {}
        """The running jobs: dispatch looks only at these, however many wait in the queue."""
        self._queue: list[tuple[int, JobId]] = []
        self._windows: dict[InstrumentKey, RateLimitRecord] = {}
        self._breakers: dict[str, Breaker] = {}
        self._alarms = Alarms()
        self._pacing = LaunchPacing()
        """Backpressure: the resource monitor's level spaces attempt starts."""
        self._draining: dict[AttemptKey, tuple[JobId, InstrumentKey]] = {}
        """Attempts of stopped jobs whose process or validations have not ended yet: they keep
        their slot until they do, and their sheet does not run again before."""
        self._draining_sheets: Counter[tuple[JobId, SheetNum]] = Counter()
        self._seq = 0
        self._checks = 0
        """Numbers each skip check, so that an answer to an older one is recognised."""

    def _restore(self, stored: RecoveredJob, now: float) -> LiveJob:
        """A job back in the engine as the store remembers it; nothing is decided yet."""
        rec = stored.job
        job = self._new_job(
            rec.job_id,
            stored.plan,
            rec.score_path,
            rec.workspace,
            submitted_at=rec.submitted_at,
            status=rec.status,
        )
        if rec.status is JobStatus.RUNNING:
            self._running[rec.job_id] = job
        job.started_at, job.finished_at, job.error = rec.started_at, rec.finished_at, rec.error
        job.detail, job.chain_depth, job.cost = rec.detail, rec.chain_depth, rec.cost
        job.resume_when_idle = rec.resume_when_idle
        job.history.extend(stored.history)
        for srec in stored.sheets:
            sheet = job.sheets.get(srec.num)
            if sheet is None:
                continue  # a sheet of the score before a modify
            sheet.status, sheet.updated_at, sheet.error = srec.status, srec.updated_at, srec.error
            sheet.attempts, sheet.blocked_by, sheet.fallback = (
                srec.attempts,
                srec.blocked_by,
                min(srec.fallback, len(sheet.plan.chain) - 1),
            )
            sheet.budget = Budget(srec.failures, srec.completions, srec.rate_waits)
            sheet.due, sheet.wait, sheet.failed_checks = srec.due, srec.wait, srec.failed_checks
            sheet.cost = srec.cost
        if stored.plan.policy.parallel.fail_fast:
            failed = [n for n, s in job.sheets.items() if s.status is SheetStatus.FAILED]
            job.stopped_by = min(failed, default=None)
        self._recount(job)
        return job

    def _new_job(
        self,
        job_id: JobId,
        plan: JobPlan,
        score_path: str,
        workspace: str,
        *,
        submitted_at: float,
        status: JobStatus,
    ) -> LiveJob:
        sheets, dependents = sheets_of(plan, submitted_at)
        self._seq += 1
        job = LiveJob(
            self._seq, job_id, plan, score_path, workspace, submitted_at, status, sheets, dependents
        )
        self._jobs[job_id] = job
        self._by_score[score_path] = job_id
        return job

    @staticmethod
    def _recount(job: LiveJob) -> None:
        """Derive a job's counters and each sheet's unmet dependencies from the statuses."""
        job.terminal = sum(1 for s in job.sheets.values() if s.status.is_terminal)
        job.completed = sum(1 for s in job.sheets.values() if s.status is SheetStatus.COMPLETED)
        job.ready = {n for n, s in job.sheets.items() if s.status is SheetStatus.READY}
        for sheet in job.sheets.values():
            sheet.unmet = sum(
                1 for d in sheet.plan.depends_on if not job.sheets[d].satisfies_dependents
            )

    def _enqueue(self, job: LiveJob) -> None:
        heapq.heappush(self._queue, (job.seq, job.job_id))

    def _make_ready(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        self._move(job, sheet, SheetEvent.DEPENDENCIES_MET, now, out)
        sheet.checked = False
        self._became_ready(job, sheet, now, out)

    def _became_ready(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        """A sheet ready for the first time looks at its skip conditions first."""
        if sheet.checked:
            return
        sheet.checked = True
        plan = sheet.plan
        if plan.skip_when:
            try:
                skip = bool(evaluate(plan.skip_when, skip_names(job)))
            except ExpressionError as exc:
                out.note(job, now, f"sheet {plan.num} runs: its skip_when failed ({exc})")
                skip = False
            if skip:
                self._skip_on_purpose(job, sheet, f"skip_when {plan.skip_when!r} is true", now, out)
                return
        if plan.skip_when_command:
            self._checks += 1
            sheet.checking = self._checks
            out.effects.append(RunSkipCheck(job.job_id, plan.num, sheet.attempts, self._checks))

    def _release_dependents(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        for num in job.dependents[sheet.plan.num]:
            dependent = job.sheets[num]
            dependent.unmet -= 1
            if dependent.unmet == 0 and dependent.status is SheetStatus.PENDING:
                self._make_ready(job, dependent, now, out)

    def _skip_dependents(self, job: LiveJob, failed: LiveSheet, now: float, out: Changes) -> None:
        """Every sheet that can no longer run because `failed` failed is skipped, transitively."""
        todo = list(job.dependents[failed.plan.num])
        while todo:
            dependent = job.sheets[todo.pop()]
            if dependent.status.is_terminal:
                continue
            dependent.blocked_by = failed.plan.num
            dependent.error = f"not run: sheet {failed.plan.num} failed"
            self._move(job, dependent, SheetEvent.SKIP, now, out)
            todo.extend(job.dependents[dependent.plan.num])

    def _skip_on_purpose(
        self, job: LiveJob, sheet: LiveSheet, why: str, now: float, out: Changes
    ) -> None:
        sheet.error = f"skipped: {why}"
        self._move(job, sheet, SheetEvent.SKIP, now, out)
        out.note(job, now, f"sheet {sheet.plan.num} skipped: {why}")
        self._release_dependents(job, sheet, now, out)

    def _wait_until(
        self, job: LiveJob, sheet: LiveSheet, due: float, now: float, out: Changes
    ) -> None:
        sheet.due = due
        out.sheet(job, sheet)
        if due <= now:
            self._wake_sheet(job, sheet, now, out)
        else:
            self._alarms.set(due, AlarmKind.DUE, job.job_id, sheet.plan.num, sheet.attempts)

    def _wake_sheet(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        sheet.due = None
        if sheet.wait != Action.COMPLETE:
            sheet.wait = None
        self._move(job, sheet, SheetEvent.RETRY_DUE, now, out)

    def _hold_dispatch(self, job: LiveJob, until: float) -> None:
        if until > job.not_before:
            job.not_before = until
            self._alarms.set(until, AlarmKind.LOOK)

    def _take_slot(self, job: LiveJob, sheet: LiveSheet, key: InstrumentKey | None = None) -> None:
        key = key or sheet.key
        self._slots.take(job.job_id, key)
        sheet.launched_on = key
        job.in_flight += 1

    def _give_slot(self, job: LiveJob, sheet: LiveSheet) -> None:
        if sheet.launched_on is None:
            raise AssertionError(f"job {job.job_id} sheet {sheet.plan.num} holds no slot")
        self._slots.give(job.job_id, sheet.launched_on)
        sheet.launched_on = None
        job.in_flight -= 1

    def _drained(self, key: AttemptKey) -> bool:
        """An attempt of a stopped job has ended: its slot is free again."""
        held = self._draining.pop(key, None)
        if held is None:
            return False
        self._slots.give(*held)
        self._draining_sheets[key[:2]] -= 1
        if not self._draining_sheets[key[:2]]:
            del self._draining_sheets[key[:2]]
        return True

    def _release_path(self, job: LiveJob, path: str) -> None:
        if self._by_score.get(path) == job.job_id:
            del self._by_score[path]

    def _breaker(self, instrument: str) -> Breaker:
        breaker = self._breakers.get(instrument)
        if breaker is None:
            breaker = self._breakers[instrument] = Breaker()
        return breaker

    def _window_on(self, key: InstrumentKey, now: float) -> RateLimitRecord | None:
        for candidate in ((key[0], None), key):
            window = self._windows.get(candidate)
            if window is not None and window.until > now:
                return window
        return None

    def _windows_for(self, job: LiveJob) -> tuple[RateLimitRecord, ...]:
        keys = {s.key for s in job.sheets.values() if not s.status.is_terminal}
        instruments = {k[0] for k in keys}
        return tuple(
            w
            for k, w in self._windows.items()
            if k in keys or (k[1] is None and k[0] in instruments)
        )

    def _current(
        self, job_id: JobId, num: SheetNum, attempt: int, status: SheetStatus
    ) -> tuple[LiveJob, LiveSheet] | None:
        """The job and sheet a result belongs to, or None when the result is stale."""
        job = self._jobs.get(job_id)
        sheet = job.sheets.get(num) if job else None
        if job is None or sheet is None or sheet.status is not status:
            return None
        if sheet.attempts != attempt:
            return None
        return job, sheet

    def _reject(self, request: int, reason: str, out: Changes, code: str = "invalid_state") -> None:
        out.effects.append(Reply(request, Rejected(reason, code)))

    def _move(
        self, job: LiveJob, sheet: LiveSheet, event: SheetEvent, now: float, out: Changes
    ) -> None:
        before = sheet.status
        sheet.status = next_sheet_status(f"job {job.job_id} sheet {sheet.plan.num}", before, event)
        sheet.updated_at = now
        if before is SheetStatus.READY:
            job.ready.discard(sheet.plan.num)
        if sheet.status is SheetStatus.READY:
            job.ready.add(sheet.plan.num)
        if sheet.status.is_terminal and not before.is_terminal:
            job.terminal += 1
            if sheet.status is SheetStatus.COMPLETED:
                job.completed += 1
                out.job(job)  # its progress is part of the job's record
        elif before.is_terminal and not sheet.status.is_terminal:
            job.terminal -= 1  # a reset; completed sheets are never reset
        out.sheet(job, sheet)

    def _move_job(self, job: LiveJob, event: JobEvent, out: Changes) -> None:
        before = job.status
        job.status = next_job_status(f"job {job.job_id}", before, event)
        if job.status is JobStatus.RUNNING:
            self._running[job.job_id] = job
        elif before is JobStatus.RUNNING:
            del self._running[job.job_id]
        out.job(job)

    @staticmethod
    def _attempt(
        job: LiveJob,
        sheet: LiveSheet,
        outcome: AttemptOutcome,
        now: float,
        *,
        error: str | None = None,
        validations: tuple[ValidationResult, ...] = (),
    ) -> AttemptRecord:
        ended = None if outcome in (AttemptOutcome.RUNNING, AttemptOutcome.VALIDATING) else now
        exit_status, usage = sheet.exit, sheet.usage
        return AttemptRecord(
            job_id=job.job_id,
            sheet=sheet.plan.num,
            attempt=sheet.attempts,
            started_at=sheet.attempt_started_at,
            outcome=outcome,
            exited_at=sheet.exited_at,
            ended_at=ended,
            exit_code=exit_status.exit_code if exit_status else None,
            signal=exit_status.signal if exit_status else None,
            error=error,
            validations=validations,
            instrument=sheet.instrument,
            model=sheet.model,
            mode=sheet.mode,
            cost=usage.cost if usage else None,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            cost_estimated=usage.cost_estimated if usage else False,
            error_code=error_code(outcome, quota=sheet.quota, validations=validations),
        )


def sheets_of(
    plan: JobPlan, now: float
) -> tuple[dict[SheetNum, LiveSheet], dict[SheetNum, list[SheetNum]]]:
    dependents: dict[SheetNum, list[SheetNum]] = {p.num: [] for p in plan.sheets}
    for p in plan.sheets:
        for dep in p.depends_on:
            dependents[dep].append(p.num)
    sheets = {
        p.num: LiveSheet(p, SheetStatus.PENDING, now, unmet=len(p.depends_on)) for p in plan.sheets
    }
    return sheets, dependents


def failed_checks(results: Iterable[ValidationResult]) -> tuple[str, ...]:
    return tuple(
        f"{r.rule.summary()}: {r.detail}" if r.detail else r.rule.summary()
        for r in results
        if not r.passed
    )


def key_name(key: InstrumentKey) -> str:
    return key[0] if key[1] is None else f"{key[0]} ({key[1]})"


def utc_text(at: float) -> str:
    """A moment for a note, in UTC (the engine knows no time zone; `status` shows local time)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
