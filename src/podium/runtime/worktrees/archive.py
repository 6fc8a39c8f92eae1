"""Archiving a workspace before a fresh run (`run --fresh` with
`workspace_lifecycle.archive_on_fresh`), so that files of the previous run cannot make the new
run's validations pass by themselves.

Every entry of the workspace moves into a new folder under `archive_dir` (`iteration-N`, or a
timestamp), except the archive folder itself, what `preserve_patterns` keep in place, and git
worktrees (a folder whose `.git` is a file) or folders of them (`.worktrees`), where jobs may be
running; with `max_archives`, the oldest archives beyond that many are deleted.
"""

import fnmatch
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from podium.host.private import make_user_dir

_ITERATION = re.compile(r"iteration-(\d+)")


@dataclass(frozen=True, slots=True)
class ArchivePolicy:
    archive_dir: str = "archive"
    """Relative to the workspace (or absolute)."""
    naming: str = "iteration"
    """iteration (iteration-1, iteration-2…) or timestamp (20261127-153000)."""
    max_archives: int = 0
    """Keep at most this many archives; 0 keeps them all."""
    preserve_patterns: tuple[str, ...] = ()
    """Workspace paths (glob, relative) that stay in place."""


def archive_workspace(workspace: Path, policy: ArchivePolicy, now: datetime) -> Path | None:
    """Move the workspace's contents into a new archive; the archive, or None when there was
    nothing to move."""
    if not workspace.is_dir():
        return None
    root = workspace / policy.archive_dir
    moving = [
        entry
        for entry in sorted(workspace.iterdir())
        if entry.resolve() != root.resolve()
        and not _preserved(entry.name, policy)
        and not _holds_worktrees(entry)
    ]
    if not moving:
        return None
    target = root / _name(root, policy.naming, now)
    make_user_dir(target)  # the workspace is the user's, so are its archives
    for entry in moving:
        shutil.move(str(entry), str(target / entry.name))
    if policy.max_archives:
        _prune(root, policy.max_archives)
    return target


def _preserved(name: str, policy: ArchivePolicy) -> bool:
    for pattern in policy.preserve_patterns:
        top = pattern.split("/", 1)[0]
        if fnmatch.fnmatchcase(name, pattern) or (
            "/" in pattern and fnmatch.fnmatchcase(name, top)
        ):
            return True
    return False


def _holds_worktrees(entry: Path) -> bool:
    if not entry.is_dir() or entry.is_symlink():
        return False
    if (entry / ".git").is_file():
        return True
    return any((child / ".git").is_file() for child in entry.iterdir() if child.is_dir())


def _name(root: Path, naming: str, now: datetime) -> str:
    if naming == "timestamp":
        base = now.strftime("%Y%m%d-%H%M%S")
        name, n = base, 1
        while (root / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name
    taken = [int(m.group(1)) for p in _archives(root) if (m := _ITERATION.fullmatch(p.name))]
    return f"iteration-{max(taken, default=0) + 1}"


def _archives(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []


def _prune(root: Path, keep: int) -> None:
    archives = sorted(_archives(root), key=lambda p: (p.stat().st_mtime_ns, _natural(p.name)))
    for old in archives[: max(0, len(archives) - keep)]:
        shutil.rmtree(old)


def _natural(name: str) -> tuple[tuple[int, str], ...]:
    """'iteration-10' after 'iteration-9'."""
    return tuple(
        (int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", name)
    )
