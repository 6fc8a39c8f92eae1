"""What changed in a job's workspace since a moment: the files written since then, for the
person asked to approve a sheet (`approvals.list`). Looked at when asked, within a bound of
files, so that a huge workspace costs a bounded look."""

import os
from dataclasses import dataclass
from pathlib import Path

MOST_FILES = 20_000
"""Files looked at, at most; past it the answer says it looked at part of the workspace."""
NAMED = 5
"""Changed files named, at most (the newest)."""
SKIPPED = frozenset({".git", "node_modules", ".venv", "__pycache__"})
"""Folders not looked into: tools' own, not the work."""


@dataclass(frozen=True, slots=True)
class Changes:
    files: int
    size: int
    newest: tuple[str, ...]
    """The newest changed files, relative to the workspace."""
    complete: bool
    """False: the workspace has more files than were looked at."""

    def describe(self, since: str) -> str:
        if not self.files:
            text = f"no file of the workspace changed since {since}"
        else:
            named = ", ".join(self.newest)
            more = f" and {self.files - len(self.newest)} more" if self.files > NAMED else ""
            text = (
                f"{self.files} file(s) of the workspace changed since {since} "
                f"({_size(self.size)}): {named}{more}"
            )
        return text if self.complete else f"{text} (the first {MOST_FILES:,} files looked at)"


def changed_since(workspace: Path, since: float) -> Changes:
    """The files under `workspace` modified at `since` or later (tools' folders left out)."""
    found: list[tuple[float, str, int]] = []
    looked = 0
    for root, folders, files in os.walk(workspace):
        folders[:] = [f for f in folders if f not in SKIPPED]
        for name in files:
            looked += 1
            if looked > MOST_FILES:
                return _changes(found, complete=False)
            path = Path(root, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            if info.st_mtime >= since:
                found.append((info.st_mtime, str(path.relative_to(workspace)), info.st_size))
    return _changes(found, complete=True)


def _changes(found: list[tuple[float, str, int]], *, complete: bool) -> Changes:
    newest = tuple(name for _, name, _ in sorted(found, reverse=True)[:NAMED])
    return Changes(len(found), sum(size for *_, size in found), newest, complete)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024**2:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024**2:.1f} MB"
