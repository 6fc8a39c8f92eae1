"""A score with `isolation` as a user runs it: validate, run, status, on a git repository."""

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import User, wait_for

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SCORE = """
    name: build
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    isolation: {enabled: true, branch_prefix: podium}
    prompt:
      template: |
        echo built > result.txt
    validations:
      - {type: file_exists, path: "{workspace}/result.txt"}
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@x", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_a_job_with_isolation_leaves_the_checkout_alone_and_its_work_on_a_branch(
    podium: User, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    score = repo / "build.yaml"
    score.write_text(textwrap.dedent(SCORE))
    git(repo, "init", "-q")
    git(repo, "add", "build.yaml")
    git(repo, "commit", "-q", "-m", "a score")
    checked = podium("validate", str(score))
    assert checked.returncode == 0, checked.stdout
    assert "P001" not in checked.stdout and "P007" not in checked.stdout
    run = podium("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    worktree = repo / ".worktrees" / "build"
    wait_for(lambda: not worktree.exists(), "the worktree to be removed")
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "show", "podium/build:ws/result.txt") == "built\n"
    found = json.loads(podium("status", "build", "--json").stdout)
    assert found["worktree"]["branch"] == "podium/build"
    wait_for(
        lambda: json.loads(podium("status", "build", "--json").stdout)["worktree"]["removed"],
        "the removal to be recorded",
    )
    shown = podium("status", "build").stdout
    assert "worktree   removed; its work is on branch podium/build" in shown
    assert f"git -C {repo} show --stat podium/build" in shown


def test_validate_warns_when_the_workspace_is_not_in_a_repository(
    podium: User, tmp_path: Path
) -> None:
    score = tmp_path / "build.yaml"
    score.write_text(textwrap.dedent(SCORE))
    checked = podium("validate", str(score))
    assert checked.returncode == 0, checked.stdout
    assert "P007" in checked.stdout
    assert "is not in a git repository" in checked.stdout
