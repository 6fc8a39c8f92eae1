"""A git worktree per job (`isolation`), on a real conductor and a real git repository."""

import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_CLEAR, JOB_LIST, JOB_RESUME
from podium.ipc.schema import JobStatusResult, WorktreeInfo
from podium.testing.conductor import ConductorProcess

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SCORE = """
    name: isolated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3, dependencies: {3: [1, 2]}}
    parallel: {enabled: true}
    retry: {max_retries: 0, max_completion_attempts: 0}
    isolation: {enabled: true, branch_prefix: podium}
    prompt:
      template: |
        echo made-{{ sheet_num }} > result-{{ sheet_num }}.txt
    validations:
      - {type: file_exists, path: "{workspace}/result-{sheet_num}.txt"}
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def make_repo(folder: Path, score: str) -> Path:
    """A repository with one commit, holding the score; the score's path."""
    folder.mkdir()
    git(folder, "init", "-q")
    git(folder, "config", "user.name", "Tester")
    git(folder, "config", "user.email", "tester@example.com")
    path = folder / "score.yaml"
    path.write_text(textwrap.dedent(score))
    git(folder, "add", "score.yaml")
    git(folder, "commit", "-q", "-m", "a score")
    return path


def worktree_of(job: JobStatusResult) -> WorktreeInfo:
    """The job's worktree, which it has (`isolation`)."""
    found = job["worktree"]
    assert found is not None, f"job {job['job_id']} has no worktree"
    return found


def history(conductor: ConductorProcess, job: str) -> str:
    return "\n".join(n["text"] for n in conductor.status(job)["history"])


def test_a_job_runs_in_its_own_worktree_and_its_work_is_committed_to_its_branch(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    job = conductor.submit(make_repo(repo, SCORE))
    worktree = repo / ".worktrees" / job
    done = conductor.wait_for_job(job, "completed")
    assert done["workspace"] == str(worktree / "ws")
    assert worktree_of(done)["branch"] == f"podium/{job}"
    conductor.wait_until(lambda: not worktree.exists(), 20, "the worktree to be removed")
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / "ws").exists()
    assert git(repo, "show", f"podium/{job}:ws/result-1.txt") == "made-1\n"
    assert git(repo, "show", f"podium/{job}:ws/result-3.txt") == "made-3\n"
    assert git(repo, "branch", "--show-current").strip() != f"podium/{job}"
    assert ".worktrees/" in (repo / ".git" / "info" / "exclude").read_text().splitlines()
    conductor.wait_until(
        lambda: worktree_of(conductor.status(job))["removed"], 20, "the removal to be recorded"
    )
    notes = history(conductor, job)
    assert f"runs in worktree {worktree} on branch podium/{job}" in notes
    assert f"committed them to branch podium/{job}" in notes
    assert f"worktree {worktree} removed; branch podium/{job} kept" in notes


