"""A submission the engine refuses leaves nothing behind: no compiled score in the catalog, no
held id, no stored job, and, for an isolated score, no worktree (none is made)."""

import shutil
import subprocess
import textwrap
from collections.abc import Collection
from pathlib import Path

import pytest

from podium.domain.errors import JobAlreadyRunning, UserError
from podium.domain.ids import JobId
from podium.runtime.worktrees.isolation import Worktrees
from podium.store.sqlite import SqliteStore
from tests.unit.runtime.jobs.harness import Jobs, with_jobs

SCORE = """
    name: build
    workspace: ./ws
    instrument: cli
    sheet: {size: 1, total_items: 2}
    prompt: {template: 'true'}
"""


def write(folder: Path, text: str = SCORE) -> Path:
    score = folder / "build.yaml"
    score.write_text(textwrap.dedent(text))
    return score


def test_a_submission_the_engine_refuses_leaves_no_score_and_no_held_id(tmp_path: Path) -> None:
    score = write(tmp_path)

    async def body(jobs: Jobs) -> None:
        with pytest.raises(UserError, match="there is no sheet 3 to start at"):
            await jobs.answered(jobs.admission.submit(str(score), None, start_sheet=3))
        assert jobs.catalog.find(JobId("build")) is None
        assert jobs.store.get_job(JobId("build")) is None
        done = await jobs.answered(jobs.admission.submit(str(score), None))
        assert done.job_id == "build"  # the refused one held no id
        assert jobs.catalog.get(JobId("build")).plan.total_sheets == 2

    with_jobs(tmp_path, body)


def test_a_job_whose_workspace_its_attempts_could_not_see_is_refused_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    score = write(
        tmp_path,
        """
        name: build
        workspace: ./ws
        instrument: cli
        instrument_fallbacks: [fake-agent]
        sheet: {size: 1, total_items: 2}
        prompt: {template: 'true'}
        """,
    )
    asked: list[tuple[Path, set[str]]] = []

    async def reach(workspace: Path, instruments: Collection[str]) -> None:
        asked.append((workspace, set(instruments)))
        if len(asked) == 1:
            raise UserError("not shared with node n1")

    async def body(jobs: Jobs) -> None:
        with pytest.raises(UserError, match="not shared with node n1"):
            await jobs.answered(jobs.admission.submit(str(score), None))
        assert jobs.catalog.find(JobId("build")) is None
        assert jobs.store.get_job(JobId("build")) is None
        again = jobs.admission.submit(str(score), None, workspace=str(tmp_path / "w2"))
        done = await jobs.answered(again)
        assert done.job_id == "build"

    with_jobs(tmp_path, body, reach=reach)
    assert asked == [
        (tmp_path / "ws", {"cli", "fake-agent"}),
        (tmp_path / "w2", {"cli", "fake-agent"}),
    ]


def test_a_second_submission_of_a_running_score_is_refused_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    score = write(tmp_path)

    async def body(jobs: Jobs) -> None:
        await jobs.answered(jobs.admission.submit(str(score), None))
        with pytest.raises(JobAlreadyRunning, match="job 'build' is already running"):
            await jobs.answered(jobs.admission.submit(str(score), None))
        assert jobs.catalog.find(JobId("build-2")) is None
        assert jobs.store.get_job(JobId("build-2")) is None
        assert jobs.admission.reserve_id(str(score)) == "build-2"

    with_jobs(tmp_path, body)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@x", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_no_worktree_is_made_for_a_submission_the_engine_would_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    score = write(repo, SCORE + "    isolation: {enabled: true, branch_prefix: podium}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")

    def worktrees(store: SqliteStore, tasks: object) -> Worktrees:
        return Worktrees(
            records=store.worktrees,
            notes=store,
            active=lambda job_id: True,
            tasks=tasks,  # type: ignore[arg-type]
            clock=lambda: 1.0,
        )

    async def body(jobs: Jobs) -> None:
        with pytest.raises(UserError, match="there is no sheet 9"):
            await jobs.answered(jobs.admission.submit(str(score), None, start_sheet=9))
        await jobs.answered(jobs.admission.submit(str(score), None))
        with pytest.raises(JobAlreadyRunning):
            await jobs.answered(jobs.admission.submit(str(score), None))
        assert [w.job_id for w, _ in jobs.store.worktrees.on_disk()] == ["build"]

    with_jobs(tmp_path, body, worktrees)
    assert sorted(p.name for p in (repo / ".worktrees").iterdir()) == ["build"]
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/podium/")
    assert branches.split() == ["podium/build"]
