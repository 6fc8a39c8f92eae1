"""The engine: every decision the conductor makes, as `handle(event, now) -> commands`.

It owns the live state of active jobs, the slots they hold, the rate-limit windows and the
circuit breakers. It never awaits, spawns, reads the clock, logs or touches a file: the runtime
feeds it events with the current time and applies the commands it returns, `Persist` first.
Terminal jobs leave the engine; their history lives in the store.

Each `handle` call ends the same way: queued jobs are admitted while job slots are free, ready
sheets are dispatched while every limit has room, and a wake-up is asked for the next alarm.
"""

from typing import assert_never

from podium.domain.alarms import AlarmKind
from podium.domain.classify import Classified
from podium.domain.commands import (
    Accepted,
    Command,
    Rejected,
    Reply,
    RunValidations,
    WakeAt,
)
from podium.domain.engine.recover import Recover
from podium.domain.events import (
    AttemptExited,
    AttemptNotLaunched,
    CancelJob,
    ClearRateLimits,
    Event,
    HookFinished,
    JobSubmitted,
    LimitsChanged,
    ModifyJob,
    PauseJob,
    PressureMeasured,
    Recovered,
    RecoveredJob,
    RecoverSheets,
    ResumeJob,
    SkipChecked,
    StoredScoreBroken,
    Tick,
    ValidationsDone,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome, ExitStatus
from podium.domain.records import AttemptRecord, JobRecord, JobSpec, RateLimitRecord, Usage
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
)
from podium.domain.validation import failure_summary
from podium.domain.views import JobView, job_view


