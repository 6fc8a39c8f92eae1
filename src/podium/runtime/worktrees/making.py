"""Making a job's worktree: at its submission (undone when the submission is refused), and
again when a request brings a finished job back."""

import asyncio
import logging
from pathlib import Path

from podium.domain.errors import UserError
from podium.domain.ids import JobId
from podium.domain.isolation import Isolation, Worktree
from podium.runtime.conductor_log import job_fields
from podium.runtime.worktrees.checkout import (
    add_worktree,
    discard_worktree,
    locate,
    plan_worktree,
    restore_worktree,
)
from podium.runtime.worktrees.ending import Occupancy
from podium.runtime.worktrees.git import GitFailed
from podium.runtime.worktrees.state import Presence, Serial, WorktreeNotes, WorktreeRecords

log = logging.getLogger(__name__)


class WorktreeFailed(Exception):
    """No worktree could be made for a job: why, in git's words."""


class WorktreeMaking:
    """Makes, undoes and makes again the jobs' worktrees, recording each before git makes it."""

    def __init__(
        self,
        *,
        records: WorktreeRecords,
        serial: Serial,
        presence: Presence,
        occupancy: Occupancy,
        notes: WorktreeNotes,
    ) -> None:
        self._records = records
        self._serial = serial
        self._presence = presence
        self._occupancy = occupancy
        self._notes = notes

    async def open(self, job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
        """Make and record the job's worktree; raises WorktreeFailed. It is recorded before
        git makes it, so that one half made (the conductor stopped) is found at the next
        start."""
        async with self._serial.job(job_id):
            try:
                worktree = await self._make(job_id, workspace, isolation)
            except GitFailed as exc:
                log.warning("no worktree for job %s: %s", job_id, exc, extra=job_fields(job_id))
                raise WorktreeFailed(str(exc)) from None
            except ValueError:
                raise WorktreeFailed(
                    f"the workspace {workspace} is not inside the repository git found for it"
                ) from None
            self._presence.made(job_id)
            self._notes.opened(job_id)
        log.info(
            "job %s runs in worktree %s on branch %s",
            job_id,
            worktree.path,
            worktree.branch,
            extra=job_fields(job_id),
        )
        return worktree

    async def _make(self, job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
        where = await locate(workspace, isolation)
        async with self._serial.repo(str(where.repo)):
            worktree = await plan_worktree(job_id, workspace, isolation, where)
            self._records.add(worktree)
            try:
                await add_worktree(worktree, isolation)
            except GitFailed:
                self._records.forget(job_id, worktree.path)
                raise
        return worktree

    async def discard(self, worktree: Worktree) -> None:
        """The job was not submitted after all: its worktree, branch and record go."""
        async with self._serial.job(worktree.job_id), self._serial.repo(worktree.repo):
            try:
                await discard_worktree(worktree)
            except GitFailed as exc:
                log.warning("cannot remove the worktree of a refused submission: %s", exc)
            self._records.forget(worktree.job_id, worktree.path)
            self._presence.removed(worktree.job_id)

    async def bring_back(self, job_id: JobId) -> None:
        """A request brings a finished job back: its worktree is on disk again (made from its
        branch if it was removed), and no end-of-job cleanup removes it until `let_go`.
        Raises UserError when git cannot make it again."""
        async with self._serial.job(job_id):
            worktree = self._records.get(job_id)
            if worktree is not None and (
                worktree.removed_at is not None
                or not await asyncio.to_thread(Path(worktree.path).is_dir)
            ):
                await self._restore(worktree)
            self._presence.hold(job_id)
            self._occupancy.release(job_id)

    async def _restore(self, worktree: Worktree) -> None:
        try:
            async with self._serial.repo(worktree.repo):
                await restore_worktree(worktree)
        except GitFailed as exc:
            raise UserError(
                f"job {worktree.job_id} cannot get its worktree back: {exc}; check out branch "
                f"{worktree.branch} at {worktree.path} yourself, or clear the job"
            ) from None
        self._records.removed(worktree.job_id, None)
        self._presence.made(worktree.job_id)
        self._notes.note(worktree.job_id, [f"worktree {worktree.path} made again from its branch"])
