"""What the conductor knows of the jobs' worktrees: their stored records (a port), what it
remembers beside them, one change at a time per job and per repository, and the notes it
writes to the jobs' histories."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.domain.isolation import Worktree
from podium.domain.records import JobNote
from podium.domain.status import JobStatus


class WorktreeRecords(Protocol):
    """The stored worktrees (`podium.store.worktrees`)."""

    def add(self, worktree: Worktree) -> None: ...

    def get(self, job_id: JobId) -> Worktree | None: ...

    def on_disk(self) -> list[tuple[Worktree, JobStatus | None]]: ...

    def in_use(self) -> list[tuple[JobId, str]]: ...

    def removed(self, job_id: JobId, at: float | None) -> None: ...

    def forget(self, job_id: JobId, path: str) -> None: ...


class KeyedLocks:
    """An asyncio lock per key, dropped when nobody holds it or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Exclusive use of `key` for the block; others wait their turn."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks.pop(key)
            if users > 1:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """Keys in use or waited for."""
        return len(self._locks)


class Serial:
    """One change at a time: of a job's worktree (made, removed, made again), and of a
    repository's list of worktrees (add, remove)."""

    def __init__(self) -> None:
        self._jobs = KeyedLocks()
        self._repos: dict[str, asyncio.Lock] = {}

    def job(self, job_id: JobId) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while the job's worktree changes."""
        return self._jobs.hold(job_id)

    def repo(self, repo: str) -> asyncio.Lock:
        """Held while git changes the repository's list of worktrees."""
        return self._repos.setdefault(repo, asyncio.Lock())


class Presence:
    """Which jobs' worktrees are on disk, which stay after their job ended (until a request
    brings the job back), and which a request holds while it brings its job back."""

    def __init__(self) -> None:
        self._on_disk: set[JobId] = set()
        self._kept: set[JobId] = set()
        self._held: set[JobId] = set()

    def made(self, job_id: JobId) -> None:
        """The job's worktree is on disk."""
        self._on_disk.add(job_id)

    def removed(self, job_id: JobId) -> None:
        """The job's worktree is gone from disk."""
        self._on_disk.discard(job_id)

    def keep(self, job_id: JobId) -> None:
        """The job ended and its worktree stays."""
        self._kept.add(job_id)

    def hold(self, job_id: JobId) -> None:
        """A request brings the job back: no end-of-job cleanup removes its worktree."""
        self._held.add(job_id)
        self._kept.discard(job_id)

    def let_go(self, job_id: JobId) -> None:
        """The request that brought the job back was answered."""
        self._held.discard(job_id)

    def is_held(self, job_id: JobId) -> bool:
        """Whether a request holds the job's worktree."""
        return job_id in self._held

    def ends_with_job(self, job_id: JobId) -> bool:
        """Whether the end of the job is for its worktree to handle (on disk, not kept)."""
        return job_id in self._on_disk and job_id not in self._kept


class NoteWriter(Protocol):
    """The store's commits (`podium.store.sqlite.SqliteStore.commit`)."""

    def commit(self, batch: Sequence[Persist]) -> None: ...


class WorktreeNotes:
    """Writes notes to the jobs' histories; none for a cleared job (its history is gone)."""

    def __init__(self, writer: NoteWriter, clock: Callable[[], float]) -> None:
        self._writer = writer
        self._clock = clock
        self._gone: set[JobId] = set()

    def note(self, job_id: JobId, texts: list[str]) -> None:
        """Add `texts` to the job's history, all at this moment."""
        if job_id in self._gone:
            return
        now = self._clock()
        self._writer.commit([Persist(notes=tuple(JobNote(job_id, now, t) for t in texts))])

    def clearing(self, job_ids: Sequence[JobId]) -> None:
        """The jobs are about to be removed from the store: note nothing more for them."""
        self._gone.update(job_ids)

    def opened(self, job_id: JobId) -> None:
        """A job with this id has a worktree again: its notes are written again."""
        self._gone.discard(job_id)
