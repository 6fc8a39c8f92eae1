"""A conductor restart: the jobs the store remembers come back into the engine and go on.

An attempt whose process the runtime re-attached to holds its slot again and is awaited like
any other; one that was running and is gone is recorded as interrupted and runs again without
spending its budget; one whose validations were running has them run again. A job whose score
cannot be read any more fails, saying why.
"""

from podium.domain.commands import RunValidations
from podium.domain.engine.flow import SheetFlow
from podium.domain.engine.gates import Gates
from podium.domain.engine.hooks import Hooks
from podium.domain.engine.lifecycle import Lifecycle
from podium.domain.engine.moves import Moves, attempt_record
from podium.domain.engine.rules import Rules
from podium.domain.engine.slots import Slots
from podium.domain.engine.state import EngineState
from podium.domain.engine.windows import Windows
from podium.domain.engine.words import reject
from podium.domain.events import Restarted, RestoredJob, StoredScoreBroken
from podium.domain.ids import SheetNum
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome, ExitStatus
from podium.domain.records import AttemptRecord, Usage
from podium.domain.status import JobEvent, JobStatus, SheetEvent, SheetStatus


class Restart:
    """Takes back what the last conductor left: rate-limit windows, jobs, attempts, hooks."""

    def __init__(
        self,
        state: EngineState,
        *,
        moves: Moves,
        flow: SheetFlow,
        slots: Slots,
        windows: Windows,
        lifecycle: Lifecycle,
        hooks: Hooks,
        rules: Rules,
        gates: Gates,
    ) -> None:
        self._state = state
        self._moves = moves
        self._flow = flow
        self._slots = slots
        self._windows = windows
        self._lifecycle = lifecycle
        self._hooks = hooks
        self._rules = rules
        self._gates = gates

    def restarted(self, event: Restarted, now: float, out: Changes) -> None:
        """The store's windows and active jobs, back in the engine."""
        self._windows.restore(event.rate_limits, now, out)
        for stored in event.jobs:
            self._take_back(stored, now, out)

    def _take_back(self, stored: RestoredJob, now: float, out: Changes) -> None:
        """One job back: it goes on from where the store says it was, or fails if it cannot."""
        job = self._state.restore(stored)
        attempts = {a.sheet: a for a in stored.attempts}
        if stored.problem is not None:
            self._abandon(
                job, attempts, f"cannot go on after a restart: {stored.problem}", now, out
            )
            return
        out.job(job)
        if stored.job.hook:
            ending = self._hooks.after_restart(job, stored, now, out)
            if ending is not None:
                self._lifecycle.end(job, ending, now, out)
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
                self._take_back_sheet(job, sheet, attempt, now, out)
        for sheet in job.sheets.values():
            # A modify that had not taken effect when the conductor stopped left sheets ready
            # under the old score; the new one may give them dependencies still to meet.
            if sheet.status in (SheetStatus.READY, SheetStatus.WAITING) and sheet.unmet:
                sheet.due, sheet.wait, sheet.checking = None, None, None
                self._moves.sheet(job, sheet, SheetEvent.RESET, now, out)
        if job.status is JobStatus.QUEUED:
            self._state.enqueue(job)
        elif job.status is JobStatus.RUNNING:
            self._flow.start(job, now, out)
        self._rules.settle(job, now, out)

    def _abandon(
        self,
        job: LiveJob,
        attempts: dict[SheetNum, AttemptRecord],
        reason: str,
        now: float,
        out: Changes,
    ) -> None:
        """Fail a job taken back that cannot run: its unfinished sheets are cancelled."""
        for sheet in job.sheets.values():
            if sheet.status.is_terminal:
                continue
            attempt = attempts.get(sheet.plan.num)
            if sheet.status.in_flight and attempt is not None:
                sheet.attempt_started_at, sheet.mode = attempt.started_at, attempt.mode
                out.attempt(
                    attempt_record(job, sheet, AttemptOutcome.INTERRUPTED, now, error=reason)
                )
            sheet.error = reason
            self._moves.sheet(job, sheet, SheetEvent.CANCEL, now, out)
        if job.status is JobStatus.QUEUED:
            self._moves.job(job, JobEvent.START, out)
        job.error = reason
        if job.status is JobStatus.RUNNING:
            self._lifecycle.end(job, JobEvent.FAIL, now, out)
        else:
            self._lifecycle.end(job, JobEvent.CANCEL, now, out)

    def score_broken(self, event: StoredScoreBroken, now: float, out: Changes) -> None:
        """A job taken back uncompiled whose score turned out broken fails as a restart that
        finds it so fails it; whatever it started since is stopped."""
        job = self._state.jobs.get(event.job_id)
        if job is None or job.status.is_terminal:  # ended, or back only for a recheck
            return
        reason = f"cannot go on after a restart: {event.reason}"
        if job.recheck is not None:
            reject(job.recheck.request, reason, out)
            job.recheck = None
        self._lifecycle.stop_all(job, reason, now, out)
        if job.hook:
            self._hooks.stop(job, reason, now, out)
        job.error, job.detail = reason, None
        out.note(job, now, reason)
        if job.status is JobStatus.QUEUED:
            self._moves.job(job, JobEvent.START, out)
        ending = JobEvent.CANCEL if job.status is JobStatus.PAUSED_AT_CHAIN else JobEvent.FAIL
        self._lifecycle.end(job, ending, now, out)

    def _reattach(self, job: LiveJob, sheet: LiveSheet, attempt: AttemptRecord) -> None:
        """The attempt goes on where it was: it holds its slot until the runtime reports it
        ended, like any other."""
        ran_on = None if attempt.instrument is None else (attempt.instrument, attempt.model)
        self._slots.take(job, sheet, ran_on)
        sheet.attempt_started_at, sheet.mode = attempt.started_at, attempt.mode

    def _take_back_sheet(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        attempt: AttemptRecord | None,
        now: float,
        out: Changes,
    ) -> None:
        """A sheet whose attempt was not re-attached goes on from its stored status."""
        match sheet.status:
            case SheetStatus.RUNNING:
                # Not the sheet's fault: it runs again without spending its budget.
                sheet.attempt_started_at = attempt.started_at if attempt else now
                sheet.mode = attempt.mode if attempt else "normal"
                error = (
                    "interrupted: it no longer ran when the conductor started again (it "
                    "stopped with the conductor, its machine or the node that ran it); it runs "
                    "again, its retries untouched"
                )
                out.attempt(
                    attempt_record(job, sheet, AttemptOutcome.INTERRUPTED, now, error=error)
                )
                self._moves.sheet(job, sheet, SheetEvent.REQUEUE, now, out)
            case SheetStatus.VALIDATING:
                self._validate_again(job, sheet, attempt, out)
            case SheetStatus.WAITING:
                self._flow.wait_until(job, sheet, sheet.due or now, now, out)
            case SheetStatus.READY:
                sheet.checked = sheet.attempts > 0
                self._flow.became_ready(job, sheet, now, out)
            case SheetStatus.AWAITING_APPROVAL:
                self._gates.rearm(sheet)
            case _:
                pass

    def _validate_again(
        self, job: LiveJob, sheet: LiveSheet, attempt: AttemptRecord | None, out: Changes
    ) -> None:
        """The attempt's validations run again, holding the slot of the instrument it ran on
        (the score may have changed since)."""
        ran_on = None
        if attempt is not None and attempt.instrument is not None:
            ran_on = (attempt.instrument, attempt.model)
        self._slots.take(job, sheet, ran_on)
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
            sheet.feedback = attempt.feedback
        out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
