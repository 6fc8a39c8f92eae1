"""How a job goes on and ends: a resume that waited for the job to go idle, fail_fast, the end
of a job (with its hooks), a new score taking over, a job stopped whole (cancel, timeout).
"""

from podium.domain.commands import (
    JobEnded,
    Kill,
    SwapScore,
)
from podium.domain.decide import Budget
from podium.domain.engine.core import (
    sheets_of,
)
from podium.domain.engine.hooks import Hooks
from podium.domain.events import HookFinished
from podium.domain.live import Changes, LiveJob, PendingScore
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
)


class Lifecycle(Hooks):
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
            or job.hook
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
        if not hooks:
            self._end(job, JobEvent.COMPLETE, now, out)
            return
        self._start_hooks(job, hooks, now, out)

    def _hook_finished(self, event: HookFinished, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        if job is None or job.hook != event.index:
            return  # the job was cancelled meanwhile
        ending = self._hook_ended(job, event, now, out)
        if ending is JobEvent.FAIL and job.plan.policy.concert.abort_on_hook_failure:
            self._abort_chain(job, now, out)
        if ending is not None:
            self._end(job, ending, now, out)

    def _abort_chain(self, job: LiveJob, now: float, out: Changes) -> None:
        """A hook failed and the concert aborts: the jobs an earlier `run_job` hook of this
        job started are cancelled too, so that the chain ends here."""
        reason = (
            f"cancelled: job {job.job_id}, which started it, had a hook fail "
            "(concert.abort_concert_on_hook_failure)"
        )
        for record in job.hook_records.values():
            child = self._jobs.get(record.chained_job) if record.chained_job else None
            if child is None:
                continue
            self._cancel_job(child, reason, now, out)
            out.note(job, now, f"cancelled job {child.job_id}, which it had started")

    def _cancel_job(self, job: LiveJob, reason: str, now: float, out: Changes) -> int:
        """The job ends cancelled: its attempts and its running hook are stopped. Returns how
        many attempts are being stopped."""
        stopping = self._stop_all(job, reason, now, out)
        if job.hook:
            self._stop_hook(job, reason, now, out)
        job.detail = None
        out.note(job, now, reason)
        self._end(job, JobEvent.CANCEL, now, out)
        return stopping

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
        job.sheets, job.dependents = sheets_of(pending.plan, now)
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

    def _check_job_timeout(self, job: LiveJob, now: float, out: Changes) -> None:
        limit = self._limits.job_timeout_seconds
        if job.status is not JobStatus.RUNNING or job.started_at is None or job.hook:
            return  # hooks have timeouts of their own
        if now < job.started_at + limit:
            return  # an alarm of an earlier run; each start sets its own
        reason = f"the job ran longer than the conductor's job_timeout_seconds ({limit:g}s)"
        self._stop_all(job, reason, now, out)
        job.error = reason
        out.note(job, now, reason)
        self._end(job, JobEvent.FAIL, now, out)
