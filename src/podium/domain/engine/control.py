"""What a person asks of a job: submit, pause, resume, modify, cancel; and the pause that
backpressure asks for at its critical level."""

from podium.domain.commands import Accepted, Kill, Reply
from podium.domain.engine.hooks import Hooks
from podium.domain.engine.lifecycle import Lifecycle
from podium.domain.engine.moves import Moves
from podium.domain.engine.resumption import Resumption
from podium.domain.engine.rules import Rules
from podium.domain.engine.state import EngineState, recount
from podium.domain.engine.words import reject
from podium.domain.events import (
    CancelJob,
    JobSubmitted,
    ModifyJob,
    PauseJob,
    PressureMeasured,
    ResumeJob,
    StopAttempt,
)
from podium.domain.live import Changes, LiveJob
from podium.domain.pressure import PressureLevel, pause_note
from podium.domain.records import JobSpec
from podium.domain.status import JobEvent, JobStatus, SheetEvent, SheetStatus


class Control:
    """Answers the requests of a person (or a client acting for one) about a job."""

    def __init__(
        self,
        state: EngineState,
        *,
        moves: Moves,
        lifecycle: Lifecycle,
        resumption: Resumption,
        hooks: Hooks,
        rules: Rules,
    ) -> None:
        self._state = state
        self._moves = moves
        self._lifecycle = lifecycle
        self._resumption = resumption
        self._hooks = hooks
        self._rules = rules

    def submit(self, event: JobSubmitted, now: float, out: Changes) -> None:
        """A new job joins the queue, unless its score runs already or its start is wrong."""
        other = self._state.by_score.get(event.score_path)
        if other is not None:
            reason = (
                f"job '{other}' is already running this score ({event.score_path}); "
                f"follow it with 'podium status {other}'"
            )
            reject(event.request, reason, out, code="already_running")
            return
        total = event.plan.total_sheets
        if not 1 <= event.start_sheet <= total:
            reason = f"there is no sheet {event.start_sheet} to start at: the score has {total}"
            reject(event.request, reason, out, code="invalid_request")
            return
        if event.job_id in self._state.jobs:
            raise ValueError(f"job id '{event.job_id}' is already active")
        job = self._state.add_job(
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
        out.spec(
            JobSpec(job.job_id, event.plan, event.snapshot, event.submit_key, event.environment)
        )
        if event.start_sheet > 1:
            self._start_at(job, event.start_sheet, now, out)
        self._state.enqueue(job)
        out.effects.append(Reply(event.request, Accepted(job.job_id)))

    def _start_at(self, job: LiveJob, first: int, now: float, out: Changes) -> None:
        """The sheets before `first` are skipped: the job starts there."""
        for sheet in job.sheets.values():
            if sheet.plan.num < first:
                sheet.error = f"skipped: the job started at sheet {first}"
                self._moves.sheet(job, sheet, SheetEvent.SKIP, now, out)
        out.note(job, now, f"started at sheet {first}; earlier sheets skipped")
        recount(job)

    def pause(self, event: PauseJob, now: float, out: Changes) -> None:
        """The job starts nothing new; a forced pause also stops its running attempts."""
        job = self._state.jobs.get(event.job_id)
        if job is None:
            reject(event.request, f"job '{event.job_id}' is not active", out)
            return
        if job.status is JobStatus.PAUSED_AT_CHAIN:
            reject(
                event.request,
                f"job '{job.job_id}' has completed and holds its chain; resume it to start the "
                "next job, or cancel it",
                out,
            )
            return
        already = job.status is JobStatus.PAUSED
        if not already:
            job.detail = "paused by the user"
            self._moves.job(job, JobEvent.PAUSE, out)
            out.note(job, now, "paused by the user" + (" (forced)" if event.force else ""))
        job.resume_when_idle = False
        out.job(job)
        stopping = 0
        if event.force:
            for sheet in job.sheets.values():
                if sheet.status is SheetStatus.RUNNING and not sheet.stopping:
                    sheet.stopping = True
                    sheet.stopped_why = "stopped by a forced pause; it runs again on resume"
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

    def stop_attempt(self, event: StopAttempt, now: float, out: Changes) -> None:
        """Stop one sheet's running attempt; the sheet goes back to ready, budget untouched
        (it runs again at once, or on resume when the job is paused)."""
        job = self._state.jobs.get(event.job_id)
        sheet = job.sheets.get(event.sheet) if job is not None else None
        if job is None or sheet is None:
            what = (
                f"job '{event.job_id}' is not active"
                if job is None
                else (f"job '{event.job_id}' has no sheet {event.sheet}")
            )
            reject(event.request, what, out)
            return
        if sheet.status is not SheetStatus.RUNNING or sheet.stopping:
            doing = "already being stopped" if sheet.stopping else sheet.status.value
            reject(
                event.request,
                f"sheet {event.sheet} of job '{job.job_id}' has no attempt running to stop "
                f"(it is {doing})",
                out,
            )
            return
        sheet.stopping = True
        sheet.stopped_why = "stopped by a person; the sheet runs again, its retries untouched"
        out.effects.append(Kill(job.job_id, sheet.plan.num, sheet.attempts))
        out.note(job, now, f"attempt {sheet.attempts} of sheet {event.sheet} stopped by a person")
        message = (
            f"stopping attempt {sheet.attempts} of sheet {event.sheet}; the sheet runs again"
            + (" on resume" if job.status is not JobStatus.RUNNING else "")
            + ", its retries untouched"
        )
        out.effects.append(Reply(event.request, Accepted(job.job_id, message)))

    def pressure_measured(self, event: PressureMeasured, now: float, out: Changes) -> None:
        """Backpressure: the level spaces attempt starts (see `Dispatch`); at the critical
        level the newest running job is paused, one per measurement. Its attempts in flight
        finish; nothing is killed, and nothing is resumed by itself when the load drops."""
        self._state.pacing.level = event.level
        if event.level is not PressureLevel.CRITICAL:
            return
        running = [
            j for j in self._state.jobs.values() if j.status is JobStatus.RUNNING and not j.hook
        ]
        if not running:
            return
        job = max(running, key=lambda j: j.seq)
        note = pause_note(event.reason)
        job.detail = note
        self._moves.job(job, JobEvent.PAUSE, out)
        out.note(job, now, note)

    def resume(self, event: ResumeJob, now: float, out: Changes) -> None:
        """A paused job goes on; a failed or cancelled one comes back and goes on; a job
        holding its chain releases it."""
        job = self._state.jobs.get(event.job_id)
        if job is not None and job.status is JobStatus.PAUSED_AT_CHAIN:
            self._release_chain(job, event.request, now, out)
            return
        if job is not None and job.status is not JobStatus.PAUSED:
            reject(
                event.request,
                f"job '{job.job_id}' is {job.status}; only a paused, failed or cancelled job "
                "can be resumed",
                out,
            )
            return
        other = self._state.by_score.get(event.score.score_path) if event.score else None
        if event.score is not None and other is not None and other != event.job_id:
            reject(event.request, f"job '{other}' is already running {event.score.score_path}", out)
            return
        job = job or self._revive(event, "resumed", now, out)
        if job is None:
            return
        if event.score is not None or job.pending is not None:
            # A changed score waits for the attempts in flight, as a modify does; a modify
            # already waiting keeps its score.
            if job.pending is None and event.score is not None:
                self._resumption.stage(job, event.score, out)
            self._resume_when_idle(job, event.request, "resumed", now, out)
            return
        self._resumption.resume_now(job, now, out)
        self._reply_resumed(job, event.request, "resumed", out)

    def modify(self, event: ModifyJob, now: float, out: Changes) -> None:
        """The job goes on with a new score once its attempts in flight have ended."""
        job = self._state.jobs.get(event.job_id)
        if job is not None and job.status is JobStatus.PAUSED_AT_CHAIN:
            reject(
                event.request,
                f"job '{job.job_id}' has completed and holds its chain; resume or cancel it",
                out,
            )
            return
        other = self._state.by_score.get(event.score.score_path)
        if other is not None and other != event.job_id:
            reject(
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
            self._moves.job(job, JobEvent.PAUSE, out)
        self._resumption.stage(job, event.score, out)
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
            reject(request, f"no job '{job_id}'", out, code="not_found")
            return None
        status = stored.job.status
        forced = isinstance(event, ResumeJob) and event.force and status is JobStatus.COMPLETED
        if status not in (JobStatus.FAILED, JobStatus.CANCELLED) and not forced:
            again = "'podium run'" + (
                f", or 'podium resume {job_id} --force'" if status is JobStatus.COMPLETED else ""
            )
            reject(
                request,
                f"job '{job_id}' has {status}; only a paused, failed or cancelled job can be "
                f"{verb} (run the score again with {again})",
                out,
            )
            return None
        if isinstance(event, ResumeJob) and stored.job.score_path in self._state.by_score:
            other = self._state.by_score[stored.job.score_path]
            reject(request, f"job '{other}' is already running {stored.job.score_path}", out)
            return None
        job = self._state.restore(stored)
        if forced:
            self._resumption.rerun_all(job, now, out)
        return job

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
        self._rules.settle(job, now, out)
        self._reply_resumed(job, request, verb, out)

    @staticmethod
    def _reply_resumed(job: LiveJob, request: int, verb: str, out: Changes) -> None:
        message = verb
        if job.status is JobStatus.PAUSED and job.detail:
            message += f", but it is paused again: {job.detail}"
        out.effects.append(Reply(request, Accepted(job.job_id, message)))

    def _release_chain(self, job: LiveJob, request: int, now: float, out: Changes) -> None:
        hooks = self._hooks.to_run(job, now, out)
        out.note(job, now, "chain released")
        self._moves.job(job, JobEvent.RELEASE_CHAIN, out)
        self._hooks.start(job, hooks, now, out)
        out.effects.append(Reply(request, Accepted(job.job_id, "chain released")))

    def cancel(self, event: CancelJob, now: float, out: Changes) -> None:
        """The job ends cancelled; its running attempts are stopped."""
        job = self._state.jobs.get(event.job_id)
        if job is None:
            reject(event.request, f"job '{event.job_id}' is not active", out)
            return
        stopping = self._lifecycle.cancel(job, "cancelled by the user", now, out)
        message = "cancelled" + (f"; stopping {stopping} running attempt(s)" if stopping else "")
        out.effects.append(Reply(event.request, Accepted(job.job_id, message)))
