"""Whether the database can be trusted at a start: a conductor never starts on a database that
is unreadable, or that knows no job while job folders say there were some (its -wal file lost
after a crash, say): it would forget them without a word. It stops, says what it found and
how to get the jobs back."""

import contextlib
import os
import sqlite3
from pathlib import Path

from podium.store.backups import backups, problem_of
from podium.store.sqlite import StoreError

QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
"""Past this size, a start checks the database's header only: `quick_check` reads every page
(about 0.1 s per 100 MB), and a start answers within a fraction of a second whatever the
history; `podium doctor --repair` always checks it whole."""

_HEADER = b"SQLite format 3\x00"


class StateDamaged(StoreError):
    """The database cannot be trusted; the message says why and the way out."""


def check_readable(database: Path, backups_dir: Path) -> None:
    """Raise StateDamaged when the database exists but is not sound."""
    try:
        size = database.stat().st_size
    except FileNotFoundError:
        return
    wal = Path(f"{database}-wal")
    crashed = wal.exists() and wal.stat().st_size > 0
    if size == 0 and not crashed:
        return  # made by a start that stopped at once: nothing was ever written
    problem = _header_problem(database, size)
    if problem is None and size <= QUICK_CHECK_MAX_BYTES:
        problem = problem_of(database)
    if problem is not None:
        raise StateDamaged(damaged(f"the database {database} is damaged ({problem})", backups_dir))


def _header_problem(database: Path, size: int) -> str | None:
    """What the first 100 bytes say is wrong: not a database, or shorter than it says."""
    if size == 0:
        return None  # a WAL may hold all of it
    with database.open("rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(_HEADER):
        return "it is not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if size < pages * page_size:
        return f"it is cut short: {size} bytes of the {pages * page_size} it says it holds"
    return None


def check_not_forgotten(job_count: int, jobs_dir: Path, database: Path, backups_dir: Path) -> None:
    """Raise StateDamaged when the database knows no job but job folders exist."""
    if job_count:
        return
    folders = job_folders(jobs_dir)
    if not folders:
        return
    shown = ", ".join(folders[:5]) + (", …" if len(folders) > 5 else "")
    raise StateDamaged(
        damaged(
            f"the database {database} knows no job, but {jobs_dir} holds the folders of "
            f"{len(folders)} ({shown}): the database was lost or damaged (its -wal file "
            "missing or broken after a crash, say)",
            backups_dir,
        )
    )


def job_folders(jobs_dir: Path) -> list[str]:
    """The names of the job folders under `jobs_dir`, sorted; not what a clear set aside (a
    job id never starts with a dot)."""
    try:
        return sorted(
            e.name
            for e in os.scandir(jobs_dir)
            if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
        )
    except OSError:
        return []


def damaged(found: str, backups_dir: Path) -> str:
    """What was found, and the way out: the repair command, and the newest backups."""
    copies = backups(backups_dir)[:3]
    listed = "".join(f"\n  {b.path} (taken {b.when()})" for b in copies)
    kept = f"; the newest backups:{listed}" if copies else f"; there is no backup in {backups_dir}"
    return (
        f"{found}. The conductor does not start on it, so that no job is forgotten. Run "
        "'podium doctor --repair': it moves the database aside (never deletes it), restores "
        "the newest sound backup and registers the job folders it does not know, saying "
        f"what it could not prove{kept}"
    )


def unknown_folders(database: Path, jobs_dir: Path) -> list[str]:
    """The job folders whose job the database does not know (on a connection of its own, in
    a thread): what a partly lost database forgot, or what a `clear` could not remove."""
    folders = job_folders(jobs_dir)
    if not folders:
        return []
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        known = {str(r[0]) for r in db.execute("SELECT job_id FROM jobs")}
    return [f for f in folders if f not in known]