def test_a_failed_job_keeps_its_worktree_until_it_is_cleared(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    job = conductor.submit(make_repo(repo, SCORE.replace("> result", "> other")))
    worktree = repo / ".worktrees" / job
    conductor.wait_for_job(job, "failed")
    conductor.wait_until(lambda: "kept" in history(conductor, job), 20, "the worktree's fate")
    assert "isolation.cleanup_on_failure is false" in history(conductor, job)
    assert (worktree / "ws" / "other-1.txt").read_text() == "made-1\n"
    assert worktree_of(conductor.status(job))["removed"] is False
    assert git(repo, "status", "--porcelain") == ""
    cleared = conductor.request(JOB_CLEAR({"job_ids": [job]}))
    assert cleared["problems"] == []
    assert not worktree.exists()
    assert git(repo, "show", f"podium/{job}:ws/other-1.txt") == "made-1\n"


def test_outside_a_repository_the_job_runs_in_place_with_a_warning(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    score = folder / "score.yaml"
    score.write_text(textwrap.dedent(SCORE))
    job = conductor.submit(score)
    assert conductor.wait_for_job(job, "completed")["worktree"] is None
    assert (folder / "ws" / "result-1.txt").read_text() == "made-1\n"
    assert "warning: no git worktree, runs in the workspace itself" in history(conductor, job)
    assert "not a git repository" in history(conductor, job)


def test_without_fallback_a_job_outside_a_repository_is_refused(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    score = folder / "score.yaml"
    score.write_text(
        textwrap.dedent(SCORE).replace("branch_prefix: podium", "fallback_on_error: false")
    )
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    assert "cannot make a git worktree" in refused.value.message
    assert "not a git repository" in refused.value.message
    assert "isolation.fallback_on_error: true" in refused.value.message
    assert conductor.request(JOB_LIST({"all": True}))["jobs"] == []


GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    retry: {max_retries: 0, max_completion_attempts: 0}
    isolation: {enabled: true, branch_prefix: podium, cleanup_on_failure: true}
    prompt:
      template: |
        echo tried >> tries.txt
        test -e GATE && echo made > result.txt
    validations:
      - {type: file_exists, path: "{workspace}/result.txt"}
"""
"""Fails until the file GATE exists; its worktree goes when it fails."""


def test_a_job_brought_back_gets_its_worktree_again_from_its_branch(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    repo, gate = tmp_path / "repo", tmp_path / "go"
    job = conductor.submit(make_repo(repo, GATED.replace("GATE", str(gate))))
    worktree = repo / ".worktrees" / job
    conductor.wait_for_job(job, "failed")
    conductor.wait_until(
        lambda: worktree_of(conductor.status(job))["removed"], 20, "the worktree to be removed"
    )
    assert not worktree.exists()
    gate.touch()
    conductor.request(JOB_RESUME({"job_id": job}))
    conductor.wait_for_job(job, "completed")
    assert f"worktree {worktree} made again from its branch" in history(conductor, job)
    conductor.wait_until(lambda: not worktree.exists(), 20, "the worktree to be removed again")
    assert git(repo, "show", f"podium/{job}:ws/tries.txt") == "tried\ntried\n"
    assert git(repo, "show", f"podium/{job}:ws/result.txt") == "made\n"
    assert git(repo, "status", "--porcelain") == ""


def test_at_start_the_worktrees_of_jobs_that_ended_meanwhile_are_removed(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    first = conductors()
    kept = SCORE.replace(
        "branch_prefix: podium", "branch_prefix: podium, cleanup_on_success: false"
    )
    job = first.submit(make_repo(repo, kept))
    worktree = repo / ".worktrees" / job
    first.wait_for_job(job, "completed")
    first.wait_until(lambda: "kept" in history(first, job), 20, "the worktree's fate")
    first.stop()
    # As if the conductor had stopped between the job's end and the removal of its worktree,
    # and a submission had never completed.
    first.query("UPDATE worktrees SET cleanup_on_success = 1")
    git(repo, "worktree", "add", "-q", "-b", "podium/lost", str(repo / ".worktrees" / "lost"))
    first.query(
        "INSERT INTO worktrees SELECT 'lost', repo, ?, 'podium/lost', base_commit, workspace, "
        "1, 0, 0, NULL FROM worktrees",
        str(repo / ".worktrees" / "lost"),
    )
    second = conductors()
    second.wait_until(
        lambda: not worktree.exists() and not (repo / ".worktrees" / "lost").exists(),
        20,
        "the worktrees to be removed",
    )
    assert git(repo, "show", f"podium/{job}:ws/result-1.txt") == "made-1\n"
    second.wait_until(lambda: worktree_of(second.status(job))["removed"], 20, "the record")
    # The lost one's record goes once git has removed its folder, a moment after it vanished.
    second.wait_until(
        lambda: second.query("SELECT job_id FROM worktrees") == [(job,)], 20, "the lost record"
    )
    assert "podium/lost" in git(repo, "branch", "--list", "podium/*")


def test_a_refused_submission_leaves_no_worktree_or_branch_behind(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    repo, gate = tmp_path / "repo", tmp_path / "go"
    waiting = GATED.replace("test -e GATE", "while [ ! -e GATE ]; do sleep 0.02; done; true")
    score = make_repo(repo, waiting.replace("GATE", str(gate)))
    first = conductor.submit(score)
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    assert "already running" in refused.value.message
    assert sorted(p.name for p in (repo / ".worktrees").iterdir()) == [first]
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/podium/")
    assert branches.split() == [f"podium/{first}"]
    gate.touch()
    conductor.wait_for_job(first, "completed")


CHAINED = """
    name: parent
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    isolation: {enabled: true, branch_prefix: podium}
    prompt: {template: 'echo parent > parent.txt'}
    concert: {cooldown_between_jobs_seconds: 0}
    on_success:
      - {type: run_job, job_path: child.yaml}
"""
CHILD = """
    name: child
    workspace: ./elsewhere
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt:
      template: |
        while [ ! -e GATE ]; do sleep 0.02; done; echo child > child.txt
"""
"""Runs in its parent's workspace (concert.inherit_workspace), until the file GATE exists."""


def chain(repo: Path, gate: Path) -> Path:
    score = make_repo(repo, CHAINED)
    (repo / "child.yaml").write_text(textwrap.dedent(CHILD).replace("GATE", str(gate)))
    return score


def chained_job(conductor: ConductorProcess, parent: str) -> str:
    [hook] = conductor.wait_for_job(parent, "completed")["hooks"]
    return str(hook["chained_job"])


def test_a_worktree_stays_while_a_chained_job_works_in_it(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    repo, gate = tmp_path / "repo", tmp_path / "go"
    parent = conductor.submit(chain(repo, gate))
    worktree = repo / ".worktrees" / parent
    child = chained_job(conductor, parent)
    assert conductor.status(child)["workspace"] == str(worktree / "ws")
    kept = f"worktree {worktree} kept: job {child} runs in it; it is removed when that job ends"
    conductor.wait_until(lambda: kept in history(conductor, parent), 20, "the worktree's fate")
    assert worktree.is_dir()
    gate.touch()
    conductor.wait_for_job(child, "completed")
    conductor.wait_until(lambda: not worktree.exists(), 20, "the worktree to be removed")
    assert git(repo, "show", f"podium/{parent}:ws/child.txt") == "child\n"
    assert git(repo, "show", f"podium/{parent}:ws/parent.txt") == "parent\n"
    conductor.wait_until(
        lambda: worktree_of(conductor.status(parent))["removed"], 20, "the removal to be recorded"
    )


def test_at_start_a_worktree_stays_while_a_job_that_works_in_it_runs(
    conductors: Callable[..., ConductorProcess], tmp_path: Path
) -> None:
    repo, gate = tmp_path / "repo", tmp_path / "go"
    first = conductors()
    parent = first.submit(chain(repo, gate))
    worktree = repo / ".worktrees" / parent
    child = chained_job(first, parent)
    kept = f"worktree {worktree} kept: job {child} runs in it"
    first.wait_until(lambda: kept in history(first, parent), 20, "the worktree's fate")
    first.stop()  # the child's attempt goes on without a conductor
    second = conductors()
    second.wait_until(
        lambda: history(second, parent).count(kept) == 2, 20, "the worktree's fate at start"
    )
    assert worktree.is_dir()
    gate.touch()
    second.wait_for_job(child, "completed")
    second.wait_until(lambda: not worktree.exists(), 20, "the worktree to be removed")
    assert git(repo, "show", f"podium/{parent}:ws/child.txt") == "child\n"


def test_a_worktree_whose_head_left_the_jobs_branch_is_kept_and_the_history_says_why(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    detaching = SCORE.replace("total_items: 3, dependencies: {3: [1, 2]}", "total_items: 1")
    detaching = detaching.replace("echo made", "git checkout -q --detach && echo made")
    job = conductor.submit(make_repo(repo, detaching))
    worktree = repo / ".worktrees" / job
    conductor.wait_for_job(job, "completed")
    conductor.wait_until(lambda: "kept" in history(conductor, job), 20, "the worktree's fate")
    assert (
        f"worktree {worktree} kept: its HEAD is detached, not on the job's branch podium/{job}"
        in history(conductor, job)
    )
    assert (worktree / "ws" / "result-1.txt").read_text() == "made-1\n"
    assert worktree_of(conductor.status(job))["removed"] is False
