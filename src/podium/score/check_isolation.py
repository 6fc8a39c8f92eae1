"""P007: a score that asks for a git worktree per job, but whose workspace is not in a git
repository (no `.git` in it or above it), so no worktree can be made."""

from collections.abc import Iterator
from pathlib import Path

from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic
from podium.score.findings import WARNING, finding


def isolation(score: CompiledScore) -> Iterator[Diagnostic]:
    wanted = score.isolation
    if wanted is None or in_git_repository(score.workspace):
        return
    then = (
        "each job runs in the workspace itself"
        if wanted.fallback_on_error
        else "'podium run' refuses the score (isolation.fallback_on_error is false)"
    )
    yield finding(
        score,
        ("isolation",),
        f"the workspace {score.workspace} is not in a git repository, so no worktree can be "
        f"made for a job: {then}; make it part of one ('git init', then commit once)",
        "P007",
        WARNING,
        key=True,
    )


def in_git_repository(folder: Path) -> bool:
    return any((candidate / ".git").exists() for candidate in (folder, *folder.parents))
