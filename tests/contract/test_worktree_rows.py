"""The jobs' worktree records, written before their job's row and read back with its status."""

from dataclasses import replace
from pathlib import Path

from podium.domain.ids import JobId
from podium.domain.isolation import Worktree
from podium.domain.status import JobStatus
from podium.store.sqlite import SqliteStore
from tests.contract.test_store import job, submit

TREE = Worktree(
    JobId("build"),
    "/repo",
    "/repo/.worktrees/build",
    "podium/build",
    "af0f34b2a364",
    "/repo/.worktrees/build/ws",
    cleanup_on_success=False,
    cleanup_on_failure=True,
    lock_while_running=False,
)


def test_a_worktree_reads_back_as_written_with_its_jobs_status(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        rows = store.worktrees
        rows.add(TREE)
        rows.add(replace(TREE, job_id=JobId("lost"), path="/repo/.worktrees/lost"))
        assert rows.get(JobId("build")) == TREE
        assert [(w.job_id, s) for w, s in rows.on_disk()] == [("build", None), ("lost", None)]
        submit(store, job("build", JobStatus.FAILED))
        assert rows.on_disk()[0] == (TREE, JobStatus.FAILED)
        rows.removed(JobId("build"), 12.5)
        assert rows.get(JobId("build")) == replace(TREE, removed_at=12.5)
        assert [w.job_id for w, _ in rows.on_disk()] == ["lost"]
        rows.removed(JobId("build"), None)
        rows.forget(JobId("lost"), "/repo/.worktrees/lost-2")
        assert rows.get(JobId("lost")) is not None, "a record of another worktree stays"
        rows.forget(JobId("lost"), "/repo/.worktrees/lost")
        assert [w.job_id for w, _ in rows.on_disk()] == ["build"]
        assert rows.get(JobId("lost")) is None
    finally:
        store.close()


def test_the_workspaces_in_use_are_those_of_unfinished_jobs(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        submit(store, job("done", JobStatus.COMPLETED))
        submit(store, job("paused", JobStatus.PAUSED))
        submit(store, job("running", JobStatus.RUNNING))
        assert [j for j, _ in store.worktrees.in_use()] == ["paused", "running"]
    finally:
        store.close()
