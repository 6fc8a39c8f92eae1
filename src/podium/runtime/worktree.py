"""A git worktree per job (`isolation: {enabled: true, mode: worktree}`).

A job's worktree is made when it is submitted, on a new branch `{branch_prefix}/{job_id}` from
`source_branch` (or the current HEAD), at `{worktree_base}/{job_id}`; the job's workspace is
the score's workspace at the same place inside it. When the job ends, the worktree is removed
or kept as the score says; the branch always stays, and whatever the job left uncommitted is
committed to it first, so nothing is lost. Every worktree is recorded before its job is
submitted: the next start removes those whose jobs ended meanwhile, or whose submission never
completed.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.errors import UserError
from podium.domain.ids import JobId
from podium.domain.isolation import (
    Isolation,
    Worktree,
    base_folder,
    branch_name,
    exclude_pattern,
    job_workspace,
    keep_reason,
    removes_on_end,
    save_message,
    worktree_name,
)
from podium.domain.records import JobNote
from podium.domain.status import JobStatus
from podium.runtime.git import GitFailed, git
from podium.runtime.logs import job_fields

log = logging.getLogger(__name__)

CHECKOUT_TIMEOUT_SECONDS = 600.0
"""For the commands that write a whole checkout (add, remove, add -A): a large tree is slow."""
REMOVE_TRIES = 3
"""A stopped attempt may still write for a moment: save and remove again this many times."""
_FALLBACK_IDENTITY = ("-c", "user.name=Podium", "-c", "user.email=podium@localhost")


class WorktreeRecords(Protocol):
    def add(self, worktree: Worktree) -> None: ...

    def get(self, job_id: JobId) -> Worktree | None: ...

    def on_disk(self) -> list[tuple[Worktree, JobStatus | None]]: ...

    def removed(self, job_id: JobId, at: float | None) -> None: ...

    def forget(self, job_id: JobId) -> None: ...


class NoteWriter(Protocol):
    def commit(self, batch: Sequence[Persist]) -> None: ...


# ---- the git side ---------------------------------------------------------------------------


async def open_worktree(job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
    """Make the job's worktree and branch; raises GitFailed (or ValueError when the workspace
    is not inside the repository git names)."""
    repo = Path(await git("rev-parse", "--show-toplevel", cwd=_nearest_folder(workspace)))
    source = isolation.source_branch or "HEAD"
    base = await git("rev-parse", "--verify", "--end-of-options", f"{source}^{{commit}}", cwd=repo)
    folder = Path(base_folder(repo, isolation))
    taken = await _taken_names(repo, folder, isolation.branch_prefix)
    name = worktree_name(job_id, taken)
    path, branch = folder / name, branch_name(isolation, name)
    inside = job_workspace(repo, path, workspace.resolve())
    pattern = exclude_pattern(repo, folder)
    if pattern is not None:
        common = Path(repo, await git("rev-parse", "--git-common-dir", cwd=repo))
        await asyncio.to_thread(_exclude, common / "info" / "exclude", pattern)
    lock = ("--lock",) if isolation.lock else ()
    await git(
        "worktree",
        "add",
        *lock,
        "-b",
        branch,
        str(path),
        base,
        cwd=repo,
        timeout=CHECKOUT_TIMEOUT_SECONDS,
    )
    return Worktree(
        job_id,
        str(repo),
        str(path),
        branch,
        base,
        str(inside),
        isolation.cleanup_on_success,
        isolation.cleanup_on_failure,
        isolation.lock,
    )


async def restore_worktree(worktree: Worktree) -> None:
    """Check the job's branch out again where its removed worktree was."""
    lock = ("--lock",) if worktree.lock_while_running else ()
    await git("worktree", "prune", cwd=Path(worktree.repo))
    await git(
        "worktree",
        "add",
        *lock,
        worktree.path,
        worktree.branch,
        cwd=Path(worktree.repo),
        timeout=CHECKOUT_TIMEOUT_SECONDS,
    )


