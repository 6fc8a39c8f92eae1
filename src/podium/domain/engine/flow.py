"""How sheets move along within a running job: ready once their dependencies are met (or
skipped by their skip conditions), skipped when a sheet they need failed, waiting until a
moment, woken, moved to the next instrument of their chain."""

from podium.domain.alarms import AlarmKind
from podium.domain.commands import RunSkipCheck
from podium.domain.decide import Action, Budget
from podium.domain.engine.moves import Moves
from podium.domain.engine.state import EngineState
from podium.domain.expressions import ExpressionError, evaluate
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.skip import skip_names
from podium.domain.status import SheetEvent, SheetStatus


class SheetFlow:
    """Moves sheets between pending, ready, waiting and skipped as the job goes on."""

    def __init__(self, state: EngineState, moves: Moves) -> None:
        self._state = state
        self._moves = moves

    def start(self, job: LiveJob, now: float, out: Changes) -> None:
        """A job that runs: its timeout alarm is set, and its sheets with nothing to wait for
        are ready."""
        started = job.started_at if job.started_at is not None else now
        self._state.alarms.set(
            started + self._state.limits.job_timeout_seconds, AlarmKind.JOB_TIMEOUT, job.job_id
        )
        for sheet in list(job.sheets.values()):
            if sheet.status is SheetStatus.PENDING and sheet.unmet == 0:
                self.make_ready(job, sheet, now, out)

    def make_ready(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        """A pending sheet whose dependencies are met is ready, and looks at its skip
        conditions."""
        self._moves.sheet(job, sheet, SheetEvent.DEPENDENCIES_MET, now, out)
        sheet.checked = False
        self.became_ready(job, sheet, now, out)

    def became_ready(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        """A sheet ready for the first time looks at its skip conditions first."""
        if sheet.checked:
            return
        sheet.checked = True
        plan = sheet.plan
        if plan.skip_when:
            try:
                skip = bool(evaluate(plan.skip_when, skip_names(job)))
            except ExpressionError as exc:
                out.note(job, now, f"sheet {plan.num} runs: its skip_when failed ({exc})")
                skip = False
            if skip:
                self.skip_on_purpose(job, sheet, f"skip_when {plan.skip_when!r} is true", now, out)
                return
        if plan.skip_when_command:
            self._state.checks += 1
            sheet.checking = self._state.checks
            out.effects.append(
                RunSkipCheck(job.job_id, plan.num, sheet.attempts, self._state.checks)
            )

    def release_dependents(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        """`sheet` is done: the sheets that waited only for it are ready."""
        for num in job.dependents[sheet.plan.num]:
            dependent = job.sheets[num]
            dependent.unmet -= 1
            if dependent.unmet == 0 and dependent.status is SheetStatus.PENDING:
                self.make_ready(job, dependent, now, out)

    def skip_dependents(self, job: LiveJob, failed: LiveSheet, now: float, out: Changes) -> None:
        """Every sheet that can no longer run because `failed` failed is skipped, transitively."""
        todo = list(job.dependents[failed.plan.num])
        while todo:
            dependent = job.sheets[todo.pop()]
            if dependent.status.is_terminal:
                continue
            dependent.blocked_by = failed.plan.num
            dependent.error = f"not run: sheet {failed.plan.num} failed"
            self._moves.sheet(job, dependent, SheetEvent.SKIP, now, out)
            todo.extend(job.dependents[dependent.plan.num])

    def skip_on_purpose(
        self, job: LiveJob, sheet: LiveSheet, why: str, now: float, out: Changes
    ) -> None:
        """The sheet is skipped by a skip condition; its dependents may run."""
        sheet.error = f"skipped: {why}"
        self._moves.sheet(job, sheet, SheetEvent.SKIP, now, out)
        out.note(job, now, f"sheet {sheet.plan.num} skipped: {why}")
        self.release_dependents(job, sheet, now, out)

    def wait_until(
        self, job: LiveJob, sheet: LiveSheet, due: float, now: float, out: Changes
    ) -> None:
        """A waiting sheet is woken at `due` (at once when that has passed)."""
        sheet.due = due
        out.sheet(job, sheet)
        if due <= now:
            self.wake(job, sheet, now, out)
        else:
            self._state.alarms.set(due, AlarmKind.DUE, job.job_id, sheet.plan.num, sheet.attempts)

    def wake(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        """A waiting sheet is ready again (a completion attempt stays one)."""
        sheet.due = None
        if sheet.wait != Action.COMPLETE:
            sheet.wait = None
        self._moves.sheet(job, sheet, SheetEvent.RETRY_DUE, now, out)

    def hold_dispatch(self, job: LiveJob, until: float) -> None:
        """No attempt of the job starts before `until`."""
        if until > job.not_before:
            job.not_before = until
            self._state.alarms.set(until, AlarmKind.LOOK)

    @staticmethod
    def fall_back(job: LiveJob, sheet: LiveSheet, reason: str, now: float, out: Changes) -> None:
        """The sheet moves to the next instrument of its chain, with a fresh budget."""
        before = sheet.instrument
        sheet.fallback += 1
        sheet.budget, sheet.failed_checks = Budget(), ()
        out.note(
            job, now, f"sheet {sheet.plan.num} moves from {before} to {sheet.instrument}: {reason}"
        )
        out.sheet(job, sheet)
