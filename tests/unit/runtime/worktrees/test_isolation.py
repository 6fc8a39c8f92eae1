"""A job's git worktree made, saved, removed, made again and undone, on real repositories;
and the conductor's worktrees across cancellations and restarts."""

import asyncio
import contextlib
import shutil
import subprocess
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from podium.conductor.compiler import ScoreCompiler
from podium.domain.commands import Persist, Reply
from podium.domain.engine import Engine
from podium.domain.ids import JobId
from podium.domain.isolation import Isolation, Worktree
from podium.domain.limits import Limits
from podium.domain.status import JobStatus
from podium.runtime.jobs.admission import Admission
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.requests import EngineRequests
from podium.runtime.loop import Inbox, Replies
from podium.runtime.worktrees.checkout import (
    LeftBranch,
    discard_worktree,
    open_worktree,
    remove_worktree,
    restore_worktree,
)
from podium.runtime.worktrees.git import GitFailed
from podium.runtime.worktrees.isolation import Worktrees
from podium.store.sqlite import SqliteStore

T = TypeVar("T")

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


def test_a_workspace_inside_a_worktree_gets_a_worktree_beside_it_never_inside(
    repo: Path,
) -> None:
    parent = open_for("parent", repo / "ws")
    child = open_for("child", Path(parent.workspace))
    path = repo / ".worktrees" / "child"
    assert (child.repo, child.path, child.workspace) == (str(repo), str(path), str(path / "ws"))
    assert child.base_commit == git(Path(parent.path), "rev-parse", "HEAD")
    asyncio.run(remove_worktree(parent, JobStatus.COMPLETED))
    assert path.is_dir()


@pytest.mark.parametrize(
    ("move", "where"),
    [
        (("checkout", "-q", "--detach"), "detached"),
        (("checkout", "-q", "-b", "elsewhere"), "on branch elsewhere"),
    ],
)
def test_a_worktree_whose_head_left_the_jobs_branch_is_kept_unsaved(
    repo: Path, move: tuple[str, ...], where: str
) -> None:
    made = open_for("build", repo)
    git(Path(made.path), *move)
    (Path(made.path) / "out.txt").write_text("work\n")
    with pytest.raises(LeftBranch, match=f"its HEAD is {where}, not on the job's branch"):
        asyncio.run(remove_worktree(made, JobStatus.COMPLETED))
    assert (Path(made.path) / "out.txt").read_text() == "work\n"
    assert git(repo, "rev-parse", "podium/build") == made.base_commit
    assert git(Path(made.path), "status", "--porcelain") == "?? out.txt"


def test_a_removal_says_which_ignored_files_went_with_the_worktree(repo: Path) -> None:
    made = open_for("build", repo)
    (Path(made.path) / ".gitignore").write_text("dist/\n.env\n")
    (Path(made.path) / "dist").mkdir()
    (Path(made.path) / "dist" / "app").write_text("built\n")
    (Path(made.path) / ".env").write_text("SECRET=1\n")
    done = asyncio.run(remove_worktree(made, JobStatus.COMPLETED))
    assert done[-1] == (
        f"worktree {made.path} removed; branch podium/build kept; 2 files or folders git "
        "ignores went with it: .env, dist/"
    )
    assert git(repo, "show", "podium/build:.gitignore") == "dist/\n.env"


def with_worktrees(tmp_path: Path, body: Callable[[Worktrees, SqliteStore], Awaitable[T]]) -> T:
    """Run `body` with a conductor's worktrees on a real store; every task they start ends
    before this returns."""

    async def main() -> T:
        async with asyncio.TaskGroup() as tasks:
            worktrees = Worktrees(
                records=store.worktrees,
                notes=store,
                active=lambda job_id: False,
                tasks=tasks,
                clock=lambda: 1.0,
            )
            return await body(worktrees, store)

    store = SqliteStore(tmp_path / "podium.db")
    try:
        return asyncio.run(main())
    finally:
        store.close()


