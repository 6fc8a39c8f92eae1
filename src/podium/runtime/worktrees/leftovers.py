"""Worktrees no running job accounts for: those left from before a restart (their jobs ended
while the conductor was down, or their submission never completed) and those of cleared
jobs. They go, unless an unfinished job works in them; their branches stay."""

import asyncio
import functools
import logging
from collections.abc import Sequence

from podium.domain.ids import JobId
from podium.domain.isolation import Worktree, removes_on_end
from podium.domain.status import JobStatus
from podium.runtime.conductor_log import job_fields
from podium.runtime.worktrees.checkout import LeftBranch, remove_worktree
from podium.runtime.worktrees.ending import Occupancy, WorktreeEnds
from podium.runtime.worktrees.git import GitFailed
from podium.runtime.worktrees.state import Presence, Serial, WorktreeRecords

log = logging.getLogger(__name__)


class Leftovers:
    """Removes the worktrees left from before a restart, and those of cleared jobs."""

    def __init__(
        self,
        *,
        records: WorktreeRecords,
        serial: Serial,
        presence: Presence,
        occupancy: Occupancy,
        ends: WorktreeEnds,
        tasks: asyncio.TaskGroup,
    ) -> None:
        self._records = records
        self._serial = serial
        self._presence = presence
        self._occupancy = occupancy
        self._ends = ends
        self._tasks = tasks

    def after_restart(self) -> None:
        """At startup: watch the worktrees on disk, and remove in the background those whose
        job ended while the conductor was down (or whose submission never completed), unless
        an unfinished job works in them."""
        stale = []
        for worktree, status in self._records.on_disk():
            self._presence.made(worktree.job_id)
            if status is None or (status.is_terminal and removes_on_end(worktree, status)):
                stale.append((worktree, status))
            elif status.is_terminal:
                self._presence.keep(worktree.job_id)
        if stale:
            self._tasks.create_task(self._clean(stale), name="worktrees left from before")

    async def cleared(self, job_ids: Sequence[JobId]) -> list[str]:
        """The jobs were cleared: their worktrees go, their branches stay. Why any worktree
        stays."""
        problems = []
        for job_id in job_ids:
            worktree = self._records.get(job_id)
            if worktree is not None:
                problem = await self._forget(worktree)
                if problem is not None:
                    problems.append(f"job {job_id}: {problem}")
        return problems

    async def _clean(self, stale: list[tuple[Worktree, JobStatus | None]]) -> None:
        for worktree, status in stale:
            if status is None:
                await self._forget(worktree)
            else:
                await self._ends.ended(worktree.job_id, status)

    async def _forget(self, worktree: Worktree) -> str | None:
        """Remove the worktree of a job that is not stored, and its record; why it stays, if
        it does. A record that names another worktree now (a new submission with the same id
        made its own) is left alone: only the worktree given goes."""
        job_id = worktree.job_id
        async with self._serial.job(job_id):
            current = self._records.get(job_id)
            if current is None:
                return None
            if current.path != worktree.path:
                return await self._drop(worktree)
            if current.removed_at is not None:
                self._records.forget(job_id, current.path)
                return None
            reason = self._occupancy.occupied(current, functools.partial(self._forget, worktree))
            if reason is not None:
                return reason
            try:
                reason = await self._drop(current)
            finally:
                self._records.forget(job_id, current.path)
                self._presence.removed(job_id)
            return reason

    async def _drop(self, worktree: Worktree) -> str | None:
        """Remove a worktree no job has; why it stays, if it does."""
        try:
            done = await remove_worktree(worktree, None, serial=self._serial.repo(worktree.repo))
        except (GitFailed, LeftBranch) as exc:
            reason = f"worktree {worktree.path} kept: cannot remove it: {exc}"
            log.warning("%s", reason)
            return reason
        log.info("%s", "; ".join(done), extra=job_fields(worktree.job_id))
        return None
