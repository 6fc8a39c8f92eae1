"""A job going on again: resumed with its sheets reset, or taking a new score (a modify, or a
resume with a changed score) once no attempt of the old one is in flight."""

from podium.domain.commands import SwapScore
from podium.domain.decide import Budget
from podium.domain.engine.costs import CostLimits
from podium.domain.engine.moves import Moves
from podium.domain.engine.state import EngineState, recount, sheets_of
from podium.domain.events import NewScore
from podium.domain.live import Changes, LiveJob, PendingScore
from podium.domain.records import JobSpec
from podium.domain.status import JobEvent, SheetEvent, SheetStatus


class Resumption:
    """Resets a job's sheets to run again, and swaps in a job's new score."""

    def __init__(self, state: EngineState, moves: Moves, costs: CostLimits) -> None:
        self._state = state
        self._moves = moves
        self._costs = costs

    def resume_now(self, job: LiveJob, now: float, out: Changes) -> None:
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
                self._moves.sheet(job, sheet, SheetEvent.RESET, now, out)
            elif sheet.status is SheetStatus.WAITING:
                self._moves.sheet(job, sheet, SheetEvent.RETRY_DUE, now, out)
        job.stopped_by, job.error, job.detail, job.finished_at = None, None, None, None
        recount(job)
        self._moves.job(job, JobEvent.RESUME, out)
        out.note(job, now, "resumed")
        self._state.enqueue(job)
        self._costs.check(job, None, now, out)

    def rerun_all(self, job: LiveJob, now: float, out: Changes) -> None:
        """A completed job resumed with --force: every sheet runs again, with a fresh budget
        (attempt numbers go on, so no earlier attempt's files are overwritten)."""
        for sheet in job.sheets.values():
            sheet.budget, sheet.fallback, sheet.failed_checks = Budget(), 0, ()
            sheet.error, sheet.blocked_by = None, None
            self._moves.sheet(job, sheet, SheetEvent.RESET, now, out)
        recount(job)
        out.note(job, now, "every sheet runs again (resume --force of a completed job)")

    def stage(self, job: LiveJob, score: NewScore, out: Changes) -> None:
        """Keep the new score; it replaces the job's once no attempt is in flight. Its path is
        the job's from now on (and taken, so no other job runs it); the old path stays taken
        until the switch, since attempts in flight still run that score."""
        if score.score_path != job.score_path:
            if job.held_path is None:
                job.held_path = job.score_path
            elif job.score_path != job.held_path:
                self._state.release_path(job, job.score_path)  # an earlier modify's, never used
            job.score_path = score.score_path
            self._state.by_score[job.score_path] = job.job_id
        job.pending = PendingScore(score.plan, score.key)
        out.spec(JobSpec(job.job_id, score.plan, score.snapshot, environment=score.environment))
        out.job(job)

    def _swap(self, job: LiveJob, pending: PendingScore, now: float, out: Changes) -> None:
        """The job takes its new score. Sheets keep their attempt count (attempt files are
        never overwritten); completed ones, and ones skipped on purpose, stay so."""
        job.pending = None
        old, old_plan, old_total = job.sheets, job.plan, job.plan.total_sheets
        if job.held_path is not None and job.held_path != job.score_path:
            self._state.release_path(job, job.held_path)
        job.held_path = None
        job.plan, job.asks = pending.plan, pending.plan.asks
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
        recount(job)
        out.job(job)
        out.effects.append(SwapScore(job.job_id, pending.key))
        if job.plan != old_plan:
            out.note(
                job,
                now,
                f"now runs its new score: {old_total} → {job.plan.total_sheets} sheets, "
                f"{kept} already done kept",
            )
