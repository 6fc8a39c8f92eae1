"""`podium recover`: a job's sheets checked again against its workspace as it is now, without
running them; or put back to pending from one sheet on.

A recheck asks the runtime for each sheet's validations (`RunValidations` marked `recheck`,
against the sheet's latest attempt) and answers the request once every result is in: the
sheets that pass are completed, the others are left as they were. A job that had ended comes
back into the engine for the recheck only and leaves again, completed when every sheet now is.
`from_sheet` puts every finished sheet from there on (completed ones too) back to pending with
a fresh budget; the job's `resume` runs them. A dry run answers the same, and changes nothing.
"""

from podium.domain.commands import Accepted, JobEnded, Reply, RunValidations, SheetChange
from podium.domain.decide import Budget
from podium.domain.engine.lifecycle import Lifecycle
from podium.domain.engine.moves import Moves
from podium.domain.engine.rules import Rules
from podium.domain.engine.state import EngineState, recount
from podium.domain.engine.words import reject
from podium.domain.events import RecoverSheets, ValidationsDone
from podium.domain.ids import JobId, SheetNum
from podium.domain.live import Changes, LiveJob, Recheck
from podium.domain.status import JobEvent, JobStatus, SheetEvent, SheetStatus
from podium.domain.validation import ValidationResult, failure_summary

RECHECKED = frozenset({SheetStatus.FAILED, SheetStatus.CANCELLED, SheetStatus.SKIPPED})
"""Sheets whose validations `recover --sheet N` may check again."""


