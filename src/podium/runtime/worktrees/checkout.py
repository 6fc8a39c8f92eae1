"""The git side of a job's worktree: where it goes, made, saved to its branch, removed, made
again from its branch, or undone. Every command runs through `podium.runtime.worktrees.git`; the
decisions about when (and whether) live in `podium.runtime.worktrees.isolation`.
"""

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from podium.domain.ids import JobId
from podium.domain.isolation import (
    Isolation,
    Worktree,
    base_folder,
    branch_name,
    exclude_pattern,
    job_workspace,
    removed_note,
    save_message,
    worktree_name,
)
from podium.domain.status import JobStatus
from podium.host.private import make_user_dir, open_for_user
from podium.runtime.worktrees.git import GitFailed, git

CHECKOUT_TIMEOUT_SECONDS = 600.0
"""For the commands that write a whole checkout (add, remove, add -A): a large tree is slow."""
REMOVE_TRIES = 3
"""A stopped attempt may still write for a moment: save and remove again this many times."""
_FALLBACK_IDENTITY = ("-c", "user.name=Podium", "-c", "user.email=podium@localhost")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a workspace lies: its checkout (the main one, or a worktree), the repository's
    main checkout, and the commit a job's branch starts from."""

    checkout: Path
    repo: Path
    base: str


async def locate(workspace: Path, isolation: Isolation) -> Place:
    """Raises GitFailed when the workspace is not in a repository or the source is unknown."""
    checkout = Path(await git("rev-parse", "--show-toplevel", cwd=_nearest_folder(workspace)))
    repo = await main_checkout(checkout)
    source = isolation.source_branch or "HEAD"
    base = await git(
        "rev-parse", "--verify", "--end-of-options", f"{source}^{{commit}}", cwd=checkout
    )
    return Place(checkout, repo, base)


async def plan_worktree(
    job_id: JobId, workspace: Path, isolation: Isolation, place: Place
) -> Worktree:
    """Where the job's worktree and branch go, made nowhere yet (ValueError when the workspace
    is not inside its checkout). Worktrees go to the main checkout, even for a workspace inside
    another job's worktree: they never nest (removing one would delete the other)."""
    folder = Path(base_folder(place.repo, isolation))
    taken = await _taken_names(place.repo, folder, isolation.branch_prefix)
    name = worktree_name(job_id, taken)
    path = folder / name
    return Worktree(
        job_id,
        str(place.repo),
        str(path),
        branch_name(isolation, name),
        place.base,
        str(job_workspace(place.checkout, path, workspace.resolve())),
        isolation.cleanup_on_success,
        isolation.cleanup_on_failure,
        isolation.lock,
    )


async def add_worktree(worktree: Worktree, isolation: Isolation) -> None:
    """Make the planned worktree and its branch; raises GitFailed."""
    repo, path = Path(worktree.repo), Path(worktree.path)
    pattern = exclude_pattern(repo, Path(base_folder(repo, isolation)))
    if pattern is not None:
        common = Path(repo, await git("rev-parse", "--git-common-dir", cwd=repo))
        await asyncio.to_thread(_exclude, common / "info" / "exclude", pattern)
    lock = ("--lock",) if isolation.lock else ()
    await git(
        "worktree",
        "add",
        *lock,
        "-b",
        worktree.branch,
        str(path),
        worktree.base_commit,
        cwd=repo,
        timeout=CHECKOUT_TIMEOUT_SECONDS,
    )


async def open_worktree(job_id: JobId, workspace: Path, isolation: Isolation) -> Worktree:
    """Make the job's worktree and branch; raises GitFailed or ValueError (`plan_worktree`)."""
    place = await locate(workspace, isolation)
    worktree = await plan_worktree(job_id, workspace, isolation, place)
    await add_worktree(worktree, isolation)
    return worktree


async def main_checkout(checkout: Path) -> Path:
    """The repository's main checkout (the bare repository, if it is one), from any of its
    worktrees: git lists it first."""
    listed = await git("worktree", "list", "--porcelain", cwd=checkout)
    first = listed.splitlines()[0]
    if not first.startswith("worktree "):
        raise GitFailed(("worktree", "list", "--porcelain"), checkout, f"unexpected {first!r}")
    return Path(first.removeprefix("worktree "))


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


