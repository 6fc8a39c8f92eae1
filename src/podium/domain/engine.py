"""The engine: every decision the conductor makes, as `handle(event, now) -> commands`.

It owns the live state of active jobs. It never awaits, spawns, reads the clock, logs or
touches a file: the runtime feeds it events with the current time and applies the commands it
returns, `Persist` first. Terminal jobs leave the engine; their history lives in the store.
"""

import heapq
from dataclasses import dataclass
from typing import assert_never

from podium.domain.commands import (
    Accepted,
    Command,
    JobEnded,
    Launch,
    Rejected,
    Reply,
    RunValidations,
)
from podium.domain.events import (
    AttemptExited,
    AttemptNotLaunched,
    Event,
    JobSubmitted,
    Recovered,
    RecoveredJob,
    ValidationsDone,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome, ExitStatus, classify_exit, describe_exit
from podium.domain.plan import JobPlan
from podium.domain.records import AttemptRecord, JobRecord
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


@dataclass(frozen=True, slots=True)
class Limits:
    max_concurrent_sheets: int = 10


class Engine:
    """Decides what runs, when, and what each outcome means. See the module docstring."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._jobs: dict[JobId, LiveJob] = {}
        self._by_score: dict[str, JobId] = {}
        self._ready_jobs: list[tuple[int, JobId]] = []
        self._queued_for_dispatch: set[JobId] = set()
        self._in_flight = 0
        self._seq = 0

    # ---- queries (read-only; safe between events) -------------------------------------

    @property
    def in_flight(self) -> int:
        """Attempts holding a slot: running or being validated."""
        return self._in_flight

    def view(self, job_id: JobId) -> JobView | None:
        job = self._jobs.get(job_id)
        if job is None:
            return None
        return job_view(job.record(), job.plan, (job.sheet_record(s) for s in job.sheets.values()))

    def active_jobs(self) -> list[JobRecord]:
        return [job.record() for job in self._jobs.values()]

    # ---- events ---------------------------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Command]:
        """Apply one event at time `now` and return what the runtime must do, in order."""
        out = Changes()
        match event:
            case JobSubmitted():
                self._submit(event, now, out)
            case Recovered():
                for job in event.jobs:
                    self._recover(job, now, out)
            case AttemptExited():
                self._exited(event, now, out)
            case AttemptNotLaunched():
                self._not_launched(event, now, out)
            case ValidationsDone():
                self._validated(event, now, out)
            case _:
                assert_never(event)
        self._dispatch(now, out)
        return out.commands()

    def _submit(self, event: JobSubmitted, now: float, out: Changes) -> None:
        other = self._by_score.get(event.score_path)
        if other is not None:
            out.effects.append(
                Reply(
                    event.request,
                    Rejected(
                        f"job '{other}' is already running this score ({event.score_path}); "
                        f"follow it with 'podium status {other}'"
                    ),
                )
            )
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
        for sheet in job.sheets.values():
            sheet.updated_at = now
        out.new_job(job, event.snapshot)
        self._start(job, now, out)
        out.effects.append(Reply(event.request, Accepted(job.job_id)))

    def _recover(self, event: RecoveredJob, now: float, out: Changes) -> None:
        rec = event.job
        job = self._new_job(
            rec.job_id,
            event.plan,
            rec.score_path,
            rec.workspace,
            submitted_at=rec.submitted_at,
            status=rec.status,
        )
        job.started_at, job.error = rec.started_at, rec.error
        for srec in event.sheets:
            sheet = job.sheets[srec.num]
            sheet.status, sheet.updated_at, sheet.error = srec.status, srec.updated_at, srec.error
            sheet.attempts, sheet.failures, sheet.blocked_by = (
                srec.attempts,
                srec.failures,
                srec.blocked_by,
            )
        self._recount(job)
        attempts = {a.sheet: a for a in event.attempts}
        if event.problem is not None:
            self._abandon(job, attempts, f"cannot go on after a restart: {event.problem}", now, out)
            return
        for sheet in list(job.sheets.values()):
            self._recover_sheet(job, sheet, attempts.get(sheet.plan.num), now, out)
        if job.status is JobStatus.QUEUED:
            self._start(job, now, out)
        self._finish_if_done(job, now, out)

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
        self._end(job, JobEvent.FAIL, now, out)

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
                # Not the sheet's fault: it is retried without spending its budget.
                self._in_flight += 1
                sheet.attempt_started_at = attempt.started_at if attempt else now
                self._attempt_failed(
                    job,
                    sheet,
                    now,
                    out,
                    outcome=AttemptOutcome.INTERRUPTED,
                    error="interrupted: the conductor stopped while it ran",
                    spends_budget=False,
                )
            case SheetStatus.VALIDATING:
                self._in_flight += 1
                if attempt is not None:
                    sheet.attempt_started_at = attempt.started_at
                    sheet.exited_at = attempt.exited_at
                    sheet.exit = ExitStatus(attempt.exit_code, attempt.signal)
                out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
            case SheetStatus.WAITING:
                self._move(job, sheet, SheetEvent.RETRY_DUE, now, out)
                self._push_ready(job, sheet)
            case SheetStatus.READY:
                self._push_ready(job, sheet)
            case SheetStatus.PENDING if sheet.unmet == 0:
                self._make_ready(job, sheet, now, out)
            case _:
                pass

    def _exited(self, event: AttemptExited, now: float, out: Changes) -> None:
        found = self._current(event.job_id, event.sheet, event.attempt, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        sheet.exit = event.status
        sheet.exited_at = now
        outcome = classify_exit(event.status)
        if outcome is AttemptOutcome.SUCCEEDED:
            self._move(job, sheet, SheetEvent.EXITED, now, out)
            out.attempt(self._attempt(job, sheet, AttemptOutcome.VALIDATING, now))
            out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
            return
        error = describe_exit(event.status)
        if event.output_tail.strip():
            error += ": " + event.output_tail.strip().splitlines()[-1][:300]
        self._attempt_failed(job, sheet, now, out, outcome=outcome, error=error)

    def _not_launched(self, event: AttemptNotLaunched, now: float, out: Changes) -> None:
        found = self._current(event.job_id, event.sheet, event.attempt, SheetStatus.RUNNING)
        if found is not None:
            job, sheet = found
            self._attempt_failed(
                job,
                sheet,
                now,
                out,
                outcome=AttemptOutcome.LAUNCH_FAILED,
                error=f"could not start: {event.reason}",
            )

    def _validated(self, event: ValidationsDone, now: float, out: Changes) -> None:
        found = self._current(event.job_id, event.sheet, event.attempt, SheetStatus.VALIDATING)
        if found is None:
            return
        job, sheet = found
        if all(r.passed for r in event.results):
            self._in_flight -= 1
            sheet.error = None
            self._move(job, sheet, SheetEvent.PASS, now, out)
            out.attempt(
                self._attempt(job, sheet, AttemptOutcome.SUCCEEDED, now, validations=event.results)
            )
            self._release_dependents(job, sheet, now, out)
            self._finish_if_done(job, now, out)
        else:
            self._attempt_failed(
                job,
                sheet,
                now,
                out,
                outcome=AttemptOutcome.VALIDATION_FAILED,
                error=failure_summary(event.results),
                validations=event.results,
            )

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
        spends_budget: bool = True,
    ) -> None:
        """An attempt ended without success: retry it within the budget, or fail the sheet."""
        self._in_flight -= 1
        sheet.failures += spends_budget
        sheet.error = error
        out.attempt(self._attempt(job, sheet, outcome, now, error=error, validations=validations))
        if sheet.failures <= sheet.plan.max_retries:
            self._move(job, sheet, SheetEvent.WAIT, now, out)
            self._move(job, sheet, SheetEvent.RETRY_DUE, now, out)
            self._push_ready(job, sheet)
            return
        self._move(job, sheet, SheetEvent.FAIL, now, out)
        self._skip_dependents(job, sheet, now, out)
        self._finish_if_done(job, now, out)

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
            dependent.error = f"skipped: sheet {failed.plan.num} failed"
            self._move(job, dependent, SheetEvent.SKIP, now, out)
            todo.extend(job.dependents[dependent.plan.num])

    def _finish_if_done(self, job: LiveJob, now: float, out: Changes) -> None:
        if job.terminal < len(job.sheets) or job.status is not JobStatus.RUNNING:
            return
        if all(s.satisfies_dependents for s in job.sheets.values()):
            self._end(job, JobEvent.COMPLETE, now, out)
        else:
            job.error = job.failure_summary()
            self._end(job, JobEvent.FAIL, now, out)

    def _end(self, job: LiveJob, event: JobEvent, now: float, out: Changes) -> None:
        """The job reaches a terminal status and leaves the engine."""
        self._move_job(job, event, out)
        job.finished_at = now
        del self._jobs[job.job_id]
        self._by_score.pop(job.score_path, None)
        out.effects.append(JobEnded(job.job_id))

    def _dispatch(self, now: float, out: Changes) -> None:
        while self._in_flight < self._limits.max_concurrent_sheets and self._ready_jobs:
            _, job_id = self._ready_jobs[0]
            job = self._jobs.get(job_id)
            if job is None or not job.ready or job.status is not JobStatus.RUNNING:
                heapq.heappop(self._ready_jobs)
                self._queued_for_dispatch.discard(job_id)
                continue
            sheet = job.sheets[heapq.heappop(job.ready)]
            self._launch(job, sheet, now, out)

    def _launch(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        self._move(job, sheet, SheetEvent.DISPATCH, now, out)
        sheet.attempts += 1
        sheet.attempt_started_at = now
        sheet.exit = None
        sheet.exited_at = None
        self._in_flight += 1
        out.attempt(self._attempt(job, sheet, AttemptOutcome.RUNNING, now))
        out.effects.append(
            Launch(job.job_id, sheet.plan.num, sheet.attempts, sheet.plan.timeout_seconds)
        )

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
        dependents: dict[SheetNum, list[SheetNum]] = {p.num: [] for p in plan.sheets}
        for p in plan.sheets:
            for dep in p.depends_on:
                dependents[dep].append(p.num)
        sheets = {
            p.num: LiveSheet(p, SheetStatus.PENDING, submitted_at, unmet=len(p.depends_on))
            for p in plan.sheets
        }
        self._seq += 1
        job = LiveJob(
            self._seq, job_id, plan, score_path, workspace, submitted_at, status, sheets, dependents
        )
        self._jobs[job_id] = job
        self._by_score[score_path] = job_id
        return job

    def _recount(self, job: LiveJob) -> None:
        """Derive a recovered job's counters from its sheets' statuses."""
        for sheet in job.sheets.values():
            job.terminal += sheet.status.is_terminal
            job.completed += sheet.status is SheetStatus.COMPLETED
            if sheet.satisfies_dependents:
                for num in job.dependents[sheet.plan.num]:
                    job.sheets[num].unmet -= 1

    def _start(self, job: LiveJob, now: float, out: Changes) -> None:
        self._move_job(job, JobEvent.START, out)
        job.started_at = job.started_at or now
        for sheet in job.sheets.values():
            if sheet.status is SheetStatus.PENDING and sheet.unmet == 0:
                self._make_ready(job, sheet, now, out)
        self._finish_if_done(job, now, out)

    def _make_ready(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        self._move(job, sheet, SheetEvent.DEPENDENCIES_MET, now, out)
        self._push_ready(job, sheet)

    def _push_ready(self, job: LiveJob, sheet: LiveSheet) -> None:
        heapq.heappush(job.ready, sheet.plan.num)
        if job.job_id not in self._queued_for_dispatch:
            self._queued_for_dispatch.add(job.job_id)
            heapq.heappush(self._ready_jobs, (job.seq, job.job_id))

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

    def _move(
        self, job: LiveJob, sheet: LiveSheet, event: SheetEvent, now: float, out: Changes
    ) -> None:
        before = sheet.status
        sheet.status = next_sheet_status(f"job {job.job_id} sheet {sheet.plan.num}", before, event)
        sheet.updated_at = now
        if sheet.status.is_terminal and not before.is_terminal:
            job.terminal += 1
            if sheet.status is SheetStatus.COMPLETED:
                job.completed += 1
                out.job(job)  # its progress is part of the job's record
        out.sheet(job, sheet)

    def _move_job(self, job: LiveJob, event: JobEvent, out: Changes) -> None:
        job.status = next_job_status(f"job {job.job_id}", job.status, event)
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
        )
