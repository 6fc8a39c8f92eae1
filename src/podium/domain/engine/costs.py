"""The score's cost limits: reaching one pauses the job, saying why (or, with `on_exceed:
ask`, each sheet asks a person before it starts again); nearing it is noted once."""

from podium.domain.engine.moves import Moves
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.status import JobEvent, JobStatus


class CostLimits:
    """Holds a job to its `cost_limits`."""

    def __init__(self, moves: Moves) -> None:
        self._moves = moves

    def check(self, job: LiveJob, sheet: LiveSheet | None, now: float, out: Changes) -> None:
        """Reaching a cost limit pauses the job, saying why, unless the score asks instead;
        nearing it is noted once."""
        if job.status not in (JobStatus.RUNNING, JobStatus.QUEUED):
            return
        _warn(job, now, out)
        reason = over_limit(job, sheet)
        if reason is not None and not job.plan.policy.cost.ask:
            job.detail = reason
            self._moves.job(job, JobEvent.PAUSE, out)
            out.note(job, now, f"paused: {reason}")


def over_limit(job: LiveJob, sheet: LiveSheet | None) -> str | None:
    """Which cost limit the job (or `sheet`) has reached, in words; None when none."""
    limits = job.plan.policy.cost
    if limits.max_cost_per_job is not None and job.cost >= limits.max_cost_per_job:
        return (
            f"cost limit reached: ${job.cost:.2f} of ${limits.max_cost_per_job:.2f} "
            "(cost_limits.max_cost_per_job)"
        )
    if (
        sheet is not None
        and limits.max_cost_per_sheet is not None
        and sheet.cost >= limits.max_cost_per_sheet
    ):
        return (
            f"cost limit reached: sheet {sheet.plan.num} cost ${sheet.cost:.2f} of "
            f"${limits.max_cost_per_sheet:.2f} (cost_limits.max_cost_per_sheet)"
        )
    return None


def _warn(job: LiveJob, now: float, out: Changes) -> None:
    """Nearing the job's limit is noted once."""
    limits = job.plan.policy.cost
    if limits.max_cost_per_job is None or job.cost_warned:
        return
    if (
        limits.max_cost_per_job * limits.warn_at_percent / 100
        <= job.cost
        < (limits.max_cost_per_job)
    ):
        job.cost_warned = True
        out.note(
            job,
            now,
            f"cost ${job.cost:.2f} is past {limits.warn_at_percent:g}% of the job's "
            f"limit (${limits.max_cost_per_job:.2f})",
        )
