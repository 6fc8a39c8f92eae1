"""The SQLite store: WAL, `synchronous=FULL`, one transaction per engine batch.

The engine's batches (`commit`) and the records of spawned processes (`record_process`) go
through a connection of their own, which any one thread may use at a time (a lock keeps them
in turn): the engine loop commits from a thread of its own, so that it goes on spawning,
reading exits and answering while the disk takes a batch. Everything else, reads included,
uses the loop's connection; in WAL mode a read sees what was committed, never half a batch.
"""

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.errors import PodiumError, StateUnwritable
from podium.domain.gates import GateRecord
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import (
    ActiveJob,
    AttemptRecord,
    Carried,
    HookRecord,
    InFlightHook,
    JobNote,
    JobRecord,
    ProcessInfo,
    RateLimitRecord,
    StoredJob,
    Usage,
)
from podium.domain.status import JobStatus, SheetStatus
from podium.host.private import make_private, make_private_dir
from podium.store.active import BACKLOG, IN_PROGRESS, active_ids, read_active, read_jobs
from podium.store.backups import take_backup
from podium.store.codec import plan_from_json, plan_to_json
from podium.store.fleets import FleetRows
from podium.store.rows import (
    ATTEMPTS,
    GATES,
    HOOKS,
    JOBS,
    SHEETS,
    carried,
    carried_from,
    hook_row,
)
from podium.store.schema import MIGRATIONS
from podium.store.worktrees import WorktreeRows

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.PAUSED_AT_CHAIN)
HISTORY_SHOWN = 50
"""Notes read back with a job (the newest)."""


