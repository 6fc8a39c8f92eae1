"""Statuses moved through their tables (`podium.domain.status`), with the job's counters and
the running set kept in step, and the record an attempt leaves at each step."""

from podium.domain.codes import error_code
from podium.domain.engine.state import EngineState
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import AttemptRecord
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
    next_job_status,
    next_sheet_status,
)
from podium.domain.validation import ValidationResult


class Moves:
    """Every status change of a job or a sheet goes through here."""

    def __init__(self, state: EngineState) -> None:
        self._state = state

    @staticmethod
    def sheet(job: LiveJob, sheet: LiveSheet, event: SheetEvent, now: float, out: Changes) -> None:
        """Move a sheet by `event`; an illegal move raises `InvalidTransition`."""
        before = sheet.status
        sheet.status = next_sheet_status(f"job {job.job_id} sheet {sheet.plan.num}", before, event)
        sheet.updated_at = now
        if event is SheetEvent.RESET:
            sheet.approved = sheet.cost_approved = False
        if before is SheetStatus.READY:
            job.ready.discard(sheet.plan.num)
        if sheet.status is SheetStatus.READY:
            job.ready.add(sheet.plan.num)
        if sheet.status is SheetStatus.AWAITING_APPROVAL:
            job.awaiting.add(sheet.plan.num)
        else:
            job.awaiting.discard(sheet.plan.num)
        if sheet.status.is_terminal and not before.is_terminal:
            job.terminal += 1
            if sheet.status is SheetStatus.COMPLETED:
                job.completed += 1
                out.job(job)  # its progress is part of the job's record
        elif before.is_terminal and not sheet.status.is_terminal:
            job.terminal -= 1  # a reset; completed sheets are never reset
        out.sheet(job, sheet)

    def job(self, job: LiveJob, event: JobEvent, out: Changes) -> None:
        """Move a job by `event`, keeping the set of running jobs in step."""
        before = job.status
        job.status = next_job_status(f"job {job.job_id}", before, event)
        if job.status is JobStatus.RUNNING:
            self._state.running[job.job_id] = job
        elif before is JobStatus.RUNNING:
            del self._state.running[job.job_id]
        out.job(job)


def attempt_record(
    job: LiveJob,
    sheet: LiveSheet,
    outcome: AttemptOutcome,
    now: float,
    *,
    error: str | None = None,
    validations: tuple[ValidationResult, ...] = (),
) -> AttemptRecord:
    """The record of the sheet's latest attempt, at `outcome`."""
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
        feedback=sheet.feedback,
        review=sheet.review,
    )
