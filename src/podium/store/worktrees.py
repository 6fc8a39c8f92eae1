"""The jobs' git worktrees, in the conductor's SQLite database.

A worktree is recorded as soon as it exists, before its job is submitted (so the row has no
reference to the job's): a conductor that stops in between finds it at the next start.
"""

import contextlib
import sqlite3
from collections.abc import Callable

from podium.domain.ids import JobId
from podium.domain.isolation import Worktree
from podium.domain.status import JobStatus
from podium.store.codec import RowCodec

Transaction = Callable[[], contextlib.AbstractContextManager[None]]

_ROWS = RowCodec(Worktree)
_COLUMNS = ", ".join(_ROWS.columns)
# The queries are built from the record's field names only, never from values.
_MARKS = ", ".join("?" * len(_ROWS.columns))
_INSERT = f"INSERT OR REPLACE INTO worktrees ({_COLUMNS}) VALUES ({_MARKS})"  # noqa: S608
_SELECT = f"SELECT {_COLUMNS} FROM worktrees WHERE job_id = ?"  # noqa: S608
_ON_DISK = (
    f"SELECT {', '.join('w.' + c for c in _ROWS.columns)}, j.status FROM worktrees w "  # noqa: S608
    "LEFT JOIN jobs j ON j.job_id = w.job_id WHERE w.removed_at IS NULL ORDER BY w.job_id"
)
_FINISHED = tuple(s.value for s in JobStatus if s.is_terminal)
_IN_USE = (
    "SELECT job_id, workspace FROM jobs "  # noqa: S608
    f"WHERE status NOT IN ({', '.join('?' * len(_FINISHED))}) ORDER BY job_id"
)


class WorktreeRows:
    def __init__(self, db: sqlite3.Connection, transaction: Transaction) -> None:
        self._db = db
        self._transaction = transaction

    def add(self, worktree: Worktree) -> None:
        with self._transaction():
            self._db.execute(_INSERT, _ROWS.row(worktree))

    def get(self, job_id: JobId) -> Worktree | None:
        row = self._db.execute(_SELECT, (job_id,)).fetchone()
        return None if row is None else _ROWS.record(row)

    def on_disk(self) -> list[tuple[Worktree, JobStatus | None]]:
        """The worktrees not removed, with their job's status (None: the job is not stored,
        because its submission never completed or it was cleared)."""
        rows = self._db.execute(_ON_DISK)
        width = len(_ROWS.columns)
        return [
            (_ROWS.record(r[:width]), None if r[width] is None else JobStatus(r[width]))
            for r in rows
        ]

    def in_use(self) -> list[tuple[JobId, str]]:
        """The unfinished jobs' ids and workspaces (a worktree stays while one works in it)."""
        return [(JobId(j), w) for j, w in self._db.execute(_IN_USE, _FINISHED)]

    def removed(self, job_id: JobId, at: float | None) -> None:
        """The worktree is gone (`at`), or back on disk (None)."""
        with self._transaction():
            self._db.execute("UPDATE worktrees SET removed_at = ? WHERE job_id = ?", (at, job_id))

    def forget(self, job_id: JobId, path: str) -> None:
        """Drop the job's record if it is still that of the worktree at `path` (a submission
        with the same id may have recorded a worktree of its own since)."""
        with self._transaction():
            self._db.execute("DELETE FROM worktrees WHERE job_id = ? AND path = ?", (job_id, path))