class LeftBranch(Exception):
    """The worktree's HEAD is not on the job's branch (the job detached it or switched): its
    work cannot be saved to the job's branch, so the worktree stays."""


async def remove_worktree(
    worktree: Worktree, status: JobStatus | None, *, serial: asyncio.Lock | None = None
) -> list[str]:
    """Commit what the job left uncommitted to its branch, then remove the worktree (the
    branch stays; files git ignores go with the worktree). What was done, for the job's
    history; raises GitFailed, or LeftBranch when HEAD there is not on the job's branch.
    `serial` is held while git changes the repository's list of worktrees (not while saving)."""
    path, repo = Path(worktree.path), Path(worktree.repo)
    guard = serial or contextlib.nullcontext()
    done: list[str] = []
    if not await asyncio.to_thread(path.is_dir):
        async with guard:
            await git("worktree", "prune", cwd=repo)
        return [f"worktree {path} was already gone; branch {worktree.branch} kept"]
    await unlock_worktree(worktree)
    for attempt in range(1, REMOVE_TRIES + 1):
        saved = await _save(worktree, status)
        if saved is not None:
            done.append(
                f"the worktree had uncommitted changes: committed them to branch "
                f"{worktree.branch} ({saved})"
            )
        ignored = await _ignored(path)
        try:
            async with guard:
                await git(
                    "worktree", "remove", str(path), cwd=repo, timeout=CHECKOUT_TIMEOUT_SECONDS
                )
            break
        except GitFailed:
            if attempt == REMOVE_TRIES:
                raise
            await asyncio.sleep(attempt)  # something still writes there
    done.append(removed_note(worktree, ignored))
    return done


async def discard_worktree(worktree: Worktree) -> None:
    """Undo `open_worktree` for a job that was never submitted: worktree and branch go."""
    repo = Path(worktree.repo)
    await unlock_worktree(worktree)
    await git(
        "worktree", "remove", "--force", worktree.path, cwd=repo, timeout=CHECKOUT_TIMEOUT_SECONDS
    )
    await git("branch", "-D", worktree.branch, cwd=repo)


async def _save(worktree: Worktree, status: JobStatus | None) -> str | None:
    """Commit every change in the worktree to its branch; the commit, or None if clean.
    Raises LeftBranch when HEAD there is not the job's branch."""
    path = Path(worktree.path)
    await _on_branch(worktree)
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


async def _on_branch(worktree: Worktree) -> None:
    try:
        head = await git("symbolic-ref", "-q", "HEAD", cwd=Path(worktree.path))
    except GitFailed:  # exit code 1 without a word: HEAD is detached
        head = ""
    if head == f"refs/heads/{worktree.branch}":
        return
    where = f"on branch {head.removeprefix('refs/heads/')}" if head else "detached"
    raise LeftBranch(
        f"its HEAD is {where}, not on the job's branch {worktree.branch}, so what is there "
        "was not saved"
    )


async def _ignored(path: Path) -> list[str]:
    """The files and folders git ignores in the worktree (they go with it)."""
    listed = await git(
        "status", "--porcelain", "--ignored", cwd=path, timeout=CHECKOUT_TIMEOUT_SECONDS
    )
    return [line[3:] for line in listed.splitlines() if line.startswith("!! ")]


async def _identity(path: Path) -> tuple[str, ...]:
    """The user's name and email when git has them; Podium's otherwise (a commit needs one)."""
    try:
        await git("config", "user.name", cwd=path)
        await git("config", "user.email", cwd=path)
    except GitFailed:
        return _FALLBACK_IDENTITY
    return ()


async def unlock_worktree(worktree: Worktree) -> None:
    """Undo `git worktree lock`, if the worktree is locked."""
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
    make_user_dir(file.parent)
    with os.fdopen(open_for_user(file, os.O_WRONLY | os.O_APPEND), "a") as out:
        if lines and not file.read_text().endswith("\n"):
            out.write("\n")
        out.write(f"{pattern}\n")
