"""What a person asks of a job: pause, resume, modify, cancel, and ending rate-limit waits."""

from podium.domain.commands import (
    Accepted,
    Kill,
    Reply,
)
from podium.domain.decide import Action, Budget
from podium.domain.engine.dispatch import Dispatch
from podium.domain.events import (
    CancelJob,
    ClearRateLimits,
    ModifyJob,
    NewScore,
    PauseJob,
    PressureMeasured,
    ResumeJob,
)
from podium.domain.live import Changes, LiveJob, PendingScore
from podium.domain.pressure import PressureLevel, pause_note
from podium.domain.records import JobSpec
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
)


class Control(Dispatch):
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

    def _pressure_measured(self, event: PressureMeasured, now: float, out: Changes) -> None:
        """Backpressure: the level spaces attempt starts (see `_dispatch`); at the critical
        level the newest running job is paused, one per measurement. Its attempts in flight
        finish; nothing is killed, and nothing is resumed by itself when the load drops."""
        self._pacing.level = event.level
        if event.level is not PressureLevel.CRITICAL:
            return
        running = [j for j in self._jobs.values() if j.status is JobStatus.RUNNING and not j.hook]
        if not running:
            return
        job = max(running, key=lambda j: j.seq)
        note = pause_note(event.reason)
        job.detail = note
        self._move_job(job, JobEvent.PAUSE, out)
        out.note(job, now, note)

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
        other = self._by_score.get(event.score.score_path) if event.score else None
        if event.score is not None and other is not None and other != event.job_id:
            self._reject(
                event.request, f"job '{other}' is already running {event.score.score_path}", out
            )
            return
        job = job or self._revive(event, "resumed", now, out)
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
        stays_paused = job is not None and job.status is JobStatus.PAUSED and not event.resume
        if job is None:
            job = self._revive(event, "modified", now, out)
            if job is None:
                return
        elif job.status is not JobStatus.PAUSED:
            job.detail = "being modified"
            self._move_job(job, JobEvent.PAUSE, out)
        self._stage(job, event.score, out)
        out.note(job, now, f"modified: {event.score.score_path}")
        if stays_paused:
            message = f"modified; it stays paused: 'podium resume {job.job_id}' goes on with it"
            out.effects.append(Reply(event.request, Accepted(job.job_id, message)))
            return
        self._resume_when_idle(job, event.request, "modified", now, out)

    def _revive(
        self, event: ResumeJob | ModifyJob, verb: str, now: float, out: Changes
    ) -> LiveJob | None:
        """A finished job, back in the engine to be resumed or modified (a modify moves it to
        its new score's path, checked already)."""
        job_id, stored, request = event.job_id, event.stored, event.request
        if stored is None:
            self._reject(request, f"no job '{job_id}'", out, code="not_found")
            return None
        status = stored.job.status
        forced = isinstance(event, ResumeJob) and event.force and status is JobStatus.COMPLETED
        if status not in (JobStatus.FAILED, JobStatus.CANCELLED) and not forced:
            again = "'podium run'" + (
                f", or 'podium resume {job_id} --force'" if status is JobStatus.COMPLETED else ""
            )
            self._reject(
                request,
                f"job '{job_id}' has {status}; only a paused, failed or cancelled job can be "
                f"{verb} (run the score again with {again})",
                out,
            )
            return None
        if isinstance(event, ResumeJob) and stored.job.score_path in self._by_score:
            other = self._by_score[stored.job.score_path]
            self._reject(request, f"job '{other}' is already running {stored.job.score_path}", out)
            return None
        job = self._restore(stored, now)
        if forced:
            self._rerun_all(job, now, out)
        return job

    def _rerun_all(self, job: LiveJob, now: float, out: Changes) -> None:
        """A completed job resumed with --force: every sheet runs again, with a fresh budget
        (attempt numbers go on, so no earlier attempt's files are overwritten)."""
        for sheet in job.sheets.values():
            sheet.budget, sheet.fallback, sheet.failed_checks = Budget(), 0, ()
            sheet.error, sheet.blocked_by = None, None
            self._move(job, sheet, SheetEvent.RESET, now, out)
        self._recount(job)
        out.note(job, now, "every sheet runs again (resume --force of a completed job)")

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

    def _release_chain(self, job: LiveJob, request: int, now: float, out: Changes) -> None:
        hooks = self._hooks_to_run(job, now, out)
        out.note(job, now, "chain released")
        self._move_job(job, JobEvent.RELEASE_CHAIN, out)
        self._start_hooks(job, hooks, now, out)
        out.effects.append(Reply(request, Accepted(job.job_id, "chain released")))

    def _cancel(self, event: CancelJob, now: float, out: Changes) -> None:
        job = self._jobs.get(event.job_id)
        if job is None:
            self._reject(event.request, f"job '{event.job_id}' is not active", out)
            return
        stopping = self._cancel_job(job, "cancelled by the user", now, out)
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