async def remove_worktree(worktree: Worktree, status: JobStatus | None) -> list[str]:
    """Commit what the job left uncommitted to its branch, then remove the worktree (the
    branch stays). What was done, for the job's history; raises GitFailed."""
    path, repo = Path(worktree.path), Path(worktree.repo)
    done: list[str] = []
    if not await asyncio.to_thread(path.is_dir):
        await git("worktree", "prune", cwd=repo)
        return [f"worktree {path} was already gone; branch {worktree.branch} kept"]
    await _unlock(worktree)
    for attempt in range(1, REMOVE_TRIES + 1):
        saved = await _save(worktree, status)
        if saved is not None:
            done.append(
                f"the worktree had uncommitted changes: committed them to branch "
                f"{worktree.branch} ({saved})"
            )
        try:
            await git("worktree", "remove", str(path), cwd=repo, timeout=CHECKOUT_TIMEOUT_SECONDS)
            break
        except GitFailed:
            if attempt == REMOVE_TRIES:
                raise
            await asyncio.sleep(attempt)  # something still writes there
    done.append(f"worktree {path} removed; branch {worktree.branch} kept")
    return done


async def discard_worktree(worktree: Worktree) -> None:
    """Undo `open_worktree` for a job that was never submitted: worktree and branch go."""
    repo = Path(worktree.repo)
    await _unlock(worktree)
    await git(
        "worktree", "remove", "--force", worktree.path, cwd=repo, timeout=CHECKOUT_TIMEOUT_SECONDS
    )
    await git("branch", "-D", worktree.branch, cwd=repo)


async def _save(worktree: Worktree, status: JobStatus | None) -> str | None:
    """Commit every change in the worktree to its branch; the commit, or None if clean."""
    path = Path(worktree.path)
    if not await git("status", "--porcelain", cwd=path, timeout=CHECKOUT_TIMEOUT_SECONDS):
        return None
    await git("add", "-A", cwd=path, timeout=CHECKOUT_TIMEOUT_SECONDS)
    identity = await _identity(path)
    message = save_message(worktree.job_id, status)
    await git(
        *identity,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--no-verify",
        "-q",
        "-m",
        message,
        cwd=path,
    )
    return await git("rev-parse", "--short", "HEAD", cwd=path)


async def _identity(path: Path) -> tuple[str, ...]:
    """The user's name and email when git has them; Podium's otherwise (a commit needs one)."""
    try:
        await git("config", "user.name", cwd=path)
        await git("config", "user.email", cwd=path)
    except GitFailed:
        return _FALLBACK_IDENTITY
    return ()


async def _unlock(worktree: Worktree) -> None:
    if not worktree.lock_while_running:
        return
    with contextlib.suppress(GitFailed):  # not locked (any more): nothing to undo
        await git("worktree", "unlock", worktree.path, cwd=Path(worktree.repo))


async def _taken_names(repo: Path, folder: Path, prefix: str) -> set[str]:
    refs = await git("for-each-ref", "--format=%(refname)", f"refs/heads/{prefix}/", cwd=repo)
    start = len(f"refs/heads/{prefix}/")
    names = {line[start:] for line in refs.splitlines() if line}
    return names | await asyncio.to_thread(_entries, folder)


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _nearest_folder(path: Path) -> Path:
    """The path, or its nearest ancestor that exists (a workspace may not be made yet)."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path("/")


def _exclude(file: Path, pattern: str) -> None:
    lines = file.read_text().splitlines() if file.exists() else []
    if pattern in lines:
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a") as out:
        if lines and not file.read_text().endswith("\n"):
            out.write("\n")
        out.write(f"{pattern}\n")


# ---- the conductor side ---------------------------------------------------------------------


class WorktreeFailed(Exception):
    """No worktree could be made for a job: why, in git's words."""


