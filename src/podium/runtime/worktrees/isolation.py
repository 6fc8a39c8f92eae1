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
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.errors import StateUnwritable, UserError
from podium.domain.ids import JobId
from podium.domain.isolation import (
    Isolation,
    Worktree,
    keep_reason,
    occupants,
    occupied_note,
    removes_on_end,
)
from podium.domain.records import JobNote
from podium.domain.status import JobStatus
from podium.runtime.conductor_log import job_fields
from podium.runtime.worktrees.checkout import (
    LeftBranch,
    add_worktree,
    discard_worktree,
    locate,
    plan_worktree,
    remove_worktree,
    restore_worktree,
    unlock_worktree,
)
from podium.runtime.worktrees.git import GitFailed

log = logging.getLogger(__name__)


class WorktreeRecords(Protocol):
    def add(self, worktree: Worktree) -> None: ...

    def get(self, job_id: JobId) -> Worktree | None: ...

    def on_disk(self) -> list[tuple[Worktree, JobStatus | None]]: ...

    def in_use(self) -> list[tuple[JobId, str]]: ...

    def removed(self, job_id: JobId, at: float | None) -> None: ...

    def forget(self, job_id: JobId, path: str) -> None: ...


class NoteWriter(Protocol):
    def commit(self, batch: Sequence[Persist]) -> None: ...


# ---- the conductor side ---------------------------------------------------------------------


class WorktreeFailed(Exception):
    """No worktree could be made for a job: why, in git's words."""