def _upsert(
    table: str, columns: Sequence[str], key: Sequence[str], fixed: Sequence[str] = ()
) -> str:
    """An idempotent write of a whole record: insert, or update every column but the key (and
    `fixed` ones, which never change once written)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in (*key, *fixed))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


_UPSERT_JOB = _upsert("jobs", JOBS.columns, ("job_id",), ("submitted_at",))
_UPSERT_SHEET = _upsert("sheets", SHEETS.columns, ("job_id", "num"))
_UPSERT_ATTEMPT = _upsert("attempts", ATTEMPTS.columns, ("job_id", "sheet", "attempt"))
_UPSERT_SPEC = _upsert(
    "job_specs",
    ("job_id", "plan", "snapshot", "submit_key", "environment"),
    ("job_id",),
    ("submit_key",),
)
_UPSERT_HOOK = _upsert("hook_results", HOOKS.columns, ("job_id", "num"))
_UPSERT_GATE = _upsert("approvals", GATES.columns, ("job_id", "sheet"))


_UNWRITABLE = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY})
"""Primary result codes of a write the disk refused (not a bug, not a corrupt file)."""


def unwritable(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed because the disk would not take the write."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _UNWRITABLE


class StoreError(PodiumError):
    """The database cannot be used (a newer schema, a corrupt file)."""


class SqliteStore:
    def __init__(self, path: Path, backups_dir: Path | None = None) -> None:
        """Open (or create) the database at `path`; with `backups_dir`, a copy of it is kept
        there before its schema is migrated."""
        make_private_dir(path.parent)
        self.path = path
        self._backups_dir = backups_dir
        self.commits = 0
        """Transactions committed since the store was opened."""
        self._write_lock = threading.Lock()
        self._all_jobs: int | None = None
        """How many jobs there are, once counted, until a job may have come or gone (a
        count of 100,000 rows takes milliseconds, and `status` asks it every time)."""
        self._db = sqlite3.connect(path, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            # SQLite gives its -wal and -shm files the database's mode, when it creates them.
            for name in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                if name.exists():
                    make_private(name)
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._migrate()
            self._writer = self._connect_writer(path)
        except sqlite3.OperationalError as exc:
            self._db.close()
            if unwritable(exc) or exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CANTOPEN:
                raise StateUnwritable(
                    f"the database {path} cannot be opened for writing ({exc}); make room "
                    "in the state folder or make it writable, then start again"
                ) from exc
            raise
        except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
            self._db.close()
            raise StoreError(
                f"the database {path} is damaged ({exc}); 'podium doctor --repair' moves it "
                "aside and restores the newest sound backup"
            ) from exc
        except BaseException:
            self._db.close()
            raise

    @staticmethod
    def _connect_writer(path: Path) -> sqlite3.Connection:
        """The connection of the engine's batches: used by one thread at a time (under the
        store's write lock), whichever thread that is."""
        writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            writer.execute("PRAGMA synchronous = FULL")
            writer.execute("PRAGMA foreign_keys = ON")
            writer.execute("PRAGMA busy_timeout = 5000")
        except BaseException:
            writer.close()
            raise
        return writer

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer Podium (schema {version}, this one knows "
                f"{len(MIGRATIONS)}); upgrade Podium to use it"
            )
        if 0 < version < len(MIGRATIONS) and self._backups_dir is not None:
            take_backup(self.path, self._backups_dir, time.time())
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _transaction(self, *, durable: bool = True) -> Iterator[None]:
        """One transaction on the loop's connection (see `_on`)."""
        with self._on(self._db, durable=durable):
            yield

    @contextlib.contextmanager
    def _writing(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction on the writer's connection, from any thread, one at a time."""
        with self._write_lock, self._on(self._writer, durable=durable):
            yield self._writer

    @contextlib.contextmanager
    def _on(self, db: sqlite3.Connection, *, durable: bool) -> Iterator[None]:
        """One transaction on `db`; with `durable=False` its commit does not wait for the disk.
        A write the disk refuses (full, read-only, failing) raises `StateUnwritable`, with
        nothing of the transaction kept: the same transaction may be tried again."""
        if not durable:
            db.execute("PRAGMA synchronous = NORMAL")
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
                db.execute("COMMIT")
                self.commits += 1
            except BaseException:
                # A failed COMMIT may leave the transaction open, or SQLite may have rolled
                # it back already.
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if unwritable(exc):
                raise StateUnwritable(f"{exc} ({self.path})") from exc
            raise
        finally:
            if not durable:
                db.execute("PRAGMA synchronous = FULL")

    def checkpoint(self, *, truncate: bool = False) -> None:
        """Copy what the WAL holds into the database file, so that a lost or broken -wal
        file after a crash costs nothing older; `truncate` also empties the WAL (when the
        conductor is idle). Skipped without a word when the disk refuses it: the WAL keeps
        everything meanwhile."""
        mode = "TRUNCATE" if truncate else "PASSIVE"
        with contextlib.suppress(sqlite3.OperationalError):
            self._db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()

    # ---- writes -----------------------------------------------------------------------

    def commit(self, batch: Sequence[Persist]) -> None:
        """The batch in one durable transaction. Safe to call from any thread."""
        # A job comes with its spec (a resume rewrites it): the count is forgotten before the
        # batch, and again after it, so that one taken meanwhile is not kept.
        counted = any(p.specs for p in batch)
        if counted:
            self._all_jobs = None
        with self._writing() as db:
            for persist in batch:
                _write(db, persist)
        if counted:
            self._all_jobs = None

    def record_process(
        self,
        job_id: JobId,
        sheet: SheetNum,
        attempt: int,
        process: ProcessInfo,
        spawned_at: float | None = None,
    ) -> None:
        """Committed without waiting for the disk: this record matters only while its process
        lives, and a power loss that could drop it ends the process too. A conductor crash
        cannot drop it: once committed, it is in the WAL. `spawned_at` (when the process
        started running) is kept for measuring the conductor's own overhead. Safe to call from
        any thread."""
        with self._writing(durable=False) as db:
            db.execute(
                "UPDATE attempts SET pid = ?, pgid = ?, start_ticks = ?, spawned_at = ? "
                "WHERE job_id = ? AND sheet = ? AND attempt = ?",
                (
                    process.pid,
                    process.pgid,
                    process.start_ticks,
                    spawned_at,
                    job_id,
                    sheet,
                    attempt,
                ),
            )

    def record_hook_process(self, job_id: JobId, num: int, process: ProcessInfo) -> None:
        """Like `record_process`, for the process of a running hook."""
        with self._transaction(durable=False):
            self._db.execute(
                "UPDATE hook_results SET pid = ?, pgid = ?, start_ticks = ? "
                "WHERE job_id = ? AND num = ?",
                (process.pid, process.pgid, process.start_ticks, job_id, num),
            )

    def record_hook_job(self, job_id: JobId, num: int, chained: JobId) -> None:
        """The job a `run_job` hook is about to submit: durable before it is submitted."""
        with self._transaction():
            self._db.execute(
                "UPDATE hook_results SET chained_job = ? WHERE job_id = ? AND num = ?",
                (chained, job_id, num),
            )

    def parent_of(self, job_id: JobId) -> JobId | None:
        """The job whose `run_job` hook submitted this one, if it is still stored."""
        row = self._db.execute(
            "SELECT job_id FROM hook_results WHERE chained_job = ? LIMIT 1", (job_id,)
        ).fetchone()
        return JobId(row[0]) if row else None

    def hooks(self, job_id: JobId) -> tuple[HookRecord, ...]:
        """The records of the job's hooks (of its latest run), in order."""
        return tuple(r.record for r in self._hooks(job_id))

    def gates(self, job_id: JobId | None = None) -> tuple[GateRecord, ...]:
        """The approval questions of a job (of every job when None), oldest first."""
        where, args = ("WHERE job_id = ?", (job_id,)) if job_id is not None else ("", ())
        return tuple(
            GATES.record(r)
            for r in self._db.execute(
                f"SELECT {', '.join(GATES.columns)} FROM approvals {where} "
                "ORDER BY asked_at, job_id, sheet",
                args,
            )
        )

    def _hooks(self, job_id: JobId) -> list[InFlightHook]:
        rows = self._db.execute(
            f"SELECT {', '.join(HOOKS.columns)}, pid, pgid, start_ticks FROM hook_results "
            "WHERE job_id = ? ORDER BY num",
            (job_id,),
        )
        return [hook_row(row) for row in rows]

    def delete_jobs(self, job_ids: Sequence[JobId]) -> int:
        """Remove finished jobs with everything recorded about them (sheets, attempts,
        history and score snapshot go with the job's row). Returns how many were removed."""
        self._all_jobs = None
        with self._transaction():
            removed = self._db.executemany(
                "DELETE FROM jobs WHERE job_id = ?", [(job_id,) for job_id in job_ids]
            ).rowcount
        return int(removed)

    # ---- reads ------------------------------------------------------------------------

    def get_job(self, job_id: JobId) -> StoredJob | None:
        row = self._db.execute(
            f"SELECT {', '.join(JOBS.columns)} FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None:
            return None
        return self._stored(JOBS.record(row))

    def list_jobs(self, *, statuses: Sequence[JobStatus] | None, limit: int) -> list[JobRecord]:
        sql = f"SELECT {', '.join(JOBS.columns)} FROM jobs"
        args: list[object] = []
        if statuses is not None:
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args.extend(s.value for s in statuses)
        sql += " ORDER BY submitted_at DESC LIMIT ?"
        args.append(limit)
        return [JOBS.record(r) for r in self._db.execute(sql, args)]

    def latest_attempts(
        self, job_id: JobId, sheets: Sequence[SheetNum]
    ) -> dict[SheetNum, AttemptRecord]:
        """The latest attempt of each of `sheets` that has one."""
        found: dict[SheetNum, AttemptRecord] = {}
        for sheet in sheets:
            row = self._db.execute(
                f"SELECT {', '.join(ATTEMPTS.columns)} FROM attempts "
                "WHERE job_id = ? AND sheet = ? ORDER BY attempt DESC LIMIT 1",
                (job_id, sheet),
            ).fetchone()
            if row is not None:
                found[SheetNum(sheet)] = ATTEMPTS.record(row)
        return found

    def attempts(
        self,
        job_id: JobId,
        *,
        sheet: SheetNum | None = None,
        failed: bool = False,
        codes: Sequence[str] | None = None,
        limit: int,
    ) -> tuple[list[AttemptRecord], int]:
        """A job's attempts, newest first, at most `limit` of them, and how many there are.
        `failed`: only those that ended badly (with an error code); `codes`: only these."""
        where, args = ["job_id = ?"], list[object]([job_id])
        if sheet is not None:
            where.append("sheet = ?")
            args.append(sheet)
        if failed:
            where.append("error_code IS NOT NULL")
        if codes is not None:
            where.append(f"error_code IN ({','.join('?' * len(codes))})")
            args.extend(codes)
        condition = " AND ".join(where)
        total = self._db.execute(f"SELECT count(*) FROM attempts WHERE {condition}", args)
        rows = self._db.execute(
            f"SELECT {', '.join(ATTEMPTS.columns)} FROM attempts WHERE {condition} "
            "ORDER BY started_at DESC, sheet DESC, attempt DESC LIMIT ?",
            [*args, limit],
        )
        return [ATTEMPTS.record(r) for r in rows], int(total.fetchone()[0])

    def failed_attempts(self, job_id: JobId, limit: int) -> list[AttemptRecord]:
        """A job's attempts that ended badly (with an error code), newest first."""
        rows = self._db.execute(
            f"SELECT {', '.join(ATTEMPTS.columns)} FROM attempts "
            "WHERE job_id = ? AND error_code IS NOT NULL ORDER BY started_at DESC LIMIT ?",
            (job_id, limit),
        )
        return [ATTEMPTS.record(r) for r in rows]

    def feedback(self, job_id: JobId) -> dict[SheetNum, str]:
        """Each sheet's latest feedback (JSON text), for the sheets whose agents gave some."""
        rows = self._db.execute(
            "SELECT sheet, feedback FROM attempts WHERE job_id = ? AND feedback IS NOT NULL "
            "ORDER BY sheet, attempt",
            (job_id,),
        )
        return {SheetNum(sheet): text for sheet, text in rows}

    def usage(self, job_id: JobId) -> Usage:
        """The tokens and cost of every attempt of a job; estimated if any part was."""
        tokens_in, tokens_out, cost, estimated = self._db.execute(
            "SELECT sum(input_tokens), sum(output_tokens), sum(cost), max(cost_estimated) "
            "FROM attempts WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        return Usage(tokens_in, tokens_out, cost, bool(estimated))

    def skipped_sheets(self, job_id: JobId) -> list[SheetNum]:
        rows = self._db.execute(
            "SELECT num FROM sheets WHERE job_id = ? AND status = ?",
            (job_id, SheetStatus.SKIPPED.value),
        )
        return [SheetNum(r[0]) for r in rows]

    def count_jobs(self, statuses: Sequence[JobStatus] | None = None) -> int:
        if statuses is None:
            if self._all_jobs is None:
                self._all_jobs = int(self._db.execute("SELECT count(*) FROM jobs").fetchone()[0])
            return self._all_jobs
        return int(
            self._db.execute(
                f"SELECT count(*) FROM jobs WHERE status IN ({','.join('?' * len(statuses))})",
                [s.value for s in statuses],
            ).fetchone()[0]
        )

    def latest_job(self, score_path: str) -> JobRecord | None:
        """The job submitted last for the score at `score_path`."""
        row = self._db.execute(
            f"SELECT {', '.join(JOBS.columns)} FROM jobs WHERE score_path = ? "
            "ORDER BY submitted_at DESC LIMIT 1",
            (score_path,),
        ).fetchone()
        return None if row is None else JOBS.record(row)

    def job_for_key(self, submit_key: str) -> JobRecord | None:
        """The job submitted with this idempotency key, while it is stored."""
        row = self._db.execute(
            f"SELECT {', '.join('j.' + c for c in JOBS.columns)} FROM job_specs s "
            "JOIN jobs j ON j.job_id = s.job_id WHERE s.submit_key = ?",
            (submit_key,),
        ).fetchone()
        return JOBS.record(row) if row else None

    def taken_ids(self, stem: str) -> set[str]:
        # `stem-…` as a range of the (binary) key, which its index answers; LIKE would scan.
        low, high = f"{stem}-", f"{stem}."
        rows = self._db.execute(
            "SELECT job_id FROM jobs WHERE job_id = ? OR (job_id >= ? AND job_id < ?) "
            "UNION SELECT fleet_id FROM fleets "
            "WHERE fleet_id = ? OR (fleet_id >= ? AND fleet_id < ?) "
            # a fleet member's job id is taken from the moment it is given, before its job exists
            "UNION SELECT job_id FROM fleet_members "
            "WHERE job_id = ? OR (job_id >= ? AND job_id < ?)",
            (stem, low, high) * 3,
        )
        return {r[0] for r in rows}

    def fleet_jobs(self) -> dict[JobId, JobId]:
        return self.fleets.unfinished_jobs()

    @property
    def fleets(self) -> FleetRows:
        """The fleets and their members (fleet ids share the job id namespace)."""
        return FleetRows(self._db, self._transaction)

    @property
    def worktrees(self) -> WorktreeRows:
        """The jobs' git worktrees (`isolation`)."""
        return WorktreeRows(self._db, self._transaction)

    def load_active(self) -> list[ActiveJob]:
        """Every unfinished job with what it needs to go on, oldest first."""
        return read_active(self._db, ACTIVE, HISTORY_SHOWN)

    def load_in_progress(self) -> list[ActiveJob]:
        """The unfinished jobs in progress, oldest first: those not simply queued, and any
        with an attempt or a hook that may still run (`podium.store.active`)."""
        return read_active(self._db, ACTIVE, HISTORY_SHOWN, IN_PROGRESS)

    def backlog(self) -> list[JobId]:
        """The other unfinished jobs (queued, with nothing in flight), oldest first."""
        return active_ids(self._db, ACTIVE, BACKLOG)

    def load_unfinished(self, job_ids: Sequence[JobId]) -> list[ActiveJob]:
        """These jobs with what they need to go on, in this order (one removed meanwhile is
        left out)."""
        return read_jobs(self._db, job_ids, HISTORY_SHOWN)

    def snapshot(self, job_id: JobId) -> str | None:
        """The score text the job runs on (see `podium.score.snapshot`)."""
        row = self._db.execute(
            "SELECT snapshot FROM job_specs WHERE job_id = ?", (job_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def environment(self, job_id: JobId) -> Carried | None:
        """What the job carries of the environment it was submitted from (None: nothing)."""
        row = self._db.execute(
            "SELECT environment FROM job_specs WHERE job_id = ?", (job_id,)
        ).fetchone()
        return None if row is None or row[0] is None else carried_from(str(row[0]))

    def rate_limits(self) -> list[RateLimitRecord]:
        return [
            RateLimitRecord(str(r[0]), str(r[1]) or None, float(r[2]), str(r[3]))
            for r in self._db.execute(
                "SELECT instrument, model, until, reason FROM rate_limits ORDER BY instrument"
            )
        ]

    def history(self, job_id: JobId, limit: int = HISTORY_SHOWN) -> tuple[JobNote, ...]:
        rows = self._db.execute(
            "SELECT at, text FROM job_history WHERE job_id = ? ORDER BY id DESC LIMIT ?",
            (job_id, limit),
        ).fetchall()
        return tuple(JobNote(job_id, float(at), str(text)) for at, text in reversed(rows))

    def _stored(self, record: JobRecord) -> StoredJob:
        plan_text = self._db.execute(
            "SELECT plan FROM job_specs WHERE job_id = ?", (record.job_id,)
        ).fetchone()[0]
        sheets = tuple(
            SHEETS.record(r)
            for r in self._db.execute(
                f"SELECT {', '.join(SHEETS.columns)} FROM sheets WHERE job_id = ? ORDER BY num",
                (record.job_id,),
            )
        )
        return StoredJob(
            record,
            plan_from_json(plan_text),
            sheets,
            self.history(record.job_id),
            self.hooks(record.job_id),
            self.gates(record.job_id),
        )


def _write(db: sqlite3.Connection, p: Persist) -> None:
    db.executemany(_UPSERT_JOB, [JOBS.row(j) for j in p.jobs])
    db.executemany(
        _UPSERT_SPEC,
        [
            (s.job_id, plan_to_json(s.plan), s.snapshot, s.submit_key, carried(s.environment))
            for s in p.specs
        ],
    )
    db.executemany(_UPSERT_SHEET, [SHEETS.row(s) for s in p.sheets])
    db.executemany(_UPSERT_ATTEMPT, [ATTEMPTS.row(a) for a in p.attempts])
    db.executemany(
        "INSERT INTO rate_limits (instrument, model, until, reason) VALUES (?,?,?,?) "
        "ON CONFLICT (instrument, model) DO UPDATE SET until = excluded.until, "
        "reason = excluded.reason",
        [(r.instrument, r.model or "", r.until, r.reason) for r in p.rate_limits],
    )
    db.executemany(
        "DELETE FROM rate_limits WHERE instrument = ? AND model = ?",
        [(instrument, model or "") for instrument, model in p.rate_limits_cleared],
    )
    db.executemany(
        "INSERT INTO job_history (job_id, at, text) VALUES (?,?,?)",
        [(n.job_id, n.at, n.text) for n in p.notes],
    )
    db.executemany("DELETE FROM hook_results WHERE job_id = ?", [(j,) for j in p.hooks_cleared])
    db.executemany(_UPSERT_HOOK, [HOOKS.row(h) for h in p.hooks])
    db.executemany(_UPSERT_GATE, [GATES.row(g) for g in p.gates])
