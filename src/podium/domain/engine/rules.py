"""Rules that follow from a job's state, as a table of (condition → action) applied until no
condition holds: a resume that waited for the job to go idle happens, a job stopped by
fail_fast skips what is left, and a job with nothing left to do ends. How it ends is a second
table, `ENDINGS`: failed when a sheet failed, completed when it has no hooks or completed no
sheet in this run, otherwise its hooks run (or its chain is held).

No rule fires for a job that has attempts in flight or has left the engine. Each action makes
its own condition false, so applying the table ends; the first rule that holds fires first.
"""

from collections.abc import Callable
from dataclasses import dataclass

from podium.domain.engine.hooks import Hooks
from podium.domain.engine.lifecycle import Lifecycle
from podium.domain.engine.moves import Moves
from podium.domain.engine.resumption import Resumption
from podium.domain.engine.state import EngineState
from podium.domain.live import Changes, LiveJob
from podium.domain.status import JobEvent, JobStatus, SheetEvent


class Rules:
    """Applies `RULES` to a job after each change to it."""

    def __init__(
        self,
        state: EngineState,
        moves: Moves,
        lifecycle: Lifecycle,
        hooks: Hooks,
        resumption: Resumption,
    ) -> None:
        self._state = state
        self._moves = moves
        self._lifecycle = lifecycle
        self._hooks = hooks
        self._resumption = resumption

    def settle(self, job: LiveJob, now: float, out: Changes) -> None:
        """After a change to `job`: fire the first rule that holds, until none does."""
        while self._state.jobs.get(job.job_id) is job and not job.in_flight:
            for rule in RULES:
                if rule.holds(job):
                    rule.then(self, job, now, out)
                    break
            else:
                return

    def resume(self, job: LiveJob, now: float, out: Changes) -> None:
        """The resume (or modify) that waited for the job to go idle happens."""
        self._resumption.resume_now(job, now, out)

    def skip_the_rest(self, job: LiveJob, now: float, out: Changes) -> None:
        """Under fail_fast, the sheets left to run are skipped, naming the failed sheet."""
        for sheet in job.sheets.values():
            if not sheet.status.is_terminal:
                sheet.blocked_by = job.stopped_by
                sheet.error = f"not run: sheet {job.stopped_by} failed and parallel.fail_fast is on"
                self._moves.sheet(job, sheet, SheetEvent.SKIP, now, out)

    def finish(self, job: LiveJob, now: float, out: Changes) -> None:
        """A job that is done ends by the first of `ENDINGS` that holds."""
        for ending in ENDINGS:
            if ending.holds(job):
                ending.then(self, job, now, out)
                return

    def fail(self, job: LiveJob, now: float, out: Changes) -> None:
        """The job fails, saying which sheets did."""
        job.error = job.failure_summary()
        self._lifecycle.end(job, JobEvent.FAIL, now, out)

    def complete(self, job: LiveJob, now: float, out: Changes) -> None:
        """The job completes."""
        self._lifecycle.end(job, JobEvent.COMPLETE, now, out)

    def complete_without_hooks(self, job: LiveJob, now: float, out: Changes) -> None:
        """The job completes without its hooks, saying why (the zero-work guard)."""
        out.note(
            job,
            now,
            "no sheet completed in this run, so the on_success hooks do not run "
            "(the zero-work guard)",
        )
        self.complete(job, now, out)

    def run_hooks(self, job: LiveJob, now: float, out: Changes) -> None:
        """The job's hooks start, or wait for a resume (pause_before_chain); a job none of
        whose hooks may run (past the chain depth) completes."""
        hooks = self._hooks.to_run(job, now, out)
        if any(h.type == "run_job" and h.pause_before_chain for h in hooks):
            job.detail = "completed; holds its chain until resumed (pause_before_chain)"
            self._moves.job(job, JobEvent.HOLD_CHAIN, out)
            out.note(job, now, "completed; the chain waits for 'podium resume'")
        elif not hooks:
            self.complete(job, now, out)
        else:
            self._hooks.start(job, hooks, now, out)


def resume_due(job: LiveJob) -> bool:
    """A resume (or modify) waited for the job's attempts in flight, and they have ended."""
    return job.resume_when_idle and job.status is not JobStatus.RUNNING


def stopped_by_fail_fast(job: LiveJob) -> bool:
    """A sheet failed under parallel.fail_fast and sheets are left to run."""
    return (
        job.stopped_by is not None
        and job.status is JobStatus.RUNNING
        and any(not s.status.is_terminal for s in job.sheets.values())
    )


def done(job: LiveJob) -> bool:
    """Every sheet finished, nothing runs and nothing waits to change the job. A paused job
    ends too (a pause stops new work, and there is none); not while a new score waits."""
    return (
        job.terminal == len(job.sheets)
        and job.status in (JobStatus.RUNNING, JobStatus.PAUSED)
        and not job.in_flight
        and not job.resume_when_idle
        and job.pending is None
        and not job.hook
    )


def a_sheet_failed(job: LiveJob) -> bool:
    """A sheet failed, or was skipped because one did."""
    return not all(s.satisfies_dependents for s in job.sheets.values())


def without_hooks(job: LiveJob) -> bool:
    return not job.plan.policy.hooks


def without_work(job: LiveJob) -> bool:
    """No sheet completed in this run (the zero-work guard: hooks do not run)."""
    return job.completed_this_run == 0


def always(job: LiveJob) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Rule:
    """When `holds` of a job, `then` is done to it."""

    holds: Callable[[LiveJob], bool]
    then: Callable[[Rules, LiveJob, float, Changes], None]


RULES = (
    Rule(resume_due, Rules.resume),
    Rule(stopped_by_fail_fast, Rules.skip_the_rest),
    Rule(done, Rules.finish),
)
"""What follows from a job's state, in order: the first rule that holds fires."""

ENDINGS = (
    Rule(a_sheet_failed, Rules.fail),
    Rule(without_hooks, Rules.complete),
    Rule(without_work, Rules.complete_without_hooks),
    Rule(always, Rules.run_hooks),
)
"""How a job that is done ends, in order: the first that holds decides."""