class _Locks:
    """An asyncio lock per key, dropped when nobody holds it or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks.pop(key)
            if users > 1:
                self._locks[key] = (lock, users - 1)


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
        self._notes = notes
        self._active = active
        """Whether the engine runs the job now (a job brought back keeps its worktree)."""
        self._tasks = tasks
        self._clock = clock
        self._repos: dict[str, asyncio.Lock] = {}
        """Per repository: one change of its list of worktrees at a time (add, remove)."""
        self._jobs = _Locks()
        """Per job: one change of its worktree at a time (made, removed, made again)."""
        self._on_disk: set[JobId] = set()
        self._ending: set[JobId] = set()
        self._kept: set[JobId] = set()
        """Ended jobs whose worktree stays, until a request brings them back."""
        self._waiting: dict[JobId, Callable[[], Awaitable[object]]] = {}
        """Worktrees that stay while other jobs work in them, and what removes each once the
        last of those jobs ended."""
        self._held: set[JobId] = set()
        self._gone: set[JobId] = set()
        """Cleared jobs: their history is gone, nothing is noted for them any more."""

    def _repo(self, repo: str) -> asyncio.Lock:
        return self._repos.setdefault(repo, asyncio.Lock())

    # ---- submission and return --------------------------------------------------------------

    async def open(self, job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
        """Make and record the job's worktree; raises WorktreeFailed. It is recorded before
        git makes it, so that one half made (the conductor stopped) is found at the next
        start."""
        async with self._jobs.hold(job_id):
            try:
                worktree = await self._make(job_id, workspace, isolation)
            except GitFailed as exc:
                log.warning("no worktree for job %s: %s", job_id, exc, extra=job_fields(job_id))
                raise WorktreeFailed(str(exc)) from None
            except ValueError:
                raise WorktreeFailed(
                    f"the workspace {workspace} is not inside the repository git found for it"
                ) from None
            self._on_disk.add(job_id)
            self._gone.discard(job_id)
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
        async with self._repo(str(where.repo)):
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
        async with self._jobs.hold(worktree.job_id), self._repo(worktree.repo):
            try:
                await discard_worktree(worktree)
            except GitFailed as exc:
                log.warning("cannot remove the worktree of a refused submission: %s", exc)
            self._records.forget(worktree.job_id, worktree.path)
            self._on_disk.discard(worktree.job_id)

    async def bring_back(self, job_id: JobId) -> None:
        """A request brings a finished job back: its worktree is on disk again (made from its
        branch if it was removed), and no end-of-job cleanup removes it until `let_go`.
        Raises UserError when git cannot make it again."""
        async with self._jobs.hold(job_id):
            worktree = self._records.get(job_id)
            if worktree is not None and (
                worktree.removed_at is not None
                or not await asyncio.to_thread(Path(worktree.path).is_dir)
            ):
                await self._restore(worktree)
            self._held.add(job_id)
            self._kept.discard(job_id)
            self._waiting.pop(job_id, None)

    def let_go(self, job_id: JobId) -> None:
        """The request that brought the job back was answered: the engine runs it now (or
        refused it, and the worktree stays until the job is cleared)."""
        self._held.discard(job_id)

    async def _restore(self, worktree: Worktree) -> None:
        try:
            async with self._repo(worktree.repo):
                await restore_worktree(worktree)
        except GitFailed as exc:
            raise UserError(
                f"job {worktree.job_id} cannot get its worktree back: {exc}; check out branch "
                f"{worktree.branch} at {worktree.path} yourself, or clear the job"
            ) from None
        self._records.removed(worktree.job_id, None)
        self._on_disk.add(worktree.job_id)
        self._note(worktree.job_id, [f"worktree {worktree.path} made again from its branch"])

    def find(self, job_id: JobId) -> Worktree | None:
        return self._records.get(job_id)

    # ---- the end of a job ---------------------------------------------------------------------

    def committed(self, batch: Sequence[Persist]) -> None:
        """An observer of the engine loop: a job with a worktree that ended is cleaned up, and
        so is a worktree that waited for the jobs working in it."""
        ended = False
        for persist in batch:
            for job in persist.jobs:
                if not job.status.is_terminal:
                    continue
                ended = True
                if job.job_id in self._on_disk and job.job_id not in self._kept:
                    self._start(job.job_id, functools.partial(self._ended, job.job_id, job.status))
        if ended:
            for job_id, settle in list(self._waiting.items()):
                self._start(job_id, settle)

    def _start(self, job_id: JobId, work: Callable[[], Awaitable[object]]) -> None:
        if job_id in self._ending:
            return
        self._ending.add(job_id)
        self._tasks.create_task(self._settle(job_id, work), name=f"worktree of {job_id}")

    async def _settle(self, job_id: JobId, work: Callable[[], Awaitable[object]]) -> None:
        try:
            await work()
        except StateUnwritable as exc:
            # Not recorded, so done again at the next start; a full disk never ends the
            # conductor.
            log.warning("job %s: its worktree's end is not recorded: %s", job_id, exc)
        finally:
            self._ending.discard(job_id)

    async def _ended(self, job_id: JobId, status: JobStatus) -> None:
        async with self._jobs.hold(job_id):
            worktree = self._records.get(job_id)
            if (
                worktree is None
                or worktree.removed_at is not None
                or self._active(job_id)
                or job_id in self._held
            ):
                self._waiting.pop(job_id, None)
                return
            if not removes_on_end(worktree, status):
                await unlock_worktree(worktree)
                self._kept.add(job_id)
                self._note(
                    job_id,
                    [
                        f"worktree {worktree.path} kept ({keep_reason(status)}), on branch "
                        f"{worktree.branch}; 'podium clear' removes it"
                    ],
                )
                return
            waits = self._occupied(worktree, functools.partial(self._ended, job_id, status))
            if waits is not None:
                return
            self._note(job_id, await self._remove(worktree, status))

    def _occupied(self, worktree: Worktree, settle: Callable[[], Awaitable[object]]) -> str | None:
        """Why the worktree stays for now (other unfinished jobs work in it), noted in its
        job's history the first time; None when nobody does."""
        jobs = occupants(worktree, self._records.in_use())
        job_id = worktree.job_id
        if not jobs:
            self._waiting.pop(job_id, None)
            return None
        reason = occupied_note(worktree, jobs)
        if job_id not in self._waiting:
            log.info("%s", reason, extra=job_fields(job_id))
            self._note(job_id, [reason])
        self._waiting[job_id] = settle
        return reason

    async def _remove(self, worktree: Worktree, status: JobStatus | None) -> list[str]:
        """Remove the worktree; what happened (or why it stays), for the job's history."""
        path = worktree.path
        try:
            done = await remove_worktree(worktree, status, serial=self._repo(worktree.repo))
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
            self._on_disk.discard(worktree.job_id)
            return done
        log.warning("%s", reason, extra=job_fields(worktree.job_id))
        return [reason]

    # ---- restarts and clearing ------------------------------------------------------------

    def after_restart(self) -> None:
        """At startup: watch the worktrees on disk, and remove in the background those whose
        job ended while the conductor was down (or whose submission never completed), unless
        an unfinished job works in them."""
        stale = []
        for worktree, status in self._records.on_disk():
            self._on_disk.add(worktree.job_id)
            if status is None or (status.is_terminal and removes_on_end(worktree, status)):
                stale.append((worktree, status))
            elif status.is_terminal:
                self._kept.add(worktree.job_id)
        if stale:
            self._tasks.create_task(self._clean(stale), name="worktrees left from before")

    async def _clean(self, stale: list[tuple[Worktree, JobStatus | None]]) -> None:
        for worktree, status in stale:
            if status is None:
                await self._forget(worktree)
            else:
                await self._ended(worktree.job_id, status)

    async def _forget(self, worktree: Worktree) -> str | None:
        """Remove the worktree of a job that is not stored, and its record; why it stays, if
        it does. A record that names another worktree now (a new submission with the same id
        made its own) is left alone: only the worktree given goes."""
        job_id = worktree.job_id
        async with self._jobs.hold(job_id):
            current = self._records.get(job_id)
            if current is None:
                return None
            if current.path != worktree.path:
                return await self._drop(worktree)
            if current.removed_at is not None:
                self._records.forget(job_id, current.path)
                return None
            reason = self._occupied(current, functools.partial(self._forget, worktree))
            if reason is not None:
                return reason
            try:
                reason = await self._drop(current)
            finally:
                self._records.forget(job_id, current.path)
                self._on_disk.discard(job_id)
            return reason

    async def _drop(self, worktree: Worktree) -> str | None:
        """Remove a worktree no job has; why it stays, if it does."""
        try:
            done = await remove_worktree(worktree, None, serial=self._repo(worktree.repo))
        except (GitFailed, LeftBranch) as exc:
            reason = f"worktree {worktree.path} kept: cannot remove it: {exc}"
            log.warning("%s", reason)
            return reason
        log.info("%s", "; ".join(done), extra=job_fields(worktree.job_id))
        return None

    def clearing(self, job_ids: Sequence[JobId]) -> None:
        """The jobs are about to be removed from the store: note nothing more for them."""
        self._gone.update(job_ids)

    async def cleared(self, job_ids: Sequence[JobId]) -> list[str]:
        """The jobs were cleared (after `clearing`): their worktrees go, their branches stay.
        Why any worktree stays."""
        problems = []
        for job_id in job_ids:
            worktree = self._records.get(job_id)
            if worktree is not None:
                problem = await self._forget(worktree)
                if problem is not None:
                    problems.append(f"job {job_id}: {problem}")
        return problems

    def _note(self, job_id: JobId, texts: list[str]) -> None:
        if job_id in self._gone:
            return
        now = self._clock()
        self._notes.commit([Persist(notes=tuple(JobNote(job_id, now, t) for t in texts))])
