"""The end of a job with a worktree: the worktree is removed (what the job left uncommitted
committed to its branch first) or kept as the score says. Done in tasks of the conductor's
task group, one per job at a time.

A worktree in which other unfinished jobs work (a chained job given the workspace) stays
until the last of those jobs ended; then whatever waited for them is done (`Occupancy`)."""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence

from podium.domain.commands import Persist
from podium.domain.errors import StateUnwritable
from podium.domain.ids import JobId
from podium.domain.isolation import (
    Worktree,
    keep_reason,
    occupants,
    occupied_note,
    removes_on_end,
)
from podium.domain.status import JobStatus
from podium.runtime.conductor_log import job_fields
from podium.runtime.worktrees.checkout import LeftBranch, remove_worktree, unlock_worktree
from podium.runtime.worktrees.git import GitFailed
from podium.runtime.worktrees.state import Presence, Serial, WorktreeNotes, WorktreeRecords

log = logging.getLogger(__name__)


Settle = Callable[[], Awaitable[object]]
"""What removes a worktree once nobody works in it any more."""


class Occupancy:
    """The worktrees that stay while other jobs work in them, and what settles each."""

    def __init__(self, records: WorktreeRecords, notes: WorktreeNotes) -> None:
        self._records = records
        self._notes = notes
        self._waiting: dict[JobId, Settle] = {}

    def occupied(self, worktree: Worktree, settle: Settle) -> str | None:
        """Why the worktree stays for now (other unfinished jobs work in it), noted in its
        job's history the first time, with `settle` to run once they ended; None when nobody
        does."""
        jobs = occupants(worktree, self._records.in_use())
        job_id = worktree.job_id
        if not jobs:
            self._waiting.pop(job_id, None)
            return None
        reason = occupied_note(worktree, jobs)
        if job_id not in self._waiting:
            log.info("%s", reason, extra=job_fields(job_id))
            self._notes.note(job_id, [reason])
        self._waiting[job_id] = settle
        return reason

    def release(self, job_id: JobId) -> None:
        """The job's worktree no longer waits (its job came back, or nothing is left to do)."""
        self._waiting.pop(job_id, None)

    def waiting(self) -> list[tuple[JobId, Settle]]:
        """Each waiting worktree's job, and what settles it."""
        return list(self._waiting.items())


class WorktreeEnds:
    """Cleans up the worktrees of jobs that ended, and those that waited for the jobs working
    in them."""

    def __init__(
        self,
        *,
        records: WorktreeRecords,
        serial: Serial,
        presence: Presence,
        occupancy: Occupancy,
        notes: WorktreeNotes,
        active: Callable[[JobId], bool],
        tasks: asyncio.TaskGroup,
        clock: Callable[[], float],
    ) -> None:
        self._records = records
        self._serial = serial
        self._presence = presence
        self._occupancy = occupancy
        self._notes = notes
        self._active = active
        """Whether the engine runs the job now (a job brought back keeps its worktree)."""
        self._tasks = tasks
        self._clock = clock
        self._ending: set[JobId] = set()

    def committed(self, batch: Sequence[Persist]) -> None:
        """An observer of the engine loop: a job with a worktree that ended is cleaned up, and
        so is a worktree that waited for the jobs working in it."""
        ended = False
        for persist in batch:
            for job in persist.jobs:
                if not job.status.is_terminal:
                    continue
                ended = True
                if self._presence.ends_with_job(job.job_id):
                    self._start(job.job_id, functools.partial(self.ended, job.job_id, job.status))
        if ended:
            for job_id, settle in self._occupancy.waiting():
                self._start(job_id, settle)

    async def ended(self, job_id: JobId, status: JobStatus) -> None:
        """The job ended with `status`: its worktree is kept, waits, or goes."""
        async with self._serial.job(job_id):
            worktree = self._records.get(job_id)
            if (
                worktree is None
                or worktree.removed_at is not None
                or self._active(job_id)
                or self._presence.is_held(job_id)
            ):
                self._occupancy.release(job_id)
                return
            if not removes_on_end(worktree, status):
                await self._keep(worktree, status)
                return
            settle = functools.partial(self.ended, job_id, status)
            if self._occupancy.occupied(worktree, settle) is not None:
                return
            self._notes.note(job_id, await self._remove(worktree, status))

    def _start(self, job_id: JobId, work: Settle) -> None:
        if job_id in self._ending:
            return
        self._ending.add(job_id)
        self._tasks.create_task(self._settle(job_id, work), name=f"worktree of {job_id}")

    async def _settle(self, job_id: JobId, work: Settle) -> None:
        try:
            await work()
        except StateUnwritable as exc:
            # Not recorded, so done again at the next start; a full disk never ends the
            # conductor.
            log.warning("job %s: its worktree's end is not recorded: %s", job_id, exc)
        finally:
            self._ending.discard(job_id)

    async def _keep(self, worktree: Worktree, status: JobStatus) -> None:
        await unlock_worktree(worktree)
        self._presence.keep(worktree.job_id)
        self._notes.note(
            worktree.job_id,
            [
                f"worktree {worktree.path} kept ({keep_reason(status)}), on branch "
                f"{worktree.branch}; 'podium clear' removes it"
            ],
        )

    async def _remove(self, worktree: Worktree, status: JobStatus | None) -> list[str]:
        """Remove the worktree; what happened (or why it stays), for the job's history."""
        path = worktree.path
        try:
            done = await remove_worktree(worktree, status, serial=self._serial.repo(worktree.repo))
        except LeftBranch as exc:
            reason = (
                f"worktree {path} kept: {exc}; switch back ('git -C {path} switch "
                f"{worktree.branch}') and clear the job, or save what you need and remove it "
                f"with 'git worktree remove --force {path}'"
            )
        except GitFailed as exc:
            reason = (
                f"worktree {path} kept: cannot remove it: {exc}; remove it with "
                f"'git worktree remove {path}' once its changes are safe"
            )
        else:
            self._records.removed(worktree.job_id, self._clock())
            self._presence.removed(worktree.job_id)
            return done
        log.warning("%s", reason, extra=job_fields(worktree.job_id))
        return [reason]
