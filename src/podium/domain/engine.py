"""The engine: every decision the conductor makes, as `handle(event, now) -> commands`.

It owns the live state of active jobs, the slots they hold, the rate-limit windows and the
circuit breakers. It never awaits, spawns, reads the clock, logs or touches a file: the runtime
feeds it events with the current time and applies the commands it returns, `Persist` first.
Terminal jobs leave the engine; their history lives in the store.

Each `handle` call ends the same way: queued jobs are admitted while job slots are free, ready
sheets are dispatched while every limit has room, and a wake-up is asked for the next alarm.
"""

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import assert_never

from podium.domain.alarms import AlarmKind, Alarms
from podium.domain.breaker import Breaker
from podium.domain.classify import Classified
from podium.domain.commands import (
    Accepted,
    Command,
    JobEnded,
    Kill,
    Launch,
    Rejected,
    Reply,
    RunHooks,
    RunSkipCheck,
    RunValidations,
    SwapScore,
    WakeAt,
)
from podium.domain.decide import Action, Budget, Ended, decide, rate_limit_end
from podium.domain.events import (
    AttemptExited,
    AttemptNotLaunched,
    CancelJob,
    ClearRateLimits,
    Event,
    JobSubmitted,
    ModifyJob,
    NewScore,
    PauseJob,
    Recovered,
    RecoveredJob,
    ResumeJob,
    SkipChecked,
    Tick,
    ValidationsDone,
)
from podium.domain.expressions import ExpressionError, evaluate
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey, Limits, Occupancy
from podium.domain.live import Changes, LiveJob, LiveSheet, PendingScore
from podium.domain.outcome import AttemptOutcome, ExitStatus
from podium.domain.plan import JobPlan
from podium.domain.policy import Hook
from podium.domain.records import AttemptRecord, JobRecord, JobSpec, RateLimitRecord
from podium.domain.skip import skip_names
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
    next_job_status,
    next_sheet_status,
)
from podium.domain.validation import ValidationResult, failure_summary
from podium.domain.views import JobView, job_view

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

__all__ = ["Engine", "Limits"]


