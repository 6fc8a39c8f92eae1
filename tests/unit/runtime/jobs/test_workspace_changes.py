"""What changed in a workspace since a moment, told to a person asked to approve a sheet."""

import os
from pathlib import Path

import pytest

from podium.runtime.jobs import workspace_changes
from podium.runtime.jobs.workspace_changes import changed_since


def write(path: Path, text: str, at: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (at, at))


def test_the_files_written_since_are_counted_newest_named_first(tmp_path: Path) -> None:
    write(tmp_path / "old.txt", "before", 100.0)
    write(tmp_path / "src" / "a.py", "x" * 2048, 200.0)
    write(tmp_path / "b.md", "new", 300.0)
    write(tmp_path / ".git" / "index", "tools' own", 300.0)
    found = changed_since(tmp_path, 150.0)
    assert found.describe("the job started") == (
        "2 file(s) of the workspace changed since the job started (2.0 KB): b.md, src/a.py"
    )


def test_nothing_changed_says_so(tmp_path: Path) -> None:
    write(tmp_path / "old.txt", "before", 100.0)
    assert changed_since(tmp_path, 150.0).describe("attempt 1 started") == (
        "no file of the workspace changed since attempt 1 started"
    )


def test_many_changes_name_the_newest_and_count_the_rest(tmp_path: Path) -> None:
    for n in range(8):
        write(tmp_path / f"f{n}.txt", "y", 200.0 + n)
    text = changed_since(tmp_path, 150.0).describe("then")
    assert text == (
        "8 file(s) of the workspace changed since then (8 B): f7.txt, f6.txt, f5.txt, f4.txt, "
        "f3.txt and 3 more"
    )


def test_a_huge_workspace_is_looked_at_in_part_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workspace_changes, "MOST_FILES", 3)
    for n in range(5):
        write(tmp_path / f"f{n}.txt", "z" * 2**20, 200.0)
    text = changed_since(tmp_path, 150.0).describe("then")
    assert text.startswith("3 file(s) of the workspace changed since then (3.0 MB)")
    assert text.endswith("(the first 3 files looked at)")
