"""A job's `on_success` hooks, run one after another once every sheet is done.

A job whose hooks run stays `running` (its detail names the hook) until the last one has
ended: it is never completed in the store before its hooks ran. Each hook's start is
persisted, with the job, before the runtime is asked to run it (`RunHook`); its end
(`HookFinished`) is persisted with whatever follows. So after a restart the store says which
hooks ended (they do not run again) and which one was running: that one is asked for again
with its first start, and the runtime finishes it from what its process left, if it left
anything (`podium.runtime.hooks.runner`); a `run_job` hook is handed the job it had recorded, so
that it never submits it twice.
"""

from dataclasses import replace

from podium.domain.commands import RunHook, StopHook
from podium.domain.engine.moves import Moves
from podium.domain.engine.state import EngineState
from podium.domain.events import HookFinished, HookResult, RestoredJob
from podium.domain.ids import JobId
from podium.domain.live import Changes, LiveJob
from podium.domain.policy import Hook
from podium.domain.records import HookOutcome, HookRecord
from podium.domain.status import JobEvent, JobStatus


class Hooks:
    """Starts a job's hooks one after another and records how each ended."""

    def __init__(self, state: EngineState, moves: Moves) -> None:
        self._state = state
        self._moves = moves

    def running(self, job_id: JobId) -> bool:
        """Whether the job is running its hooks."""
        job = self._state.jobs.get(job_id)
        return job is not None and job.hook > 0

    def to_run(
        self, job: LiveJob, now: float, out: Changes, *, quiet: bool = False
    ) -> tuple[Hook, ...]:
        """The job's hooks, without its `run_job` ones past `concert.max_chain_depth`."""
        policy = job.plan.policy
        depth = job.chain_depth + 1
        if depth <= policy.concert.max_chain_depth:
            return policy.hooks
        if not quiet:
            out.note(
                job,
                now,
                f"a chained job would be at depth {depth}, past concert.max_chain_depth "
                f"({policy.concert.max_chain_depth}): its run_job hooks do not run",
            )
        return tuple(h for h in policy.hooks if h.type != "run_job")

    def start(self, job: LiveJob, hooks: tuple[Hook, ...], now: float, out: Changes) -> None:
        """The job runs `hooks` (at least one), from the first. Its score is free meanwhile,
        so that a hook may submit it again (a concert that chains to itself)."""
        if job.status is not JobStatus.RUNNING:
            self._moves.job(job, JobEvent.RUN_HOOKS, out)
        job.hooks, job.hook_records = hooks, {}
        out.hooks_cleared(job)
        self._state.release_path(job, job.score_path)
        self._run_hook(job, 1, now, out)

    def _run_hook(
        self, job: LiveJob, num: int, now: float, out: Changes, chained: JobId | None = None
    ) -> None:
        hook = job.hooks[num - 1]
        job.hook = num
        job.detail = f"running its on_success hooks ({num} of {len(job.hooks)})"
        record = job.hook_records[num] = HookRecord(
            job.job_id, num, hook.type, hook.label, hook.description, now, chained_job=chained
        )
        out.hook(record)
        out.job(job)
        out.effects.append(RunHook(job.job_id, num, hook, job.chain_depth + 1, chained))

    def ended(self, job: LiveJob, event: HookFinished, now: float, out: Changes) -> JobEvent | None:
        """Record how the running hook ended and start the next one. Returns how the job ends:
        COMPLETE after its last hook (a failed hook with `on_failure: continue` included), FAIL
        as soon as a hook with `on_failure: abort` fails; None while hooks still run."""
        num, result = event.index, event.result
        self._record_end(job, num, result, now, out)
        hook = job.hooks[num - 1]
        name = f"on_success hook {num} ({hook.label})"
        later = len(job.hooks) - num
        concert = job.plan.policy.concert
        if not result.ok and (hook.on_failure == "abort" or concert.abort_on_hook_failure):
            job.error = f"{name} failed: {result.error}"
            skipped = f"; the {later} later hook(s) do not run" if later else ""
            if hook.on_failure != "abort":
                skipped += " (concert.abort_concert_on_hook_failure)"
            out.note(job, now, job.error + skipped)
            self._over(job)
            return JobEvent.FAIL
        if not result.ok:
            out.note(
                job,
                now,
                f"{name} failed: {result.error}; the job stays completed (on_failure: continue)",
            )
        elif result.chained_job is not None:
            out.note(job, now, f"{name} started job {result.chained_job}")
        if later:
            self._run_hook(job, num + 1, now, out)
            return None
        self._over(job)
        return JobEvent.COMPLETE

    @staticmethod
    def _record_end(job: LiveJob, num: int, result: HookResult, now: float, out: Changes) -> None:
        record = job.hook_records[num] = replace(
            job.hook_records[num],
            outcome=HookOutcome.SUCCEEDED if result.ok else HookOutcome.FAILED,
            ended_at=now,
            exit_code=result.exit_code,
            error=result.error,
            output=result.output,
            chained_job=result.chained_job,
        )
        out.hook(record)

    @staticmethod
    def _over(job: LiveJob) -> None:
        job.hook, job.detail = 0, None

    def stop(self, job: LiveJob, reason: str, now: float, out: Changes) -> None:
        """The job ends while a hook runs (a cancel): the hook is stopped, and says why."""
        record = job.hook_records[job.hook] = replace(
            job.hook_records[job.hook],
            outcome=HookOutcome.FAILED,
            ended_at=now,
            error=f"stopped: {reason}",
        )
        out.hook(record)
        out.effects.append(StopHook(job.job_id, job.hook))
        self._over(job)

    def after_restart(
        self, job: LiveJob, stored: RestoredJob, now: float, out: Changes
    ) -> JobEvent | None:
        """A job the last conductor left running its hooks: those that ended stay ended, the
        one that was running runs again. Returns how the job ends, if it does now."""
        hooks = self.to_run(job, now, out, quiet=True)
        num = stored.job.hook
        job.hooks, job.hook_records = hooks, {r.num: r for r in stored.hooks}
        job.hook = num
        self._state.release_path(job, job.score_path)
        record = job.hook_records.get(num)
        if record is None or num > len(hooks):
            out.note(
                job,
                now,
                f"on_success hook {num} is not known after a restart; the job ends without "
                "its later hooks",
            )
            self._over(job)
            return JobEvent.COMPLETE
        if record.outcome is not HookOutcome.RUNNING:  # its end was saved: go on from there
            result = HookResult(
                record.outcome is HookOutcome.SUCCEEDED,
                record.exit_code,
                record.error,
                record.output,
                record.chained_job,
            )
            return self.ended(
                job, HookFinished(job.job_id, num, result), record.ended_at or now, out
            )
        self._run_again(job, record, now, out)
        return None

    def _run_again(self, job: LiveJob, record: HookRecord, now: float, out: Changes) -> None:
        """The hook a restart interrupted is asked for again, saying so."""
        num = record.num
        if job.hooks[num - 1].type == "run_job":
            again = "its job is submitted unless it was before the restart"
        else:
            again = "it is finished from what it left, or runs again if nothing of it is left"
        out.note(job, now, f"hook {num} was interrupted by a restart; {again}")
        # The same run goes on: it keeps its start, which tells its exit file from the file
        # of an earlier run.
        self._run_hook(job, num, record.started_at, out, record.chained_job)
