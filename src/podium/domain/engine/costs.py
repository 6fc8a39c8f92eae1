"""The score's cost limits: reaching one pauses the job, saying why; nearing it is noted once."""

from podium.domain.engine.moves import Moves
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.status import JobEvent, JobStatus


class CostLimits:
    """Holds a job to its `cost_limits`."""

    def __init__(self, moves: Moves) -> None:
        self._moves = moves

    def check(self, job: LiveJob, sheet: LiveSheet | None, now: float, out: Changes) -> None:
        """Reaching a cost limit pauses the job, saying why; nearing it is noted once."""
        if job.status not in (JobStatus.RUNNING, JobStatus.QUEUED):
            return
        reason = self._job_limit(job, now, out)
        limits = job.plan.policy.cost
        if (
            reason is None
            and sheet is not None
            and limits.max_cost_per_sheet is not None
            and sheet.cost >= limits.max_cost_per_sheet
        ):
            reason = (
                f"cost limit reached: sheet {sheet.plan.num} cost ${sheet.cost:.2f} of "
                f"${limits.max_cost_per_sheet:.2f} (cost_limits.max_cost_per_sheet)"
            )
        if reason is not None:
            job.detail = reason
            self._moves.job(job, JobEvent.PAUSE, out)
            out.note(job, now, f"paused: {reason}")

    @staticmethod
    def _job_limit(job: LiveJob, now: float, out: Changes) -> str | None:
        """Why the job's own limit stops it, if it does; nearing it is noted once."""
        limits = job.plan.policy.cost
        if limits.max_cost_per_job is None:
            return None
        if job.cost >= limits.max_cost_per_job:
            return (
                f"cost limit reached: ${job.cost:.2f} of ${limits.max_cost_per_job:.2f} "
                "(cost_limits.max_cost_per_job)"
            )
        if not job.cost_warned and job.cost >= (
            limits.max_cost_per_job * limits.warn_at_percent / 100
        ):
            job.cost_warned = True
            out.note(
                job,
                now,
                f"cost ${job.cost:.2f} is past {limits.warn_at_percent:g}% of the job's "
                f"limit (${limits.max_cost_per_job:.2f})",
            )
        return None
