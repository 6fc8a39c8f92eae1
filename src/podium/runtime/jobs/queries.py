"""What the conductor answers about jobs without asking the engine to change anything: a job's
status (from the engine's live view, or the store for a finished job), the list of jobs, the
latest attempts, a job's worktree, the rate-limit windows."""

from dataclasses import dataclass, replace

from podium.domain.engine import Engine
from podium.domain.ids import JobId, SheetNum
from podium.domain.isolation import Worktree
from podium.domain.records import AttemptRecord, JobRecord, RateLimitRecord, Usage
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.views import JobView, job_view
from podium.runtime.jobs.requests import not_found
from podium.runtime.ports import Store
from podium.runtime.worktrees.isolation import Worktrees

DETAILED_SHEETS = 200
"""Status shows the checks of at most this many unfinished sheets (the first ones)."""


@dataclass(frozen=True, slots=True)
class JobList:
    jobs: list[JobRecord]
    total: int


class JobQueries:
    """Reads of the engine's projection and of the store; never waits for the engine."""

    def __init__(self, *, engine: Engine, store: Store, worktrees: Worktrees | None = None) -> None:
        self._engine = engine
        self._store = store
        self._worktrees = worktrees

    def status(self, job_id: str) -> JobView:
        """The job as the engine runs it, or as stored once it has ended; raises JobNotFound."""
        view = self._engine.view(JobId(job_id))
        if view is None:
            stored = self._store.get_job(JobId(job_id))
            if stored is None:
                raise not_found(job_id)
            view = job_view(
                stored.record,
                stored.plan,
                stored.sheets,
                history=stored.history,
                hooks=stored.hooks,
            )
        if view.job.chain_depth:
            view = replace(view, parent=self._store.parent_of(view.job_id))
        return view

    def worktree(self, job_id: str) -> Worktree | None:
        """The job's git worktree (`isolation`), on disk or removed; None when it has none."""
        return None if self._worktrees is None else self._worktrees.find(JobId(job_id))

    def attempt_details(self, view: JobView) -> tuple[dict[SheetNum, AttemptRecord], Usage]:
        """The latest attempt of each unfinished sheet that ran (at most DETAILED_SHEETS of
        them), and what the job's attempts consumed, from the store."""
        sheets = [
            s.num for s in view.sheets if s.attempts and s.status is not SheetStatus.COMPLETED
        ][:DETAILED_SHEETS]
        return self._store.latest_attempts(view.job_id, sheets), self._store.usage(view.job_id)

    def feedback(self, job_id: str) -> dict[SheetNum, str]:
        """Each sheet's latest feedback (JSON text), from the store."""
        return self._store.feedback(JobId(job_id))

    def list_jobs(
        self, *, include_finished: bool, limit: int, statuses: tuple[JobStatus, ...] = ()
    ) -> JobList:
        """The newest jobs first: the active ones, every one, or those with `statuses`."""
        if statuses:
            # From the store, which has every job (the engine's are written before any effect).
            found = self._store.list_jobs(statuses=statuses, limit=limit)
            return JobList(found, self._store.count_jobs(statuses))
        if not include_finished:
            # Newest first, like the full list.
            return JobList(self._engine.newest_jobs(limit), self._engine.active_count)
        return JobList(self._store.list_jobs(statuses=None, limit=limit), self._store.count_jobs())

    def rate_limits(self) -> list[RateLimitRecord]:
        return self._engine.rate_limits()