def test_a_stale_worktree_goes_at_start_but_not_the_new_one_of_its_resubmitted_job(
    repo: Path, tmp_path: Path
) -> None:
    stale = open_for("build", repo)  # made, then the conductor stopped before the job was stored

    async def resubmit(worktrees: Worktrees, store: SqliteStore) -> Worktree:
        store.worktrees.add(stale)
        worktrees.after_restart()  # removes the stale worktree in the background
        return await worktrees.open(JobId("build"), repo, ISOLATION)

    fresh = with_worktrees(tmp_path, resubmit)
    assert fresh.path == str(repo / ".worktrees" / "build-2")
    assert Path(fresh.path).is_dir()
    assert not Path(stale.path).exists()
    assert git(repo, "branch", "--list", "podium/build") != ""
    with contextlib.closing(SqliteStore(tmp_path / "podium.db")) as store:
        assert store.worktrees.get(JobId("build")) == fresh


def hold_checkouts(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A git hook that holds every `git worktree add` in the repository until the gate file
    exists; the file it makes when it starts, and the gate."""
    started, gate = tmp_path / "started", tmp_path / "go"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {started}\nwhile [ ! -e {gate} ]; do sleep 0.02; done\n")
    hook.chmod(0o755)
    return started, gate


async def appears(path: Path, timeout: float = 30.0) -> None:
    """Wait until `path` exists; fail after `timeout` seconds instead of hanging."""

    async def poll() -> None:
        while not path.exists():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def test_a_worktree_whose_making_was_cancelled_is_recorded_and_removed_at_the_next_start(
    repo: Path, tmp_path: Path
) -> None:
    started, gate = hold_checkouts(repo, tmp_path)

    async def cancel_while_git_adds(worktrees: Worktrees, store: SqliteStore) -> None:
        opening = asyncio.create_task(worktrees.open(JobId("build"), repo, ISOLATION))
        await appears(started)
        opening.cancel()
        with pytest.raises(asyncio.CancelledError):
            await opening
        gate.touch()  # git goes on in its thread, and makes the worktree

    with_worktrees(tmp_path, cancel_while_git_adds)
    path = repo / ".worktrees" / "build"
    assert path.is_dir()

    async def restart(worktrees: Worktrees, store: SqliteStore) -> None:
        assert [w.path for w, _ in store.worktrees.on_disk()] == [str(path)]
        worktrees.after_restart()

    with_worktrees(tmp_path, restart)
    assert not path.exists()
    with contextlib.closing(SqliteStore(tmp_path / "podium.db")) as store:
        assert store.worktrees.get(JobId("build")) is None


SCORE = """
    name: build
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 1}
    isolation: {enabled: true, branch_prefix: podium}
    prompt: {template: 'true'}
"""


def test_a_submission_cancelled_after_the_engine_accepted_it_keeps_its_worktree(
    repo: Path, tmp_path: Path
) -> None:
    score = repo / "build.yaml"
    score.write_text(textwrap.dedent(SCORE))

    async def submit_then_cancel(worktrees: Worktrees, store: SqliteStore) -> str:
        engine, inbox, replies = Engine(Limits()), Inbox(), Replies()
        requests = EngineRequests(
            inbox=inbox, replies=replies, catalog=JobCatalog(), worktrees=worktrees
        )
        admission = Admission(
            engine=engine,
            store=store,
            requests=requests,
            compiler=ScoreCompiler(),
            worktrees=worktrees,
        )
        requests.open()
        submitting = asyncio.create_task(admission.submit(str(score), None))
        [event] = await inbox.take_batch()
        commands = engine.handle(event, 1.0)
        store.commit([c for c in commands if isinstance(c, Persist)])
        for reply in (c for c in commands if isinstance(c, Reply)):
            replies.resolve(reply)
        submitting.cancel()  # as a hook's task is at shutdown, before it hears the answer
        with pytest.raises(asyncio.CancelledError):
            await submitting
        [job] = engine.active_jobs()
        return job.workspace

    workspace = with_worktrees(tmp_path, submit_then_cancel)
    assert workspace == str(repo / ".worktrees" / "build" / "ws")
    assert (repo / ".worktrees" / "build").is_dir()
    assert git(repo, "branch", "--list", "podium/build") != ""


def test_work_in_one_repository_does_not_wait_for_another(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "commit", "-q", "--allow-empty", "-m", "first")
    started, gate = hold_checkouts(repo, tmp_path)

    async def both(worktrees: Worktrees, store: SqliteStore) -> Worktree:
        slow = asyncio.create_task(worktrees.open(JobId("slow"), repo, ISOLATION))
        await appears(started)
        try:
            return await asyncio.wait_for(worktrees.open(JobId("quick"), other, ISOLATION), 30)
        finally:
            gate.touch()
            await slow

    assert Path(with_worktrees(tmp_path, both).path).is_dir()