class Worktrees:
    """The jobs' worktrees: made at submission, removed or kept when their job ends (an
    observer of the engine loop's commits), made again when a job comes back."""

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
        self._lock = asyncio.Lock()
        """One git change at a time: worktrees of one repository share its metadata."""
        self._on_disk: set[JobId] = set()
        self._ending: set[JobId] = set()
        self._kept: set[JobId] = set()
        """Ended jobs whose worktree stays, until a request brings them back."""
        self._held: set[JobId] = set()
        self._gone: set[JobId] = set()
        """Cleared jobs: their history is gone, nothing is noted for them any more."""

    # ---- submission and return --------------------------------------------------------------

    async def open(self, job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
        """Make and record the job's worktree; raises WorktreeFailed."""
        async with self._lock:
            try:
                worktree = await open_worktree(job_id, workspace, isolation)
            except GitFailed as exc:
                log.warning("no worktree for job %s: %s", job_id, exc, extra=job_fields(job_id))
                raise WorktreeFailed(str(exc)) from None
            except ValueError:
                raise WorktreeFailed(
                    f"the workspace {workspace} is not inside the repository git found for it"
                ) from None
            self._records.add(worktree)
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

    async def discard(self, worktree: Worktree) -> None:
        """The job was not submitted after all: its worktree, branch and record go."""
        async with self._lock:
            try:
                await discard_worktree(worktree)
            except GitFailed as exc:
                log.warning("cannot remove the worktree of a refused submission: %s", exc)
            self._records.forget(worktree.job_id)
            self._on_disk.discard(worktree.job_id)

    async def bring_back(self, job_id: JobId) -> None:
        """A request brings a finished job back: its worktree is on disk again (made from its
        branch if it was removed), and no end-of-job cleanup removes it until `let_go`.
        Raises UserError when git cannot make it again."""
        async with self._lock:
            worktree = self._records.get(job_id)
            if worktree is not None and (
                worktree.removed_at is not None
                or not await asyncio.to_thread(Path(worktree.path).is_dir)
            ):
                await self._restore(worktree)
            self._held.add(job_id)
            self._kept.discard(job_id)

    def let_go(self, job_id: JobId) -> None:
        """The request that brought the job back was answered: the engine runs it now (or
        refused it, and the worktree stays until the job is cleared)."""
        self._held.discard(job_id)

    async def _restore(self, worktree: Worktree) -> None:
        try:
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
        """An observer of the engine loop: a job with a worktree that ended is cleaned up."""
        for persist in batch:
            for job in persist.jobs:
                if (
                    job.status.is_terminal
                    and job.job_id in self._on_disk
                    and job.job_id not in self._ending
                    and job.job_id not in self._kept
                ):
                    self._ending.add(job.job_id)
                    self._tasks.create_task(
                        self._ended(job.job_id, job.status), name=f"worktree of {job.job_id}"
                    )

    async def _ended(self, job_id: JobId, status: JobStatus) -> None:
        try:
            async with self._lock:
                worktree = self._records.get(job_id)
                if (
                    worktree is None
                    or worktree.removed_at is not None
                    or self._active(job_id)
                    or job_id in self._held
                ):
                    return
                if removes_on_end(worktree, status):
                    self._note(job_id, await self._remove(worktree, status))
                    return
                await _unlock(worktree)
                self._kept.add(job_id)
                self._note(
                    job_id,
                    [
                        f"worktree {worktree.path} kept ({keep_reason(status)}), on branch "
                        f"{worktree.branch}; 'podium clear' removes it"
                    ],
                )
        finally:
            self._ending.discard(job_id)

    async def _remove(self, worktree: Worktree, status: JobStatus | None) -> list[str]:
        """Remove the worktree; what happened (or why it stays), for the job's history."""
        try:
            done = await remove_worktree(worktree, status)
        except GitFailed as exc:
            log.warning(
                "worktree %s of job %s kept: %s",
                worktree.path,
                worktree.job_id,
                exc,
                extra=job_fields(worktree.job_id),
            )
            return [
                f"worktree {worktree.path} kept: cannot remove it: {exc}; remove it with "
                f"'git worktree remove {worktree.path}' once its changes are safe"
            ]
        self._records.removed(worktree.job_id, self._clock())
        self._on_disk.discard(worktree.job_id)
        return done

    # ---- restarts and clearing ------------------------------------------------------------

    def recover(self) -> None:
        """At startup: watch the worktrees on disk, and remove in the background those whose
        job ended while the conductor was down (or whose submission never completed)."""
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
        """Remove the worktree of a job that is not stored; why it stays, if it does."""
        async with self._lock:
            current = self._records.get(worktree.job_id)
            if current is None or current.removed_at is not None:
                self._records.forget(worktree.job_id)
                return None
            try:
                done = await remove_worktree(current, None)
            except GitFailed as exc:
                reason = f"worktree {current.path} kept: cannot remove it: {exc}"
                log.warning("%s", reason)
                return reason
            finally:
                self._records.forget(worktree.job_id)
                self._on_disk.discard(worktree.job_id)
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
