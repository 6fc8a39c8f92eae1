"""Archiving a workspace for a fresh run."""

from datetime import datetime
from pathlib import Path

from podium.runtime.worktrees.archive import ArchivePolicy, archive_workspace

NOW = datetime(2026, 11, 27, 15, 30, 0)
KEEP = ArchivePolicy(preserve_patterns=(".iteration", ".marianne-*", "archive/**"))


def fill(workspace: Path, *names: str) -> None:
    for name in names:
        path = workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


def test_the_contents_move_to_a_numbered_archive_and_preserved_files_stay(tmp_path: Path) -> None:
    fill(tmp_path, "report.md", "out/data.json", ".iteration", ".marianne-state")
    archived = archive_workspace(tmp_path, KEEP, NOW)
    assert archived == tmp_path / "archive" / "iteration-1"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".iteration",
        ".marianne-state",
        "archive",
    ]
    assert (archived / "out" / "data.json").read_text() == "out/data.json"
    fill(tmp_path, "report.md")
    assert archive_workspace(tmp_path, KEEP, NOW) == tmp_path / "archive" / "iteration-2"


def test_nothing_to_move_makes_no_archive(tmp_path: Path) -> None:
    assert archive_workspace(tmp_path / "missing", KEEP, NOW) is None
    fill(tmp_path, ".iteration")
    assert archive_workspace(tmp_path, KEEP, NOW) is None
    assert not (tmp_path / "archive").exists()


def test_timestamped_archives_never_collide(tmp_path: Path) -> None:
    policy = ArchivePolicy(naming="timestamp", archive_dir="old")
    fill(tmp_path, "a")
    first = archive_workspace(tmp_path, policy, NOW)
    fill(tmp_path, "b")
    second = archive_workspace(tmp_path, policy, NOW)
    assert (first, second) == (
        tmp_path / "old" / "20261127-153000",
        tmp_path / "old" / "20261127-153000-2",
    )


def test_only_the_newest_archives_are_kept(tmp_path: Path) -> None:
    policy = ArchivePolicy(max_archives=2)
    for n in range(12):
        fill(tmp_path, f"run-{n}")
        archive_workspace(tmp_path, policy, NOW)
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == [
        "iteration-11",
        "iteration-12",
    ]


def test_preserve_patterns_keep_whole_folders_in_place(tmp_path: Path) -> None:
    fill(tmp_path, "report.md", ".worktrees/notes.txt", "archive/iteration-1/old.md")
    policy = ArchivePolicy(preserve_patterns=("archive/**", ".worktrees/**"))
    archived = archive_workspace(tmp_path, policy, NOW)
    assert archived == tmp_path / "archive" / "iteration-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".worktrees", "archive"]
    assert (tmp_path / ".worktrees" / "notes.txt").exists()
    assert sorted(p.name for p in archived.iterdir()) == ["report.md"]


def test_git_worktrees_are_never_archived_even_when_no_pattern_keeps_them(
    tmp_path: Path,
) -> None:
    # A worktree's `.git` is a file naming its repository; jobs may be running in it.
    fill(tmp_path, "report.md", ".worktrees/job/.git", "wt/.git", "repo/.git/HEAD")
    archived = archive_workspace(tmp_path, ArchivePolicy(), NOW)
    assert archived is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [".worktrees", "archive", "wt"]
    assert sorted(p.name for p in archived.iterdir()) == ["repo", "report.md"]
