"""A git worktree per job (`isolation: {enabled: true, mode: worktree}`).

A job's worktree is made when it is submitted, on a new branch `{branch_prefix}/{job_id}` from
`source_branch` (or the current HEAD), at `{worktree_base}/{job_id}`; the job's workspace is
the score's workspace at the same place inside it. Worktrees never nest: a workspace inside
another job's worktree gets one beside it, in the main checkout. When the job ends, the
worktree is removed or kept as the score says; the branch always stays, and whatever the job
left uncommitted is committed to it first, so nothing is lost (files git ignores go with the
worktree, and the history counts them). A worktree whose HEAD left the job's branch stays, and
so does one in which another unfinished job works (a chained job given the workspace), until
that job ends. Every worktree is recorded before git makes it: the next start removes those
whose jobs ended meanwhile, or whose submission never completed.
"""

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.domain.isolation import Isolation, Worktree
from podium.runtime.worktrees.ending import Occupancy, WorktreeEnds
from podium.runtime.worktrees.leftovers import Leftovers
from podium.runtime.worktrees.making import WorktreeFailed, WorktreeMaking
from podium.runtime.worktrees.state import (
    NoteWriter,
    Presence,
    Serial,
    WorktreeNotes,
    WorktreeRecords,
)

__all__ = ["NoteWriter", "WorktreeFailed", "WorktreeRecords", "Worktrees"]


class Worktrees:
    """The jobs' worktrees: made at submission, removed or kept when their job ends (an
    observer of the engine loop's commits), made again when a job comes back. A worktree in
    which another job works (a chained job given its workspace) stays until that job ends."""

    def __init__(
        self,
        *,
        records: WorktreeRecords,
        notes: NoteWriter,
        active: Callable[[JobId], bool],
        tasks: asyncio.TaskGroup,
        clock: Callable[[], float],
    ) -> None:
        self._records = records
        self._notes = WorktreeNotes(notes, clock)
        self._presence = presence = Presence()
        serial = Serial()
        occupancy = Occupancy(records, self._notes)
        self._making = WorktreeMaking(
            records=records,
            serial=serial,
            presence=presence,
            occupancy=occupancy,
            notes=self._notes,
        )
        self._ends = WorktreeEnds(
            records=records,
            serial=serial,
            presence=presence,
            occupancy=occupancy,
            notes=self._notes,
            active=active,
            tasks=tasks,
            clock=clock,
        )
        self._leftovers = Leftovers(
            records=records,
            serial=serial,
            presence=presence,
            occupancy=occupancy,
            ends=self._ends,
            tasks=tasks,
        )

    async def open(self, job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
        """Make and record the job's worktree; raises WorktreeFailed."""
        return await self._making.open(job_id, workspace, isolation)

    async def discard(self, worktree: Worktree) -> None:
        """The job was not submitted after all: its worktree, branch and record go."""
        await self._making.discard(worktree)

    async def bring_back(self, job_id: JobId) -> None:
        """A request brings a finished job back: its worktree is on disk again, and no
        end-of-job cleanup removes it until `let_go`. Raises UserError when git cannot make it
        again."""
        await self._making.bring_back(job_id)

    def let_go(self, job_id: JobId) -> None:
        """The request that brought the job back was answered: the engine runs it now (or
        refused it, and the worktree stays until the job is cleared)."""
        self._presence.let_go(job_id)

    def find(self, job_id: JobId) -> Worktree | None:
        """The job's worktree as recorded, or None when it has none."""
        return self._records.get(job_id)

    def committed(self, batch: Sequence[Persist]) -> None:
        """An observer of the engine loop: a job with a worktree that ended is cleaned up, and
        so is a worktree that waited for the jobs working in it."""
        self._ends.committed(batch)

    def after_restart(self) -> None:
        """At startup: watch the worktrees on disk, and remove in the background those whose
        job ended while the conductor was down (or whose submission never completed), unless
        an unfinished job works in them."""
        self._leftovers.after_restart()

    def clearing(self, job_ids: Sequence[JobId]) -> None:
        """The jobs are about to be removed from the store: note nothing more for them."""
        self._notes.clearing(job_ids)

    async def cleared(self, job_ids: Sequence[JobId]) -> list[str]:
        """The jobs were cleared (after `clearing`): their worktrees go, their branches stay.
        Why any worktree stays."""
        return await self._leftovers.cleared(job_ids)