class Engine:
    """Decides what runs, when, and what each outcome means. See the module docstring."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or Limits()
        self._jobs: dict[JobId, LiveJob] = {}
        self._by_score: dict[str, JobId] = {}
        self._slots = Occupancy(self._limits)
        self._running_jobs = 0
        self._queue: list[tuple[int, JobId]] = []
        self._windows: dict[InstrumentKey, RateLimitRecord] = {}
        self._breakers: dict[str, Breaker] = {}
        self._alarms = Alarms()
        self._draining: dict[AttemptKey, tuple[JobId, InstrumentKey]] = {}
        """Attempts of stopped jobs whose process or validations have not ended yet: they keep
        their slot until they do, and their sheet does not run again before."""
        self._draining_sheets: Counter[tuple[JobId, SheetNum]] = Counter()
        self._seq = 0
        self._checks = 0
        """Numbers each skip check, so that an answer to an older one is recognised."""

    # ---- queries (read-only; safe between events) -------------------------------------

    @property
    def in_flight(self) -> int:
        """Attempts holding a slot: running, being validated, or being stopped."""
        return self._slots.sheets

    @property
    def running_jobs(self) -> int:
        return self._running_jobs

    def view(self, job_id: JobId) -> JobView | None:
        job = self._jobs.get(job_id)
        if job is None:
            return None
        return job_view(
            job.record(),
            job.plan,
            (job.sheet_record(s) for s in job.sheets.values()),
            history=tuple(job.history),
            rate_limits=self._windows_for(job),
        )

    def job_running(self, score_path: str) -> JobId | None:
        """The active job that runs (or is about to run) the score at `score_path`."""
        return self._by_score.get(score_path)

    def active_jobs(self) -> list[JobRecord]:
        return [job.record() for job in self._jobs.values()]

    def rate_limits(self) -> list[RateLimitRecord]:
        """The rate-limit windows open now (some may have just expired: a `Tick` closes them)."""
        return sorted(self._windows.values(), key=lambda r: (r.instrument, r.model or ""))

    # ---- events ---------------------------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Command]:  # noqa: C901, PLR0912 - a table
        """Apply one event at time `now` and return what the runtime must do, in order."""
        out = Changes()
        match event:
            case JobSubmitted():
                self._submit(event, now, out)
            case Recovered():
                self._recovered(event, now, out)
            case AttemptExited():
                self._exited(event, now, out)
            case AttemptNotLaunched():
                self._not_launched(event, now, out)
            case ValidationsDone():
                self._validated(event, now, out)
            case SkipChecked():
                self._skip_checked(event, now, out)
            case Tick():
                self._tick(now, out)
            case PauseJob():
                self._pause(event, now, out)
            case ResumeJob():
                self._resume(event, now, out)
            case ModifyJob():
                self._modify(event, now, out)
            case CancelJob():
                self._cancel(event, now, out)
            case ClearRateLimits():
                self._clear_rate_limits(event, now, out)
            case _:
                assert_never(event)
        self._admit(now, out)
        self._dispatch(now, out)
        wake = self._alarms.wake_needed()
        if wake is not None:
            out.effects.append(WakeAt(wake))
        return out.commands()

    # ---- submission and recovery ----------------------------------------------------------

    def _submit(self, event: JobSubmitted, now: float, out: Changes) -> None:
        other = self._by_score.get(event.score_path)
        if other is not None:
            out.effects.append(
                Reply(
                    event.request,
                    Rejected(
                        f"job '{other}' is already running this score ({event.score_path}); "
                        f"follow it with 'podium status {other}'",
                        code="already_running",
                    ),
                )
            )
            return
        total = event.plan.total_sheets
        if not 1 <= event.start_sheet <= total:
            reason = f"there is no sheet {event.start_sheet} to start at: the score has {total}"
            out.effects.append(Reply(event.request, Rejected(reason, code="invalid_request")))
            return
        if event.job_id in self._jobs:
            raise ValueError(f"job id '{event.job_id}' is already active")
        job = self._new_job(
            event.job_id,
            event.plan,
            event.score_path,
            event.workspace,
            submitted_at=now,
            status=JobStatus.QUEUED,
        )
        job.chain_depth = event.chain_depth
        out.job(job)
        if event.note:
            out.note(job, now, event.note)
        out.spec(JobSpec(job.job_id, event.plan, event.snapshot))
        if event.start_sheet > 1:
            for sheet in job.sheets.values():
                if sheet.plan.num < event.start_sheet:
                    sheet.error = f"skipped: the job started at sheet {event.start_sheet}"
                    self._move(job, sheet, SheetEvent.SKIP, now, out)
            out.note(job, now, f"started at sheet {event.start_sheet}; earlier sheets skipped")
            self._recount(job)
        self._enqueue(job)
        out.effects.append(Reply(event.request, Accepted(job.job_id)))

    def _recovered(self, event: Recovered, now: float, out: Changes) -> None:
        for window in event.rate_limits:
            key = (window.instrument, window.model)
            if window.until > now:
                self._windows[key] = window
                self._alarms.set(window.until, AlarmKind.WINDOW_END)
            else:
                out.window(key, None)
        for stored in event.jobs:
            self._recover(stored, now, out)

    def _recover(self, stored: RecoveredJob, now: float, out: Changes) -> None:
        job = self._restore(stored, now)
        attempts = {a.sheet: a for a in stored.attempts}
        if stored.problem is not None:
            self._abandon(
                job, attempts, f"cannot go on after a restart: {stored.problem}", now, out
            )
            return
        out.job(job)
        for sheet in list(job.sheets.values()):
            self._recover_sheet(job, sheet, attempts.get(sheet.plan.num), now, out)
        for sheet in job.sheets.values():
            # A modify that had not taken effect when the conductor stopped left sheets ready
            # under the old score; the new one may give them dependencies still to meet.
            if sheet.status in (SheetStatus.READY, SheetStatus.WAITING) and sheet.unmet:
                sheet.due, sheet.wait, sheet.checking = None, None, None
                self._move(job, sheet, SheetEvent.RESET, now, out)
        if job.status is JobStatus.QUEUED:
            self._enqueue(job)
        elif job.status is JobStatus.RUNNING:
            self._started(job, now, out)
        self._settle(job, now, out)

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
            self._running_jobs += 1
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

    def _abandon(
        self,
        job: LiveJob,
        attempts: dict[SheetNum, AttemptRecord],
        reason: str,
        now: float,
        out: Changes,
    ) -> None:
        """Fail a recovered job that cannot run: its unfinished sheets are cancelled."""
        for sheet in job.sheets.values():
            if sheet.status.is_terminal:
                continue
            attempt = attempts.get(sheet.plan.num)
            if sheet.status.in_flight and attempt is not None:
                sheet.attempt_started_at = attempt.started_at
                out.attempt(
                    self._attempt(job, sheet, AttemptOutcome.INTERRUPTED, now, error=reason)
                )
            sheet.error = reason
            self._move(job, sheet, SheetEvent.CANCEL, now, out)
        if job.status is JobStatus.QUEUED:
            self._move_job(job, JobEvent.START, out)
        job.error = reason
        if job.status is JobStatus.RUNNING:
            self._end(job, JobEvent.FAIL, now, out)
        else:
            self._end(job, JobEvent.CANCEL, now, out)

    def _recover_sheet(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        attempt: AttemptRecord | None,
        now: float,
        out: Changes,
    ) -> None:
        match sheet.status:
            case SheetStatus.RUNNING:
                # Not the sheet's fault: it runs again without spending its budget.
                sheet.attempt_started_at = attempt.started_at if attempt else now
                error = "interrupted: the conductor stopped while it ran"
                out.attempt(self._attempt(job, sheet, AttemptOutcome.INTERRUPTED, now, error=error))
                self._move(job, sheet, SheetEvent.REQUEUE, now, out)
            case SheetStatus.VALIDATING:
                # The slot of the instrument it ran on (the score may have changed since).
                ran_on = None
                if attempt is not None and attempt.instrument is not None:
                    ran_on = (attempt.instrument, attempt.model)
                self._take_slot(job, sheet, ran_on)
                if attempt is not None:
                    sheet.attempt_started_at = attempt.started_at
                    sheet.exited_at = attempt.exited_at
                    sheet.exit = ExitStatus(attempt.exit_code, attempt.signal)
                out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
            case SheetStatus.WAITING:
                self._wait_until(job, sheet, sheet.due or now, now, out)
            case SheetStatus.READY:
                sheet.checked = sheet.attempts > 0
                self._became_ready(job, sheet, now, out)
            case _:
                pass

    # ---- results ----------------------------------------------------------------------

    def _exited(self, event: AttemptExited, now: float, out: Changes) -> None:
        if self._drained((event.job_id, event.sheet, event.attempt)):
            return
        found = self._current(event.job_id, event.sheet, event.attempt, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        sheet.exit, sheet.exited_at = event.status, now
        if event.cost:
            sheet.cost += event.cost
            job.cost += event.cost
            out.job(job)
        result = event.classified
        breaker = self._breaker(sheet.instrument)
        if result.outcome is AttemptOutcome.SUCCEEDED:
            breaker.succeeded()
            sheet.stopping = False
            self._move(job, sheet, SheetEvent.EXITED, now, out)
            out.attempt(self._attempt(job, sheet, AttemptOutcome.VALIDATING, now, cost=event.cost))
            out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
        elif sheet.stopping:
            self._give_slot(job, sheet)
            sheet.stopping = False
            breaker.abandoned()
            error = "stopped by a forced pause; it runs again on resume"
            out.attempt(self._attempt(job, sheet, AttemptOutcome.STOPPED, now, error=error))
            self._move(job, sheet, SheetEvent.REQUEUE, now, out)
        else:
            self._give_slot(job, sheet)
            self._judge_instrument(job, sheet, result.outcome, now, out)
            if result.outcome is AttemptOutcome.RATE_LIMITED:
                self._open_window(job, sheet, result, now, out)
            self._attempt_failed(
                job,
                sheet,
                now,
                out,
                outcome=result.outcome,
                error=result.detail,
                reset_at=result.reset_at,
                cost=event.cost,
            )
        self._check_cost(job, sheet, now, out)
        self._settle(job, now, out)

    def _not_launched(self, event: AttemptNotLaunched, now: float, out: Changes) -> None:
        if self._drained((event.job_id, event.sheet, event.attempt)):
            return
        found = self._current(event.job_id, event.sheet, event.attempt, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        self._give_slot(job, sheet)
        sheet.stopping = False
        self._judge_instrument(job, sheet, AttemptOutcome.LAUNCH_FAILED, now, out)
        self._attempt_failed(
            job,
            sheet,
            now,
            out,
            outcome=AttemptOutcome.LAUNCH_FAILED,
            error=f"could not start: {event.reason}",
        )
        self._settle(job, now, out)

    def _validated(self, event: ValidationsDone, now: float, out: Changes) -> None:
        if self._drained((event.job_id, event.sheet, event.attempt)):
            return
        found = self._current(event.job_id, event.sheet, event.attempt, SheetStatus.VALIDATING)
        if found is None:
            return
        job, sheet = found
        self._give_slot(job, sheet)
        if all(r.passed for r in event.results):
            sheet.error, sheet.failed_checks = None, ()
            self._move(job, sheet, SheetEvent.PASS, now, out)
            out.attempt(
                self._attempt(job, sheet, AttemptOutcome.SUCCEEDED, now, validations=event.results)
            )
            job.completed_this_run += 1
            self._release_dependents(job, sheet, now, out)
            pace = job.plan.policy.pause_between_sheets_seconds
            if pace > 0 and job.in_flight == 0:
                self._hold_dispatch(job, now + pace)
        else:
            passed = sum(1 for r in event.results if r.passed)
            self._attempt_failed(
                job,
                sheet,
                now,
                out,
                outcome=AttemptOutcome.VALIDATION_FAILED,
                error=failure_summary(event.results),
                validations=event.results,
                pass_rate=passed / len(event.results),
            )
        self._settle(job, now, out)

    def _skip_checked(self, event: SkipChecked, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        sheet = job.sheets.get(event.sheet) if job else None
        if job is None or sheet is None or sheet.checking != event.check:
            return
        sheet.checking = None
        if event.skip:
            self._skip_on_purpose(job, sheet, f"skip_when_command {event.detail}", now, out)
        elif event.detail:
            out.note(job, now, f"sheet {sheet.plan.num} runs: skip_when_command {event.detail}")
        self._settle(job, now, out)

    def _tick(self, now: float, out: Changes) -> None:
        for alarm in self._alarms.ring(now):
            match alarm.kind:
                case AlarmKind.DUE:
                    found = self._jobs.get(alarm.job_id) if alarm.job_id else None
                    sheet = found.sheets.get(alarm.sheet) if found and alarm.sheet else None
                    if (
                        found is not None
                        and sheet is not None
                        and sheet.status is SheetStatus.WAITING
                        and sheet.attempts == alarm.attempt
                        and (sheet.due or 0) <= now
                    ):
                        self._wake_sheet(found, sheet, now, out)
                case AlarmKind.JOB_TIMEOUT:
                    found = self._jobs.get(alarm.job_id) if alarm.job_id else None
                    if found is not None:
                        self._check_job_timeout(found, now, out)
                case AlarmKind.WINDOW_END:
                    for key, window in list(self._windows.items()):
                        if window.until <= now:
                            del self._windows[key]
                            out.window(key, None)
                case AlarmKind.LOOK:
                    pass

    # ---- job control ------------------------------------------------------------------

    def _pause(self, event: PauseJob, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        if job is None:
            self._reject(event.request, f"job '{event.job_id}' is not active", out)
            return
        if job.status is JobStatus.PAUSED_AT_CHAIN:
            self._reject(
                event.request,
                f"job '{job.job_id}' has completed and holds its chain; resume it to start the "
                "next job, or cancel it",
                out,
            )
            return
        already = job.status is JobStatus.PAUSED
        if not already:
            job.detail = "paused by the user"
            self._move_job(job, JobEvent.PAUSE, out)
            out.note(job, now, "paused by the user" + (" (forced)" if event.force else ""))
        job.resume_when_idle = False
        out.job(job)
        stopping = 0
        if event.force:
            for sheet in job.sheets.values():
                if sheet.status is SheetStatus.RUNNING and not sheet.stopping:
                    sheet.stopping = True
                    stopping += 1
                    out.effects.append(Kill(job.job_id, sheet.plan.num, sheet.attempts))
        finishing = job.in_flight - stopping
        parts = ["already paused" if already else "paused"]
        if stopping:
            parts.append(
                f"stopping {stopping} running attempt(s); their sheets run again on resume"
            )
        if finishing:
            parts.append(f"{finishing} attempt(s) in flight will finish and be recorded")
        out.effects.append(Reply(event.request, Accepted(job.job_id, "; ".join(parts))))

    def _resume(self, event: ResumeJob, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        if job is not None and job.status is JobStatus.PAUSED_AT_CHAIN:
            self._release_chain(job, event.request, now, out)
            return
        if job is not None and job.status is not JobStatus.PAUSED:
            self._reject(
                event.request,
                f"job '{job.job_id}' is {job.status}; only a paused, failed or cancelled job "
                "can be resumed",
                out,
            )
            return
        if job is None:
            job = self._revive(
                event.job_id,
                stored=event.stored,
                request=event.request,
                verb="resumed",
                now=now,
                out=out,
            )
            if job is None:
                return
        if event.score is not None or job.pending is not None:
            # A changed score waits for the attempts in flight, as a modify does; a modify
            # already waiting keeps its score.
            if job.pending is None and event.score is not None:
                self._stage(job, event.score, out)
            self._resume_when_idle(job, event.request, "resumed", now, out)
            return
        self._resume_now(job, now, out)
        self._reply_resumed(job, event.request, "resumed", out)

    def _modify(self, event: ModifyJob, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        if job is not None and job.status is JobStatus.PAUSED_AT_CHAIN:
            self._reject(
                event.request,
                f"job '{job.job_id}' has completed and holds its chain; resume or cancel it",
                out,
            )
            return
        other = self._by_score.get(event.score.score_path)
        if other is not None and other != event.job_id:
            self._reject(
                event.request,
                f"job '{other}' is already running {event.score.score_path}",
                out,
            )
            return
        if job is None:
            job = self._revive(
                event.job_id,
                stored=event.stored,
                request=event.request,
                verb="modified",
                now=now,
                out=out,
                keeps_path=False,
            )
            if job is None:
                return
        elif job.status is not JobStatus.PAUSED:
            job.detail = "being modified"
            self._move_job(job, JobEvent.PAUSE, out)
        self._stage(job, event.score, out)
        out.note(job, now, f"modified: {event.score.score_path}")
        self._resume_when_idle(job, event.request, "modified", now, out)

    def _revive(
        self,
        job_id: JobId,
        *,
        stored: RecoveredJob | None,
        request: int,
        verb: str,
        now: float,
        out: Changes,
        keeps_path: bool = True,
    ) -> LiveJob | None:
        """A finished job, back in the engine to be resumed or modified."""
        if stored is None:
            self._reject(request, f"no job '{job_id}'", out, code="not_found")
            return None
        status = stored.job.status
        if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            self._reject(
                request,
                f"job '{job_id}' has {status}; only a paused, failed or cancelled job can be "
                f"{verb} (run the score again with 'podium run')",
                out,
            )
            return None
        if keeps_path and stored.job.score_path in self._by_score:
            other = self._by_score[stored.job.score_path]
            self._reject(request, f"job '{other}' is already running {stored.job.score_path}", out)
            return None
        return self._restore(stored, now)

    def _stage(self, job: LiveJob, score: NewScore, out: Changes) -> None:
        """Keep the new score; it replaces the job's once no attempt is in flight. Its path is
        the job's from now on (and taken, so no other job runs it); the old path stays taken
        until the switch, since attempts in flight still run that score."""
        if score.score_path != job.score_path:
            if job.held_path is None:
                job.held_path = job.score_path
            elif job.score_path != job.held_path:
                self._release_path(job, job.score_path)  # an earlier modify's, never used
            job.score_path = score.score_path
            self._by_score[job.score_path] = job.job_id
        job.pending = PendingScore(score.plan, score.key)
        out.spec(JobSpec(job.job_id, score.plan, score.snapshot))
        out.job(job)

    def _resume_when_idle(
        self, job: LiveJob, request: int, verb: str, now: float, out: Changes
    ) -> None:
        job.resume_when_idle = True
        waiting = job.in_flight
        if waiting:
            job.detail = f"{verb}: waits for {waiting} attempt(s) in flight to end"
            out.job(job)
            message = f"{verb}; it goes on once its {waiting} attempt(s) in flight have ended"
            out.effects.append(Reply(request, Accepted(job.job_id, message)))
            return
        self._settle(job, now, out)
        self._reply_resumed(job, request, verb, out)

    @staticmethod
    def _reply_resumed(job: LiveJob, request: int, verb: str, out: Changes) -> None:
        message = verb
        if job.status is JobStatus.PAUSED and job.detail:
            message += f", but it is paused again: {job.detail}"
        out.effects.append(Reply(request, Accepted(job.job_id, message)))

    def _resume_now(self, job: LiveJob, now: float, out: Changes) -> None:
        """Failed, cancelled and skipped-after-a-failure sheets start over with a fresh budget;
        waiting ones may run at once; completed ones stay completed."""
        job.resume_when_idle = False
        if job.pending is not None:
            self._swap(job, job.pending, now, out)
        for sheet in job.sheets.values():
            fresh = sheet.status in (SheetStatus.FAILED, SheetStatus.CANCELLED) or (
                sheet.status is SheetStatus.SKIPPED and sheet.blocked_by is not None
            )
            if fresh or sheet.status in (SheetStatus.WAITING, SheetStatus.READY):
                sheet.budget, sheet.fallback, sheet.failed_checks = Budget(), 0, ()
                sheet.due, sheet.wait = None, None
            if fresh:
                sheet.error, sheet.blocked_by = None, None
                self._move(job, sheet, SheetEvent.RESET, now, out)
            elif sheet.status is SheetStatus.WAITING:
                self._move(job, sheet, SheetEvent.RETRY_DUE, now, out)
        job.stopped_by, job.error, job.detail, job.finished_at = None, None, None, None
        self._recount(job)
        self._move_job(job, JobEvent.RESUME, out)
        out.note(job, now, "resumed")
        self._enqueue(job)
        self._check_cost(job, None, now, out)

    def _swap(self, job: LiveJob, pending: PendingScore, now: float, out: Changes) -> None:
        """The job takes its new score. Sheets keep their attempt count (attempt files are
        never overwritten); completed ones, and ones skipped on purpose, stay so."""
        job.pending = None
        old, old_plan, old_total = job.sheets, job.plan, job.plan.total_sheets
        if job.held_path is not None and job.held_path != job.score_path:
            self._release_path(job, job.held_path)
        job.held_path = None
        job.plan = pending.plan
        job.sheets, job.dependents = _sheets_of(pending.plan, now)
        job.ready.clear()
        kept = 0
        for sheet in job.sheets.values():
            before = old.get(sheet.plan.num)
            if before is not None:
                sheet.attempts, sheet.cost = before.attempts, before.cost
                if before.satisfies_dependents:
                    sheet.status, sheet.error = before.status, before.error
                    kept += 1
            out.sheet(job, sheet)
        self._recount(job)
        out.job(job)
        out.effects.append(SwapScore(job.job_id, pending.key))
        if job.plan != old_plan:
            out.note(
                job,
                now,
                f"now runs its new score: {old_total} → {job.plan.total_sheets} sheets, "
                f"{kept} already done kept",
            )

    def _release_chain(self, job: LiveJob, request: int, now: float, out: Changes) -> None:
        hooks = self._hooks_to_run(job, now, out)
        out.note(job, now, "chain released")
        job.detail = None
        out.effects.append(RunHooks(job.job_id, hooks, job.chain_depth + 1))
        self._end(job, JobEvent.RELEASE_CHAIN, now, out)
        out.effects.append(Reply(request, Accepted(job.job_id, "chain released")))

    def _cancel(self, event: CancelJob, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        if job is None:
            self._reject(event.request, f"job '{event.job_id}' is not active", out)
            return
        stopping = self._stop_all(job, "cancelled by the user", now, out)
        job.detail = None
        out.note(job, now, "cancelled by the user")
        self._end(job, JobEvent.CANCEL, now, out)
        message = "cancelled" + (f"; stopping {stopping} running attempt(s)" if stopping else "")
        out.effects.append(Reply(event.request, Accepted(job.job_id, message)))

    def _clear_rate_limits(self, event: ClearRateLimits, now: float, out: Changes) -> None:
        cleared = [k for k in self._windows if event.instrument in (None, k[0])]
        for key in cleared:
            del self._windows[key]
            out.window(key, None)
        woken = 0
        for job in self._jobs.values():
            for sheet in job.sheets.values():
                if (
                    sheet.status is SheetStatus.WAITING
                    and sheet.wait == Action.WAIT_RATE_LIMIT
                    and event.instrument in (None, sheet.instrument)
                ):
                    self._wake_sheet(job, sheet, now, out)
                    woken += 1
        message = f"cleared {len(cleared)} rate limit(s)"
        if woken:
            message += f"; {woken} waiting sheet(s) may run now"
        out.effects.append(Reply(event.request, Accepted(None, message)))

    # ---- decisions ---------------------------------------------------------------------

    def _attempt_failed(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        now: float,
        out: Changes,
        *,
        outcome: AttemptOutcome,
        error: str,
        validations: tuple[ValidationResult, ...] = (),
        pass_rate: float = 0.0,
        reset_at: float | None = None,
        cost: float | None = None,
    ) -> None:
        """An attempt ended without success: wait, retry, fall back or fail (see `decide`)."""
        sheet.error = error
        out.attempt(
            self._attempt(job, sheet, outcome, now, error=error, validations=validations, cost=cost)
        )
        seed = f"{job.job_id}/{sheet.plan.num}/{sheet.attempts}"
        policy = job.plan.policy
        decision = decide(
            Ended(outcome, now, seed, pass_rate, reset_at),
            sheet.budget,
            has_fallback=sheet.has_fallback,
            retry=policy.retry,
            rate_limit=policy.rate_limit,
        )
        sheet.budget = decision.budget
        match decision.action:
            case Action.RETRY | Action.COMPLETE | Action.WAIT_RATE_LIMIT:
                sheet.wait = decision.action.value
                sheet.failed_checks = (
                    _failed_checks(validations) if decision.action is Action.COMPLETE else ()
                )
                self._move(job, sheet, SheetEvent.WAIT, now, out)
                self._wait_until(job, sheet, decision.at or now, now, out)
            case Action.FALL_BACK:
                self._move(job, sheet, SheetEvent.WAIT, now, out)
                self._fall_back(job, sheet, decision.reason, now, out)
                self._move(job, sheet, SheetEvent.RETRY_DUE, now, out)
            case Action.FAIL:
                self._move(job, sheet, SheetEvent.FAIL, now, out)
                out.note(job, now, f"sheet {sheet.plan.num} failed: {decision.reason}")
                self._skip_dependents(job, sheet, now, out)
                if job.plan.policy.parallel.fail_fast and job.stopped_by is None:
                    job.stopped_by = sheet.plan.num
            case _:
                assert_never(decision.action)

    def _fall_back(
        self, job: LiveJob, sheet: LiveSheet, reason: str, now: float, out: Changes
    ) -> None:
        before = sheet.instrument
        sheet.fallback += 1
        sheet.budget, sheet.failed_checks = Budget(), ()
        out.note(
            job, now, f"sheet {sheet.plan.num} moves from {before} to {sheet.instrument}: {reason}"
        )
        out.sheet(job, sheet)

    def _judge_instrument(
        self, job: LiveJob, sheet: LiveSheet, outcome: AttemptOutcome, now: float, out: Changes
    ) -> None:
        """Feed the instrument's circuit breaker. A script's own failure (the `cli`
        instrument's exit code) says nothing about the instrument, only a launch failure does."""
        breaker = self._breaker(sheet.instrument)
        script = sheet.instrument in self._limits.script_instruments
        if outcome not in BREAKER_FAILURES or (
            script and outcome is not AttemptOutcome.LAUNCH_FAILED
        ):
            breaker.abandoned()
            return
        was_open = breaker.open_until is not None and breaker.open_until > now
        breaker.failed(now, job.plan.policy.breaker)
        if breaker.open_until is not None and not was_open and breaker.open_until > now:
            self._alarms.set(breaker.open_until, AlarmKind.LOOK)
            out.note(
                job,
                now,
                f"the circuit breaker of {sheet.instrument} opened after {breaker.failures} "
                f"failure(s); no attempt starts on it before {_clock(breaker.open_until)}",
            )

    def _open_window(
        self, job: LiveJob, sheet: LiveSheet, result: Classified, now: float, out: Changes
    ) -> None:
        until = rate_limit_end(
            Ended(AttemptOutcome.RATE_LIMITED, now, "", reset_at=result.reset_at),
            job.plan.policy.rate_limit,
        )
        key = sheet.key
        current = self._windows.get(key)
        if current is not None and current.until >= until:
            return
        window = RateLimitRecord(sheet.instrument, sheet.model, until, result.detail[:300])
        self._windows[key] = window
        out.window(key, window)
        self._alarms.set(until, AlarmKind.WINDOW_END)
        said = (
            "" if result.reset_at is not None else " (no reset time given: rate_limit.wait_minutes)"
        )
        out.note(job, now, f"{_key_name(key)} is rate limited until {_clock(until)}{said}")

    def _check_cost(self, job: LiveJob, sheet: LiveSheet | None, now: float, out: Changes) -> None:
        """Reaching a cost limit pauses the job, saying why; nearing it is noted once."""
        if job.status not in (JobStatus.RUNNING, JobStatus.QUEUED):
            return
        limits = job.plan.policy.cost
        reason = None
        if limits.max_cost_per_job is not None:
            if job.cost >= limits.max_cost_per_job:
                reason = (
                    f"cost limit reached: ${job.cost:.2f} of ${limits.max_cost_per_job:.2f} "
                    "(cost_limits.max_cost_per_job)"
                )
            elif not job.cost_warned and job.cost >= (
                limits.max_cost_per_job * limits.warn_at_percent / 100
            ):
                job.cost_warned = True
                out.note(
                    job,
                    now,
                    f"cost ${job.cost:.2f} is past {limits.warn_at_percent:g}% of the job's "
                    f"limit (${limits.max_cost_per_job:.2f})",
                )
        if (
            reason is None
            and sheet is not None
            and limits.max_cost_per_sheet is not None
            and sheet.cost >= limits.max_cost_per_sheet
        ):
            reason = (
                f"cost limit reached: sheet {sheet.plan.num} cost ${sheet.cost:.2f} of "
                f"${limits.max_cost_per_sheet:.2f} (cost_limits.max_cost_per_sheet)"
            )
        if reason is not None:
            job.detail = reason
            self._move_job(job, JobEvent.PAUSE, out)
            out.note(job, now, f"paused: {reason}")

    def _check_job_timeout(self, job: LiveJob, now: float, out: Changes) -> None:
        limit = self._limits.job_timeout_seconds
        if job.status is not JobStatus.RUNNING or job.started_at is None:
            return
        if now < job.started_at + limit:
            return  # an alarm of an earlier run; each start sets its own
        reason = f"the job ran longer than the conductor's job_timeout_seconds ({limit:g}s)"
        self._stop_all(job, reason, now, out)
        job.error = reason
        out.note(job, now, reason)
        self._end(job, JobEvent.FAIL, now, out)

    def _stop_all(self, job: LiveJob, reason: str, now: float, out: Changes) -> int:
        """Cancel every unfinished sheet; running attempts are killed. Their slots stay taken
        until the runtime reports their end. Returns how many attempts are being stopped."""
        stopping = 0
        for sheet in job.sheets.values():
            if sheet.status.in_flight and sheet.launched_on is not None:
                key = (job.job_id, sheet.plan.num, sheet.attempts)
                self._draining[key] = (job.job_id, sheet.launched_on)
                self._draining_sheets[(job.job_id, sheet.plan.num)] += 1
                job.in_flight -= 1
                sheet.launched_on = None
                if sheet.status is SheetStatus.RUNNING:
                    out.effects.append(Kill(*key))
                    self._breaker(sheet.instrument).abandoned()
                    stopping += 1
                out.attempt(self._attempt(job, sheet, AttemptOutcome.STOPPED, now, error=reason))
            if not sheet.status.is_terminal:
                sheet.error = reason
                self._move(job, sheet, SheetEvent.CANCEL, now, out)
        return stopping

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

    def _settle(self, job: LiveJob, now: float, out: Changes) -> None:
        """After a change to `job`: a resume waiting for the job to go idle happens, a job
        stopped by fail_fast skips what is left, and a job with nothing left to do ends."""
        if self._jobs.get(job.job_id) is not job or job.in_flight:
            return
        if job.resume_when_idle and job.status is not JobStatus.RUNNING:
            self._resume_now(job, now, out)
        if job.stopped_by is not None and job.status is JobStatus.RUNNING:
            for sheet in job.sheets.values():
                if not sheet.status.is_terminal:
                    sheet.blocked_by = job.stopped_by
                    sheet.error = (
                        f"not run: sheet {job.stopped_by} failed and parallel.fail_fast is on"
                    )
                    self._move(job, sheet, SheetEvent.SKIP, now, out)
        self._finish_if_done(job, now, out)

    def _finish_if_done(self, job: LiveJob, now: float, out: Changes) -> None:
        """A job with every sheet finished ends, even paused (a pause stops new work, and
        there is none); not while a new score waits for it."""
        if (
            job.status not in (JobStatus.RUNNING, JobStatus.PAUSED)
            or job.terminal < len(job.sheets)
            or job.in_flight
            or job.resume_when_idle
            or job.pending is not None
        ):
            return
        if not all(s.satisfies_dependents for s in job.sheets.values()):
            job.error = job.failure_summary()
            self._end(job, JobEvent.FAIL, now, out)
            return
        if not job.plan.policy.hooks:
            self._end(job, JobEvent.COMPLETE, now, out)
            return
        if job.completed_this_run == 0:
            out.note(
                job,
                now,
                "no sheet completed in this run, so the on_success hooks do not run "
                "(the zero-work guard)",
            )
            self._end(job, JobEvent.COMPLETE, now, out)
            return
        hooks = self._hooks_to_run(job, now, out)
        if any(h.type == "run_job" and h.pause_before_chain for h in hooks):
            job.detail = "completed; holds its chain until resumed (pause_before_chain)"
            self._move_job(job, JobEvent.HOLD_CHAIN, out)
            out.note(job, now, "completed; the chain waits for 'podium resume'")
            return
        out.effects.append(RunHooks(job.job_id, hooks, job.chain_depth + 1))
        self._end(job, JobEvent.COMPLETE, now, out)

    def _hooks_to_run(self, job: LiveJob, now: float, out: Changes) -> tuple[Hook, ...]:
        policy = job.plan.policy
        depth = job.chain_depth + 1
        if depth <= policy.concert.max_chain_depth:
            return policy.hooks
        out.note(
            job,
            now,
            f"a chained job would be at depth {depth}, past concert.max_chain_depth "
            f"({policy.concert.max_chain_depth}): its run_job hooks do not run",
        )
        return tuple(h for h in policy.hooks if h.type != "run_job")

    def _end(self, job: LiveJob, event: JobEvent, now: float, out: Changes) -> None:
        """The job reaches a terminal status and leaves the engine."""
        self._move_job(job, event, out)
        job.finished_at = now
        job.ready.clear()
        del self._jobs[job.job_id]
        for path in (job.score_path, job.held_path):
            if path is not None:
                self._release_path(job, path)
        out.effects.append(JobEnded(job.job_id))

    # ---- dispatch ---------------------------------------------------------------------

    def _admit(self, now: float, out: Changes) -> None:
        """Start queued jobs, oldest first, while job slots are free."""
        while self._queue and self._running_jobs < self._limits.max_concurrent_jobs:
            seq, job_id = heapq.heappop(self._queue)
            job = self._jobs.get(job_id)
            if job is None or job.seq != seq or job.status is not JobStatus.QUEUED:
                continue
            self._move_job(job, JobEvent.START, out)
            job.started_at = now
            out.job(job)
            self._started(job, now, out)
            self._settle(job, now, out)

    def _started(self, job: LiveJob, now: float, out: Changes) -> None:
        started = job.started_at if job.started_at is not None else now
        self._alarms.set(
            started + self._limits.job_timeout_seconds, AlarmKind.JOB_TIMEOUT, job.job_id
        )
        for sheet in list(job.sheets.values()):
            if sheet.status is SheetStatus.PENDING and sheet.unmet == 0:
                self._make_ready(job, sheet, now, out)

    def _dispatch(self, now: float, out: Changes) -> None:
        """Launch ready sheets while every limit has room: jobs in submission order, sheets in
        number order within a job."""
        if self._slots.full():
            return
        jobs = sorted(
            (j for j in self._jobs.values() if j.ready and j.status is JobStatus.RUNNING),
            key=lambda j: j.seq,
        )
        for job in jobs:
            limit = job.plan.policy.parallel.limit
            if (
                self._slots.by_job[job.job_id] >= limit
                or job.pending is not None
                or job.resume_when_idle
                or job.stopped_by is not None
                or now < job.not_before
            ):
                continue
            for num in sorted(job.ready):
                if (
                    self._slots.by_job[job.job_id] >= limit
                    or self._slots.full()
                    or now < job.not_before
                ):
                    break
                sheet = job.sheets[num]
                if (
                    sheet.checking is not None
                    or (job.job_id, num) in self._draining_sheets
                    or not self._available(job, sheet, now, out)
                ):
                    continue
                if self._slots.room_for(sheet.key):
                    self._launch(job, sheet, now, out)
            if self._slots.full():
                return

    def _available(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> bool:
        """Whether the sheet's instrument takes work now; a sheet that has somewhere else to go
        moves there rather than wait for a rate limit or an open circuit breaker."""
        while True:
            window = self._window_on(sheet.key, now)
            breaker = self._breakers.get(sheet.instrument)
            if window is None and (breaker is None or breaker.allows(now)):
                return True
            if not sheet.has_fallback:
                return False
            if window is not None:
                reason = f"{_key_name(sheet.key)} is rate limited until {_clock(window.until)}"
            else:
                reason = f"the circuit breaker of {sheet.instrument} is open"
            self._fall_back(job, sheet, reason, now, out)

    def _launch(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        completion = sheet.wait == Action.COMPLETE
        self._move(job, sheet, SheetEvent.DISPATCH, now, out)
        sheet.attempts += 1
        sheet.attempt_started_at = now
        sheet.exit, sheet.exited_at, sheet.due, sheet.wait = None, None, None, None
        self._take_slot(job, sheet)
        self._breaker(sheet.instrument).started(now)
        out.attempt(
            self._attempt(
                job,
                sheet,
                AttemptOutcome.RUNNING,
                now,
                mode="completion" if completion else "normal",
            )
        )
        policy = job.plan.policy
        out.effects.append(
            Launch(
                job.job_id,
                sheet.plan.num,
                sheet.attempts,
                sheet.instrument,
                sheet.model,
                sheet.plan.timeout_seconds,
                policy.idle_timeout_seconds,
                sheet.failed_checks if completion else (),
            )
        )
        if policy.parallel.enabled and policy.parallel.stagger_delay_ms:
            self._hold_dispatch(job, now + policy.parallel.stagger_delay_ms / 1000)

    # ---- mechanics ---------------------------------------------------------------------

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
        sheets, dependents = _sheets_of(plan, submitted_at)
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
        self._running_jobs += (job.status is JobStatus.RUNNING) - (before is JobStatus.RUNNING)
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
        mode: str = "normal",
        cost: float | None = None,
    ) -> AttemptRecord:
        ended = None if outcome in (AttemptOutcome.RUNNING, AttemptOutcome.VALIDATING) else now
        exit_status = sheet.exit
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
            mode=mode,
            cost=cost,
        )


def _sheets_of(
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


def _failed_checks(results: Iterable[ValidationResult]) -> tuple[str, ...]:
    return tuple(
        f"{r.rule.summary()}: {r.detail}" if r.detail else r.rule.summary()
        for r in results
        if not r.passed
    )


def _key_name(key: InstrumentKey) -> str:
    return key[0] if key[1] is None else f"{key[0]} ({key[1]})"


def _clock(at: float) -> str:
    """A moment for a note, in UTC (the engine knows no time zone; `status` shows local time)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
