"""A job's git worktree made, saved, removed, made again and undone, on real repositories."""

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from podium.domain.ids import JobId
from podium.domain.isolation import Isolation, Worktree
from podium.domain.status import JobStatus
from podium.runtime.git import GitFailed
from podium.runtime.worktree import (
    discard_worktree,
    open_worktree,
    remove_worktree,
    restore_worktree,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ISOLATION = Isolation(branch_prefix="podium")


@pytest.fixture(autouse=True)
def no_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user-wide git settings: no name or email to commit with."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@x", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    (folder / "README").write_text("hello\n")
    git(folder, "add", "README")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def open_for(job: str, workspace: Path, isolation: Isolation = ISOLATION) -> Worktree:
    return asyncio.run(open_worktree(JobId(job), workspace, isolation))


def test_the_worktree_holds_the_workspace_at_its_place_on_a_new_branch(repo: Path) -> None:
    made = open_for("build", repo / "sub" / "ws")
    path = repo / ".worktrees" / "build"
    assert (made.repo, made.path, made.branch) == (str(repo), str(path), "podium/build")
    assert made.workspace == str(path / "sub" / "ws")
    assert made.base_commit == git(repo, "rev-parse", "HEAD")
    assert (path / "README").read_text() == "hello\n"
    assert git(path, "branch", "--show-current") == "podium/build"
    assert "locked" in git(repo, "worktree", "list", "--porcelain")
    open_for("test", repo)
    assert (repo / ".git" / "info" / "exclude").read_text().splitlines().count(".worktrees/") == 1
    assert git(repo, "status", "--porcelain") == ""


def test_the_branch_starts_from_the_source_branch_when_one_is_named(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "dev")
    git(repo, "commit", "-q", "--allow-empty", "-m", "on dev")
    dev = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-")
    made = open_for("build", repo, Isolation(source_branch="dev", lock=False))
    assert made.base_commit == dev
    assert made.branch == "marianne/build"
    assert "locked" not in git(repo, "worktree", "list", "--porcelain")
    with pytest.raises(GitFailed, match="nope"):
        open_for("other", repo, Isolation(source_branch="nope"))


def test_a_branch_left_by_an_earlier_job_gets_a_new_name_beside_it(repo: Path) -> None:
    git(repo, "branch", "podium/build")
    made = open_for("build", repo)
    assert made.branch == "podium/build-2"
    assert made.path == str(repo / ".worktrees" / "build-2")


def test_outside_a_repository_git_says_so(tmp_path: Path) -> None:
    with pytest.raises(GitFailed, match="not a git repository") as failed:
        open_for("build", tmp_path / "plain" / "ws")
    assert "git rev-parse --show-toplevel" in str(failed.value)


def test_removal_commits_what_was_left_and_keeps_the_branch(repo: Path) -> None:
    made = open_for("build", repo / "ws")
    Path(made.workspace).mkdir()
    (Path(made.workspace) / "out.txt").write_text("work\n")
    (Path(made.path) / "README").write_text("changed\n")
    done = asyncio.run(remove_worktree(made, JobStatus.FAILED))
    assert done[0].startswith("the worktree had uncommitted changes: committed them to branch")
    assert done[1] == f"worktree {made.path} removed; branch podium/build kept"
    assert not Path(made.path).exists()
    assert git(repo, "show", "podium/build:ws/out.txt") == "work"
    assert git(repo, "log", "-1", "--format=%s%n%an", "podium/build").splitlines() == [
        "podium: work left uncommitted by job build (failed)",
        "Podium",
    ]
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_clean_worktree_is_removed_without_a_commit(repo: Path) -> None:
    made = open_for("build", repo)
    assert asyncio.run(remove_worktree(made, JobStatus.COMPLETED)) == [
        f"worktree {made.path} removed; branch podium/build kept"
    ]
    assert git(repo, "rev-parse", "podium/build") == made.base_commit
    again = asyncio.run(remove_worktree(made, JobStatus.COMPLETED))
    assert again == [f"worktree {made.path} was already gone; branch podium/build kept"]


def test_a_removed_worktree_is_made_again_from_its_branch(repo: Path) -> None:
    made = open_for("build", repo)
    (Path(made.path) / "out.txt").write_text("work\n")
    asyncio.run(remove_worktree(made, JobStatus.FAILED))
    asyncio.run(restore_worktree(made))
    assert (Path(made.path) / "out.txt").read_text() == "work\n"
    assert git(Path(made.path), "branch", "--show-current") == "podium/build"


def test_discarding_undoes_everything(repo: Path) -> None:
    made = open_for("build", repo)
    asyncio.run(discard_worktree(made))
    assert not Path(made.path).exists()
    assert git(repo, "branch", "--list", "podium/*") == ""
