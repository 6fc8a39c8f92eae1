"""Running a job in a git worktree of its own: where the worktree goes, its branch, where the
job's workspace lies inside it, and whether it is removed when the job ends.

Pure: paths are computed, never touched; the git commands run in
`podium.runtime.worktrees.isolation`.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from podium.domain.ids import JobId
from podium.domain.status import JobStatus

DEFAULT_BASE = ".worktrees"
"""Where worktrees go when the score names no `worktree_base` (relative to the repository)."""


@dataclass(frozen=True, slots=True)
class Isolation:
    """A score's `isolation` block when it asks for a worktree per job."""

    worktree_base: str | None = None
    """Relative to the repository's root (or absolute); None: `.worktrees`."""
    branch_prefix: str = "marianne"
    source_branch: str | None = None
    """The branch (or any commit) the job's branch starts from; None: the current HEAD."""
    cleanup_on_success: bool = True
    cleanup_on_failure: bool = False
    lock: bool = True
    """Lock the worktree while the job runs (`git worktree lock`), so no prune removes it."""
    fallback_on_error: bool = True
    """When no worktree can be made: run in the workspace itself (True) or refuse the job."""


@dataclass(frozen=True, slots=True)
class Worktree:
    """A job's worktree, as recorded."""

    job_id: JobId
    repo: str
    """The main checkout's root."""
    path: str
    branch: str
    base_commit: str
    workspace: str
    """The job's workspace: the score's workspace, at the same place inside the worktree."""
    cleanup_on_success: bool = True
    cleanup_on_failure: bool = False
    lock_while_running: bool = True
    removed_at: float | None = None
    """When the worktree was removed (its branch stays); None while it is on disk."""


def base_folder(repo: PurePath, isolation: Isolation) -> PurePath:
    """The folder that holds the repository's job worktrees."""
    return repo / (isolation.worktree_base or DEFAULT_BASE)


def worktree_name(job_id: JobId, taken: Collection[str]) -> str:
    """The job's id, or `id-2`, `id-3`… when an earlier job (cleared since) left a branch or a
    folder of that name: a kept branch is never reused."""
    name, n = str(job_id), 1
    while name in taken:
        n += 1
        name = f"{job_id}-{n}"
    return name


def branch_name(isolation: Isolation, name: str) -> str:
    return f"{isolation.branch_prefix}/{name}"


def job_workspace(repo: PurePath, worktree: PurePath, workspace: PurePath) -> PurePath:
    """The workspace's place inside the worktree: the same folder relative to the root.
    Raises ValueError when the workspace is not inside the repository."""
    return worktree / workspace.relative_to(repo)


def exclude_pattern(repo: PurePath, base: PurePath) -> str | None:
    """The line for `.git/info/exclude` that keeps the worktrees out of the main checkout's
    `git status` (`.worktrees/`); None when they live outside the repository."""
    try:
        inside = base.relative_to(repo)
    except ValueError:
        return None
    return f"{inside.as_posix()}/" if inside.parts else None


def removes_on_end(worktree: Worktree, status: JobStatus) -> bool:
    """Whether a job that ended with `status` loses its worktree (the branch always stays)."""
    if status is JobStatus.COMPLETED:
        return worktree.cleanup_on_success
    if status in (JobStatus.FAILED, JobStatus.CANCELLED):
        return worktree.cleanup_on_failure
    return False


def keep_reason(status: JobStatus) -> str:
    """Why a worktree stays when its job ended: the setting that says so."""
    setting = "cleanup_on_success" if status is JobStatus.COMPLETED else "cleanup_on_failure"
    return f"isolation.{setting} is false"


def save_message(job_id: JobId, status: JobStatus | None) -> str:
    """The message of the commit that saves what a job left uncommitted in its worktree."""
    how = f" ({status})" if status is not None else ""
    return f"podium: work left uncommitted by job {job_id}{how}"


def occupants(worktree: Worktree, workspaces: Iterable[tuple[JobId, str]]) -> list[JobId]:
    """The other jobs (of `workspaces`: the unfinished jobs' ids and workspaces) that work
    inside the worktree, such as a job chained with the workspace of the job that ended: the
    worktree stays until the last of them ends."""
    folder = PurePath(worktree.path)
    return sorted(
        job_id
        for job_id, workspace in workspaces
        if job_id != worktree.job_id and PurePath(workspace).is_relative_to(folder)
    )


def occupied_note(worktree: Worktree, jobs: Sequence[JobId]) -> str:
    """Why a worktree whose job ended stays for now."""
    who = f"job {jobs[0]} runs" if len(jobs) == 1 else f"jobs {', '.join(jobs)} run"
    return (
        f"worktree {worktree.path} kept: {who} in it; it is removed when "
        f"{'that job ends' if len(jobs) == 1 else 'the last of them ends'}"
    )


IGNORED_SHOWN = 5
"""Names of ignored files listed in the history line of a removal (the rest are counted)."""


def removed_note(worktree: Worktree, ignored: Sequence[str]) -> str:
    """The history line of a removal; `ignored`: the files and folders git ignores that went
    with the worktree (never committed, so not on the branch either)."""
    text = f"worktree {worktree.path} removed; branch {worktree.branch} kept"
    if not ignored:
        return text
    names = ", ".join(ignored[:IGNORED_SHOWN])
    more = f" and {len(ignored) - IGNORED_SHOWN} more" if len(ignored) > IGNORED_SHOWN else ""
    what = "file or folder" if len(ignored) == 1 else "files or folders"
    return f"{text}; {len(ignored)} {what} git ignores went with it: {names}{more}"
