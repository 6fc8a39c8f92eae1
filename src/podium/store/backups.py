"""Rolling copies of the database, taken with SQLite's online backup API (a consistent copy
while the conductor writes), kept in `<state>/backups/` as `podium-<UTC time>.db`, private,
the newest `KEEP` of them. Each copy is taken on a connection of its own, so it runs in a
thread, off the engine's loop."""

import calendar
import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

KEEP = 7
"""Copies kept; the oldest go first."""

EVERY_SECONDS = 24 * 3600.0
"""A running conductor takes a copy when the newest is this old (and at a start after that)."""

_PREFIX, _SUFFIX, _PARTIAL = "podium-", ".db", ".partial"


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: float

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.taken_at))


def backups(folder: Path) -> list[Backup]:
    """The copies in `folder`, newest first."""
    found = []
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{_PREFIX}*{_SUFFIX}"):
            stamp = path.name.removeprefix(_PREFIX).removesuffix(_SUFFIX)
            with contextlib.suppress(ValueError):
                taken = calendar.timegm(time.strptime(stamp[:16], "%Y%m%dT%H%M%SZ"))
                found.append(Backup(path, taken))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def take_backup(database: Path, folder: Path, now: float, keep: int = KEEP) -> Path:
    """Copy `database` into `folder` (made private if new) and drop all but the newest `keep`
    copies. Raises OSError or sqlite3.Error when it cannot (nothing half-written is left)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in folder.glob(f"{_PREFIX}*{_SUFFIX}{_PARTIAL}"):
        # A copy cut short by a crash: as big as the database, and never of use.
        stale.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    target = folder / f"{_PREFIX}{stamp}-{int(now * 1000) % 1000:03d}{_SUFFIX}"
    partial = target.with_name(target.name + _PARTIAL)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as source,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    for old in backups(folder)[keep:]:
        old.path.unlink(missing_ok=True)
    return target


def problem_of(path: Path) -> str | None:
    """What `PRAGMA quick_check` finds wrong with the database at `path`; None when sound."""
    try:
        # Not read-only: a database whose -shm file is gone needs to make it again.
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found[:3])