class Engine(Recover):
    """Decides what runs, when, and what each outcome means. See the module docstring."""

    @property
    def in_flight(self) -> int:
        """Attempts holding a slot: running, being validated, or being stopped."""
        return self._slots.sheets

    @property
    def running_jobs(self) -> int:
        return len(self._running)

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
            hooks=tuple(job.hook_records[n] for n in sorted(job.hook_records)),
        )

    def job_running(self, score_path: str) -> JobId | None:
        """The active job that runs (or is about to run) the score at `score_path`."""
        return self._by_score.get(score_path)

    def active_jobs(self) -> list[JobRecord]:
        return [job.record() for job in self._jobs.values()]

    def rate_limits(self) -> list[RateLimitRecord]:
        """The rate-limit windows open now (some may have just expired: a `Tick` closes them)."""
        return sorted(self._windows.values(), key=lambda r: (r.instrument, r.model or ""))

    def handle(self, event: Event, now: float) -> list[Command]:  # noqa: C901, PLR0912 - a table
        """Apply one event at time `now` and return what the runtime must do, in order."""
        out = Changes()
        match event:
            case PauseJob() | ResumeJob() | ModifyJob() | CancelJob() | RecoverSheets() if (
                self._rechecking(event.job_id)
            ):
                self._reject(
                    event.request,
                    f"job '{event.job_id}' is being recovered (its validations are checked "
                    "again); try again once 'podium recover' has answered",
                    out,
                )
            case PauseJob() | ModifyJob() if self._running_hooks(event.job_id):
                self._reject(
                    event.request,
                    f"job '{event.job_id}' is running its on_success hooks; wait for them to "
                    "end, or cancel it",
                    out,
                )
            case JobSubmitted():
                self._submit(event, now, out)
            case Recovered():
                self._recovered(event, now, out)
            case StoredScoreBroken():
                self._score_broken(event, now, out)
            case AttemptExited():
                self._exited(event, now, out)
            case AttemptNotLaunched():
                self._not_launched(event, now, out)
            case ValidationsDone(recheck=True):
                self._rechecked(event, now, out)
            case ValidationsDone():
                self._validated(event, now, out)
            case SkipChecked():
                self._skip_checked(event, now, out)
            case HookFinished():
                self._hook_finished(event, now, out)
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
            case RecoverSheets():
                self._recover_sheets(event, now, out)
            case ClearRateLimits():
                self._clear_rate_limits(event, now, out)
            case LimitsChanged():
                self._change_limits(event.limits, now)
            case PressureMeasured():
                self._pressure_measured(event, now, out)
            case _:
                assert_never(event)
        self._admit(now, out)
        self._dispatch(now, out)
        wake = self._alarms.wake_needed()
        if wake is not None:
            out.effects.append(WakeAt(wake))
        return out.commands()

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
        out.spec(JobSpec(job.job_id, event.plan, event.snapshot, event.submit_key))
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
        if stored.job.hook:
            ending = self._resume_hooks(job, stored, now, out)
            if ending is not None:
                self._end(job, ending, now, out)
            return
        for sheet in list(job.sheets.values()):
            attempt = attempts.get(sheet.plan.num)
            if (
                sheet.status is SheetStatus.RUNNING
                and sheet.plan.num in stored.reattached
                and attempt is not None
            ):
                self._reattach(job, sheet, attempt)
            else:
                self._recover_sheet(job, sheet, attempt, now, out)
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
                sheet.attempt_started_at, sheet.mode = attempt.started_at, attempt.mode
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

    def _score_broken(self, event: StoredScoreBroken, now: float, out: Changes) -> None:
        """A job recovered uncompiled whose score turned out broken fails as a recovery that
        finds it so fails it; whatever it started since is stopped."""
        job = self._jobs.get(event.job_id)
        if job is None or job.status.is_terminal:  # ended, or back only for a recheck
            return
        reason = f"cannot go on after a restart: {event.reason}"
        if job.recheck is not None:
            self._reject(job.recheck.request, reason, out)
            job.recheck = None
        self._stop_all(job, reason, now, out)
        if job.hook:
            self._stop_hook(job, reason, now, out)
        job.error, job.detail = reason, None
        out.note(job, now, reason)
        if job.status is JobStatus.QUEUED:
            self._move_job(job, JobEvent.START, out)
        ending = JobEvent.CANCEL if job.status is JobStatus.PAUSED_AT_CHAIN else JobEvent.FAIL
        self._end(job, ending, now, out)

    def _reattach(self, job: LiveJob, sheet: LiveSheet, attempt: AttemptRecord) -> None:
        """The attempt goes on where it was: it holds its slot until the runtime reports it
        ended, like any other."""
        ran_on = None if attempt.instrument is None else (attempt.instrument, attempt.model)
        self._take_slot(job, sheet, ran_on)
        sheet.attempt_started_at, sheet.mode = attempt.started_at, attempt.mode

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
                sheet.mode = attempt.mode if attempt else "normal"
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
                    sheet.attempt_started_at, sheet.mode = attempt.started_at, attempt.mode
                    sheet.exited_at = attempt.exited_at
                    sheet.exit = ExitStatus(attempt.exit_code, attempt.signal)
                    sheet.usage = Usage(
                        attempt.input_tokens,
                        attempt.output_tokens,
                        attempt.cost,
                        attempt.cost_estimated,
                    )
                out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
            case SheetStatus.WAITING:
                self._wait_until(job, sheet, sheet.due or now, now, out)
            case SheetStatus.READY:
                sheet.checked = sheet.attempts > 0
                self._became_ready(job, sheet, now, out)
            case _:
                pass

    def _result_for(
        self, event: AttemptExited | AttemptNotLaunched | ValidationsDone, status: SheetStatus
    ) -> tuple[LiveJob, LiveSheet] | None:
        """The job and sheet a result is for; None when it is stale, or when it ends an
        attempt of a stopped job (whose slot it frees)."""
        if self._drained((event.job_id, event.sheet, event.attempt)):
            return None
        return self._current(event.job_id, event.sheet, event.attempt, status)

    def _exited(self, event: AttemptExited, now: float, out: Changes) -> None:
        found = self._result_for(event, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        sheet.exit, sheet.usage = event.status, event.usage
        sheet.exited_at = now if event.exited_at is None else min(now, event.exited_at)
        cost = event.usage.cost if event.usage else None
        if cost:
            sheet.cost += cost
            job.cost += cost
            out.job(job)
        result = event.classified
        if result.outcome is AttemptOutcome.SUCCEEDED:
            self._breaker(sheet.instrument).succeeded()
            sheet.stopping = False
            self._move(job, sheet, SheetEvent.EXITED, now, out)
            out.attempt(self._attempt(job, sheet, AttemptOutcome.VALIDATING, now))
            out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
        elif sheet.stopping:
            self._give_slot(job, sheet)
            sheet.stopping = False
            self._breaker(sheet.instrument).abandoned()
            error = "stopped by a forced pause; it runs again on resume"
            out.attempt(self._attempt(job, sheet, AttemptOutcome.STOPPED, now, error=error))
            self._move(job, sheet, SheetEvent.REQUEUE, now, out)
        else:
            self._ended_badly(job, sheet, result, now, out)
        self._check_cost(job, sheet, now, out)
        self._settle(job, now, out)

    def _not_launched(self, event: AttemptNotLaunched, now: float, out: Changes) -> None:
        found = self._result_for(event, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        sheet.stopping = False
        if event.no_room:
            self._give_slot(job, sheet)
            error = f"not started: {event.reason}; it starts once the state folder has room"
            out.attempt(self._attempt(job, sheet, AttemptOutcome.INTERRUPTED, now, error=error))
            self._move(job, sheet, SheetEvent.REQUEUE, now, out)
            self._settle(job, now, out)
            return
        failed = Classified(AttemptOutcome.LAUNCH_FAILED, f"could not start: {event.reason}")
        self._ended_badly(job, sheet, failed, now, out)
        self._settle(job, now, out)

    def _ended_badly(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        result: Classified,
        now: float,
        out: Changes,
    ) -> None:
        """The attempt ended without succeeding: it frees its slot, tells the breaker and the
        rate-limit windows, and the sheet waits, retries, falls back or fails."""
        self._give_slot(job, sheet)
        sheet.quota = result.quota
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
        )

    def _validated(self, event: ValidationsDone, now: float, out: Changes) -> None:
        found = self._result_for(event, SheetStatus.VALIDATING)
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
