"""Where a job's worktree goes, its branch, and whether it stays when the job ends."""

from dataclasses import replace
from pathlib import PurePath

import pytest

from podium.domain.ids import JobId
from podium.domain.isolation import (
    Isolation,
    Worktree,
    base_folder,
    branch_name,
    exclude_pattern,
    job_workspace,
    keep_reason,
    occupants,
    occupied_note,
    removed_note,
    removes_on_end,
    save_message,
    worktree_name,
)
from podium.domain.status import JobStatus

REPO = PurePath("/repo")
WORKTREE = Worktree(JobId("j"), "/repo", "/repo/.worktrees/j", "p/j", "abc", "/repo/.worktrees/j")


def test_worktrees_go_under_dot_worktrees_unless_the_score_names_a_base() -> None:
    assert base_folder(REPO, Isolation()) == PurePath("/repo/.worktrees")
    assert base_folder(REPO, Isolation(worktree_base="tmp/wt")) == PurePath("/repo/tmp/wt")
    assert base_folder(REPO, Isolation(worktree_base="/elsewhere")) == PurePath("/elsewhere")


def test_the_branch_is_the_prefix_and_the_name() -> None:
    assert branch_name(Isolation(branch_prefix="podium"), "build-2") == "podium/build-2"


def test_a_name_left_by_an_earlier_job_is_never_reused() -> None:
    assert worktree_name(JobId("build"), set()) == "build"
    assert worktree_name(JobId("build"), {"build", "build-2", "other"}) == "build-3"


def test_the_workspace_keeps_its_place_inside_the_worktree() -> None:
    tree = PurePath("/repo/.worktrees/job")
    assert job_workspace(REPO, tree, PurePath("/repo/sub/ws")) == tree / "sub" / "ws"
    assert job_workspace(REPO, tree, REPO) == tree
    with pytest.raises(ValueError, match="not in the subpath"):
        job_workspace(REPO, tree, PurePath("/other/ws"))


def test_only_worktrees_inside_the_repository_need_excluding() -> None:
    assert exclude_pattern(REPO, PurePath("/repo/.worktrees")) == ".worktrees/"
    assert exclude_pattern(REPO, PurePath("/repo/tmp/wt")) == "tmp/wt/"
    assert exclude_pattern(REPO, PurePath("/elsewhere")) is None
    assert exclude_pattern(REPO, REPO) is None


@pytest.mark.parametrize(
    ("status", "success", "failure", "removed"),
    [
        (JobStatus.COMPLETED, True, False, True),
        (JobStatus.COMPLETED, False, True, False),
        (JobStatus.FAILED, True, False, False),
        (JobStatus.CANCELLED, False, True, True),
        (JobStatus.FAILED, False, True, True),
        (JobStatus.PAUSED, True, True, False),
    ],
)
def test_the_score_says_which_ends_remove_the_worktree(
    status: JobStatus, success: bool, failure: bool, removed: bool
) -> None:
    tree = replace(WORKTREE, cleanup_on_success=success, cleanup_on_failure=failure)
    assert removes_on_end(tree, status) is removed


def test_a_kept_worktree_names_the_setting_that_kept_it() -> None:
    assert keep_reason(JobStatus.COMPLETED) == "isolation.cleanup_on_success is false"
    assert keep_reason(JobStatus.CANCELLED) == "isolation.cleanup_on_failure is false"


def test_the_saving_commit_names_the_job() -> None:
    assert save_message(JobId("build"), JobStatus.FAILED) == (
        "podium: work left uncommitted by job build (failed)"
    )
    assert save_message(JobId("build"), None) == "podium: work left uncommitted by job build"


def test_a_worktree_is_occupied_by_the_other_jobs_working_inside_it() -> None:
    jobs = [
        (JobId("j"), "/repo/.worktrees/j"),
        (JobId("child"), "/repo/.worktrees/j/ws"),
        (JobId("beside"), "/repo/.worktrees/j-2/ws"),
        (JobId("also"), "/repo/.worktrees/j"),
        (JobId("main"), "/repo/ws"),
    ]
    assert occupants(WORKTREE, jobs) == ["also", "child"]
    assert occupants(WORKTREE, []) == []


def test_an_occupied_worktree_says_who_works_in_it() -> None:
    assert occupied_note(WORKTREE, [JobId("child")]) == (
        "worktree /repo/.worktrees/j kept: job child runs in it; it is removed when that job ends"
    )
    assert occupied_note(WORKTREE, [JobId("a"), JobId("b")]) == (
        "worktree /repo/.worktrees/j kept: jobs a, b run in it; it is removed when the last of "
        "them ends"
    )


def test_a_removal_counts_the_ignored_files_that_went_with_it() -> None:
    removed = "worktree /repo/.worktrees/j removed; branch p/j kept"
    assert removed_note(WORKTREE, []) == removed
    assert removed_note(WORKTREE, [".env"]) == (
        f"{removed}; 1 file or folder git ignores went with it: .env"
    )
    many = [f"f{n}" for n in range(7)]
    assert removed_note(WORKTREE, many) == (
        f"{removed}; 7 files or folders git ignores went with it: f0, f1, f2, f3, f4 and 2 more"
    )
