"""`podium status JOB` for a job that runs in a git worktree of its own."""

from typing import Any

from podium.ipc.schema import JobStatusResult
from tests.unit.cli.test_job_view import job, sheet, shown

WORKTREE = {
    "repo": "/repo",
    "path": "/repo/.worktrees/demo",
    "branch": "podium/demo",
    "base_commit": "af0f34b2a364",
    "removed": False,
}


def isolated(status: str, **worktree: Any) -> JobStatusResult:
    return job(
        status,
        sheet(1, "completed" if status == "completed" else "running"),
        workspace="/repo/.worktrees/demo/ws",
        worktree={**WORKTREE, **worktree},
    )


def test_the_header_names_the_worktree_and_its_branch() -> None:
    lines = shown(isolated("running"))
    assert "  worktree   /repo/.worktrees/demo on branch podium/demo" in lines


def test_a_removed_worktree_points_at_the_branch_that_holds_the_work() -> None:
    lines = shown(isolated("completed", removed=True))
    assert "  worktree   removed; its work is on branch podium/demo" in lines
    assert any(line.strip().startswith("git -C /repo show --stat podium/demo") for line in lines)
    assert not any(line.strip().startswith("ls ") for line in lines)


def test_a_job_without_a_worktree_shows_none() -> None:
    lines = shown(job("completed", sheet(1, "completed"), worktree=None))
    assert not any("worktree" in line for line in lines)
    assert "  ls /w/demo  what the sheets made" in lines
