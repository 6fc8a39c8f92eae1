"""How a job ends: completed, failed or cancelled, with its attempts and its running hook
stopped; a job that ran past its timeout; a chain of jobs aborted by a failed hook."""

from podium.domain.commands import JobEnded, Kill
from podium.domain.engine.hooks import Hooks
from podium.domain.engine.moves import Moves, attempt_record
from podium.domain.engine.slots import Slots
from podium.domain.engine.state import EngineState
from podium.domain.events import HookFinished
from podium.domain.live import Changes, LiveJob
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import JobEvent, JobStatus, SheetEvent, SheetStatus


class Lifecycle:
    """Ends jobs, and stops what they still run."""

    def __init__(self, state: EngineState, moves: Moves, slots: Slots, hooks: Hooks) -> None:
        self._state = state
        self._moves = moves
        self._slots = slots
        self._hooks = hooks

    def end(self, job: LiveJob, event: JobEvent, now: float, out: Changes) -> None:
        """The job reaches a terminal status and leaves the engine."""
        self._moves.job(job, event, out)
        job.finished_at = now
        job.ready.clear()
        self._state.forget(job)
        out.effects.append(JobEnded(job.job_id))

    def cancel(self, job: LiveJob, reason: str, now: float, out: Changes) -> int:
        """The job ends cancelled: its attempts and its running hook are stopped. Returns how
        many attempts are being stopped."""
        stopping = self.stop_all(job, reason, now, out)
        if job.hook:
            self._hooks.stop(job, reason, now, out)
        job.detail = None
        out.note(job, now, reason)
        self.end(job, JobEvent.CANCEL, now, out)
        return stopping

    def stop_all(self, job: LiveJob, reason: str, now: float, out: Changes) -> int:
        """Cancel every unfinished sheet; running attempts are killed. Their slots stay taken
        until the runtime reports their end. Returns how many attempts are being stopped."""
        stopping = 0
        for sheet in job.sheets.values():
            if sheet.status.in_flight and sheet.launched_on is not None:
                key = self._slots.drain(job, sheet, sheet.launched_on)
                if sheet.status is SheetStatus.RUNNING:
                    out.effects.append(Kill(*key))
                    self._state.breaker(sheet.instrument).abandoned()
                    stopping += 1
                out.attempt(attempt_record(job, sheet, AttemptOutcome.STOPPED, now, error=reason))
            if not sheet.status.is_terminal:
                sheet.error = reason
                self._moves.sheet(job, sheet, SheetEvent.CANCEL, now, out)
        return stopping

    def hook_finished(self, event: HookFinished, now: float, out: Changes) -> None:
        """The running hook ended: the next one starts, or the job ends."""
        job = self._state.jobs.get(event.job_id)
        if job is None or job.hook != event.index:
            return  # the job was cancelled meanwhile
        ending = self._hooks.ended(job, event, now, out)
        if ending is JobEvent.FAIL and job.plan.policy.concert.abort_on_hook_failure:
            self._abort_chain(job, now, out)
        if ending is not None:
            self.end(job, ending, now, out)

    def _abort_chain(self, job: LiveJob, now: float, out: Changes) -> None:
        """A hook failed and the concert aborts: the jobs an earlier `run_job` hook of this
        job started are cancelled too, so that the chain ends here."""
        reason = (
            f"cancelled: job {job.job_id}, which started it, had a hook fail "
            "(concert.abort_concert_on_hook_failure)"
        )
        for record in job.hook_records.values():
            child = self._state.jobs.get(record.chained_job) if record.chained_job else None
            if child is None:
                continue
            self.cancel(child, reason, now, out)
            out.note(job, now, f"cancelled job {child.job_id}, which it had started")

    def check_timeout(self, job: LiveJob, now: float, out: Changes) -> None:
        """A running job past the conductor's `job_timeout_seconds` fails."""
        limit = self._state.limits.job_timeout_seconds
        if job.status is not JobStatus.RUNNING or job.started_at is None or job.hook:
            return  # hooks have timeouts of their own
        if now < job.started_at + limit:
            return  # an alarm of an earlier run; each start sets its own
        reason = f"the job ran longer than the conductor's job_timeout_seconds ({limit:g}s)"
        self.stop_all(job, reason, now, out)
        job.error = reason
        out.note(job, now, reason)
        self.end(job, JobEvent.FAIL, now, out)