class Rechecks:
    """Answers `podium recover`: sheets checked again, or put back to pending."""

    def __init__(
        self, state: EngineState, moves: Moves, lifecycle: Lifecycle, rules: Rules
    ) -> None:
        self._state = state
        self._moves = moves
        self._lifecycle = lifecycle
        self._rules = rules

    def rechecking(self, job_id: JobId) -> bool:
        """Whether the job's sheets are being checked again (it answers nothing else meanwhile)."""
        job = self._state.jobs.get(job_id)
        return job is not None and job.recheck is not None

    def recover_sheets(self, event: RecoverSheets, now: float, out: Changes) -> None:
        """`podium recover`: check sheets again, or put them back to pending."""
        found = self._recoverable(event, now, out)
        if found is None:
            return
        job, revived = found
        problem = self._bad_sheets(job, event)
        if problem is not None:
            if revived:
                self._leave(job, out)
            reject(event.request, problem, out, code="invalid_request")
            return
        if event.from_sheet is not None:
            self._reset_from(job, event, now, out)
        else:
            self._recheck(job, event, revived, out)
        if revived and job.recheck is None:
            self._leave(job, out)

    def _recoverable(
        self, event: RecoverSheets, now: float, out: Changes
    ) -> tuple[LiveJob, bool] | None:
        """The job, and whether it came back from the store for this request only."""
        job = self._state.jobs.get(event.job_id)
        if job is None:
            return self._revive(event, now, out)
        if job.status is not JobStatus.PAUSED:
            reject(
                event.request,
                f"job '{job.job_id}' is {job.status}; recover works on a failed, cancelled or "
                f"paused job (pause it first: 'podium pause {job.job_id} --wait')",
                out,
            )
            return None
        if job.resume_when_idle or job.pending is not None:
            reject(
                event.request,
                f"job '{job.job_id}' is going on with a new score; try again once it has",
                out,
            )
            return None
        return job, False

    def _revive(
        self, event: RecoverSheets, now: float, out: Changes
    ) -> tuple[LiveJob, bool] | None:
        """A job that has ended, back from the store for this request only."""
        job_id, stored = event.job_id, event.stored
        if stored is None:
            reject(event.request, f"no job '{job_id}'", out, code="not_found")
            return None
        status = stored.job.status
        if status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            reject(
                event.request,
                f"job '{job_id}' has {status}; recover works on a failed, cancelled or paused job",
                out,
            )
            return None
        # Back for this request only: the score's path stays with whoever runs it now.
        owner = self._state.by_score.get(stored.job.score_path)
        job = self._state.restore(stored)
        if owner is not None:
            self._state.by_score[stored.job.score_path] = owner
        return job, True

    @staticmethod
    def _bad_sheets(job: LiveJob, event: RecoverSheets) -> str | None:
        total = job.plan.total_sheets
        for num in (*event.sheets, *([event.from_sheet] if event.from_sheet else [])):
            if num not in job.sheets:
                return f"there is no sheet {num}: job '{job.job_id}' has sheets 1 to {total}"
        for num in event.sheets:
            status = job.sheets[num].status
            if status not in RECHECKED:
                return (
                    f"sheet {num} of job '{job.job_id}' is {status}; recover checks failed, "
                    "cancelled or skipped sheets"
                )
        return None

    def _recheck(self, job: LiveJob, event: RecoverSheets, revived: bool, out: Changes) -> None:
        chosen = event.sheets or tuple(
            n for n, s in sorted(job.sheets.items()) if s.status is SheetStatus.FAILED
        )
        if not chosen:
            out.effects.append(
                Reply(event.request, Accepted(job.job_id, "no failed sheet to check again"))
            )
            return
        job.recheck = Recheck(event.request, set(chosen), event.dry_run, revived)
        for num in chosen:
            attempt = job.sheets[num].attempts
            out.effects.append(RunValidations(job.job_id, num, attempt, recheck=True))

    def rechecked(self, event: ValidationsDone, now: float, out: Changes) -> None:
        """A sheet's validations, checked again, are in; the last one answers the request."""
        job = self._state.jobs.get(event.job_id)
        check = job.recheck if job is not None else None
        if job is None or check is None or event.sheet not in check.waiting:
            return
        check.waiting.discard(event.sheet)
        check.results[event.sheet] = event.results
        if not check.waiting:
            job.recheck = None
            self._conclude(job, check, now, out)

    def _conclude(self, job: LiveJob, check: Recheck, now: float, out: Changes) -> None:
        changes = tuple(_change(n, r) for n, r in sorted(check.results.items()))
        passed = [c.sheet for c in changes if c.changed]
        if not check.dry_run and passed:
            for num in passed:
                sheet = job.sheets[num]
                sheet.error, sheet.failed_checks, sheet.blocked_by = None, (), None
                self._moves.sheet(job, sheet, SheetEvent.RECOVER, now, out)
                out.note(job, now, f"sheet {num} recovered: its validations pass now")
            recount(job)
            out.job(job)
        message = _recheck_message(changes, check.dry_run)
        if check.revived:
            if not check.dry_run and all(
                s.status is SheetStatus.COMPLETED for s in job.sheets.values()
            ):
                job.error = None
                out.note(job, now, "completed: every sheet passes its validations now")
                self._lifecycle.end(job, JobEvent.COMPLETE, now, out)
                message += f"; job {job.job_id} is completed"
            else:
                if passed and not check.dry_run:
                    job.error = _still_to_do(job)
                    message += f"; 'podium resume {job.job_id}' runs what is left"
                self._leave(job, out)
        else:
            self._rules.settle(job, now, out)
        out.effects.append(Reply(check.request, Accepted(job.job_id, message, changes)))

    def _reset_from(self, job: LiveJob, event: RecoverSheets, now: float, out: Changes) -> None:
        first = event.from_sheet or 1
        chosen = [s for n, s in sorted(job.sheets.items()) if n >= first and s.status.is_terminal]
        changes = tuple(SheetChange(s.plan.num, True, f"{s.status} → pending") for s in chosen)
        names = ", ".join(str(s.plan.num) for s in chosen)
        if not chosen:
            message = f"nothing to reset: no sheet from sheet {first} on has finished"
        elif event.dry_run:
            message = f"would put sheet(s) {names} back to pending with a fresh budget"
        else:
            for sheet in chosen:
                sheet.budget, sheet.fallback, sheet.failed_checks = Budget(), 0, ()
                sheet.error, sheet.blocked_by, sheet.due, sheet.wait = None, None, None, None
                self._moves.sheet(job, sheet, SheetEvent.RESET, now, out)
            recount(job)
            for sheet in job.sheets.values():
                # Ready (or waiting) while a sheet it depends on is to run again: it waits.
                if sheet.status in (SheetStatus.READY, SheetStatus.WAITING) and sheet.unmet:
                    sheet.due, sheet.wait, sheet.checking = None, None, None
                    self._moves.sheet(job, sheet, SheetEvent.RESET, now, out)
            out.job(job)
            out.note(job, now, f"sheet(s) {names} back to pending (recover --from-sheet {first})")
            message = (
                f"sheet(s) {names} back to pending with a fresh budget; "
                f"'podium resume {job.job_id}' runs them"
            )
        out.effects.append(Reply(event.request, Accepted(job.job_id, message, changes)))

    def _leave(self, job: LiveJob, out: Changes) -> None:
        """A job that came back for a request only leaves the engine as it came, ended."""
        self._state.forget(job)
        out.effects.append(JobEnded(job.job_id))


def _still_to_do(job: LiveJob) -> str:
    """Why a job is not done after a recheck: a sheet still failing, or sheets yet to run."""
    if any(s.status is SheetStatus.FAILED for s in job.sheets.values()):
        return job.failure_summary()
    left = ", ".join(str(n) for n, s in job.sheets.items() if s.status is not SheetStatus.COMPLETED)
    return f"sheet(s) {left} did not run yet: 'podium resume {job.job_id}' runs them"


def _change(num: SheetNum, results: tuple[ValidationResult, ...]) -> SheetChange:
    if not results:
        return SheetChange(num, False, "it has no validations to check; a resume runs it again")
    if all(r.passed for r in results):
        return SheetChange(num, True, "completed")
    return SheetChange(num, False, failure_summary(results))


def _recheck_message(changes: tuple[SheetChange, ...], dry_run: bool) -> str:
    passed = ", ".join(str(c.sheet) for c in changes if c.changed)
    failing = ", ".join(str(c.sheet) for c in changes if not c.changed)
    if passed:
        text = f"would complete sheet(s) {passed}" if dry_run else f"completed sheet(s) {passed}"
        text += ": their validations pass now"
    else:
        text = "no sheet passes its validations yet"
    if failing:
        text += f"; still failing: sheet(s) {failing} ('podium status' shows why)"
    return text
