"""The SQLite store: WAL, `synchronous=FULL`, one transaction per engine batch."""

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from podium.domain.commands import Persist
from podium.domain.errors import PodiumError
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import (
    ActiveJob,
    AttemptRecord,
    InFlightAttempt,
    JobRecord,
    ProcessInfo,
    SheetRecord,
    StoredJob,
)
from podium.domain.status import JobStatus, SheetStatus
from podium.store.codec import plan_from_json, plan_to_json, results_from_json, results_to_json
from podium.store.schema import MIGRATIONS

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.PAUSED_AT_CHAIN)

_JOB_COLUMNS = (
    "job_id, name, score_path, workspace, status, submitted_at, started_at, "
    "finished_at, error, total_sheets, completed_sheets"
)
_UPSERT_JOB = f"""
    INSERT INTO jobs ({_JOB_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)
    ON CONFLICT (job_id) DO UPDATE SET status = excluded.status,
        started_at = excluded.started_at, finished_at = excluded.finished_at,
        error = excluded.error, completed_sheets = excluded.completed_sheets
"""
_UPSERT_SHEET = """
    INSERT INTO sheets (job_id, num, status, updated_at, attempts, failures, error, blocked_by)
    VALUES (?,?,?,?,?,?,?,?)
    ON CONFLICT (job_id, num) DO UPDATE SET status = excluded.status,
        updated_at = excluded.updated_at, attempts = excluded.attempts,
        failures = excluded.failures, error = excluded.error, blocked_by = excluded.blocked_by
"""
_UPSERT_ATTEMPT = """
    INSERT INTO attempts (job_id, sheet, attempt, started_at, outcome, exited_at, ended_at,
                          exit_code, signal, error, validations)
    VALUES (?,?,?,?,?,?,?,?,?,?,?)
    ON CONFLICT (job_id, sheet, attempt) DO UPDATE SET outcome = excluded.outcome,
        exited_at = excluded.exited_at, ended_at = excluded.ended_at,
        exit_code = excluded.exit_code, signal = excluded.signal, error = excluded.error,
        validations = excluded.validations
"""


class StoreError(PodiumError):
    """The database cannot be used (a newer schema, a corrupt file)."""


class SqliteStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer Podium (schema {version}, this one knows "
                f"{len(MIGRATIONS)}); upgrade Podium to use it"
            )
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
        """One transaction; with `durable=False` its commit does not wait for the disk."""
        if not durable:
            self._db.execute("PRAGMA synchronous = NORMAL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous = FULL")

    # ---- writes -----------------------------------------------------------------------

    def commit(self, batch: Sequence[Persist]) -> None:
        with self._transaction():
            for persist in batch:
                self._write(persist)

    def _write(self, p: Persist) -> None:
        db = self._db
        for new in p.new_jobs:
            db.execute(_UPSERT_JOB, _job_row(new.record))
            db.execute(
                "INSERT INTO job_specs (job_id, plan, snapshot) VALUES (?,?,?)",
                (new.record.job_id, plan_to_json(new.plan), new.snapshot),
            )
        db.executemany(_UPSERT_JOB, [_job_row(j) for j in p.jobs])
        db.executemany(
            _UPSERT_SHEET,
            [
                (
                    s.job_id,
                    s.num,
                    s.status.value,
                    s.updated_at,
                    s.attempts,
                    s.failures,
                    s.error,
                    s.blocked_by,
                )
                for s in p.sheets
            ],
        )
        db.executemany(
            _UPSERT_ATTEMPT,
            [
                (
                    a.job_id,
                    a.sheet,
                    a.attempt,
                    a.started_at,
                    a.outcome.value,
                    a.exited_at,
                    a.ended_at,
                    a.exit_code,
                    a.signal,
                    a.error,
                    results_to_json(a.validations),
                )
                for a in p.attempts
            ],
        )

    def record_process(
        self, job_id: JobId, sheet: SheetNum, attempt: int, process: ProcessInfo
    ) -> None:
        """Committed without waiting for the disk: this record matters only while its process
        lives, and a power loss that could drop it ends the process too. A conductor crash
        cannot drop it: once committed, it is in the WAL."""
        with self._transaction(durable=False):
            self._db.execute(
                "UPDATE attempts SET pid = ?, pgid = ?, start_ticks = ? "
                "WHERE job_id = ? AND sheet = ? AND attempt = ?",
                (process.pid, process.pgid, process.start_ticks, job_id, sheet, attempt),
            )

    # ---- reads ------------------------------------------------------------------------

    def get_job(self, job_id: JobId) -> StoredJob | None:
        row = self._db.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None:
            return None
        return self._stored(_job_from_row(row))

    def list_jobs(self, *, statuses: Sequence[JobStatus] | None, limit: int) -> list[JobRecord]:
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
        args: list[object] = []
        if statuses is not None:
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args.extend(s.value for s in statuses)
        sql += " ORDER BY submitted_at DESC LIMIT ?"
        args.append(limit)
        return [_job_from_row(r) for r in self._db.execute(sql, args)]

    def count_jobs(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM jobs").fetchone()[0])

    def taken_ids(self, stem: str) -> set[str]:
        escaped = stem.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT job_id FROM jobs WHERE job_id = ? OR job_id LIKE ? ESCAPE '\\'",
            (stem, f"{escaped}-%"),
        )
        return {r[0] for r in rows}

    def load_active(self) -> list[ActiveJob]:
        records = self.list_jobs(statuses=ACTIVE, limit=-1)
        records.sort(key=lambda r: r.submitted_at)
        return [self._active(r) for r in records]

    def _stored(self, record: JobRecord) -> StoredJob:
        plan_text = self._db.execute(
            "SELECT plan FROM job_specs WHERE job_id = ?", (record.job_id,)
        ).fetchone()[0]
        sheets = tuple(
            SheetRecord(
                JobId(r[0]),
                SheetNum(r[1]),
                SheetStatus(r[2]),
                r[3],
                r[4],
                r[5],
                r[6],
                None if r[7] is None else SheetNum(r[7]),
            )
            for r in self._db.execute(
                "SELECT job_id, num, status, updated_at, attempts, failures, error, blocked_by "
                "FROM sheets WHERE job_id = ? ORDER BY num",
                (record.job_id,),
            )
        )
        return StoredJob(record, plan_from_json(plan_text), sheets)

    def _active(self, record: JobRecord) -> ActiveJob:
        stored = self._stored(record)
        text = self._db.execute(
            "SELECT snapshot FROM job_specs WHERE job_id = ?", (record.job_id,)
        ).fetchone()[0]
        in_flight = []
        for sheet in stored.sheets:
            if not sheet.status.in_flight:
                continue
            row = self._db.execute(
                "SELECT job_id, sheet, attempt, started_at, outcome, exited_at, ended_at, "
                "exit_code, signal, error, validations, pid, pgid, start_ticks FROM attempts "
                "WHERE job_id = ? AND sheet = ? AND attempt = ?",
                (record.job_id, sheet.num, sheet.attempts),
            ).fetchone()
            if row is not None:
                in_flight.append(_in_flight_from_row(row))
        return ActiveJob(stored, text, tuple(in_flight))


def _job_row(j: JobRecord) -> tuple[object, ...]:
    return (
        j.job_id,
        j.name,
        j.score_path,
        j.workspace,
        j.status.value,
        j.submitted_at,
        j.started_at,
        j.finished_at,
        j.error,
        j.total_sheets,
        j.completed_sheets,
    )


def _job_from_row(r: tuple[Any, ...]) -> JobRecord:
    return JobRecord(
        job_id=JobId(str(r[0])),
        name=str(r[1]),
        score_path=str(r[2]),
        workspace=str(r[3]),
        status=JobStatus(r[4]),
        submitted_at=float(r[5]),
        started_at=r[6],
        finished_at=r[7],
        error=r[8],
        total_sheets=int(r[9]),
        completed_sheets=int(r[10]),
    )


def _in_flight_from_row(r: tuple[Any, ...]) -> InFlightAttempt:
    record = AttemptRecord(
        job_id=JobId(str(r[0])),
        sheet=SheetNum(int(r[1])),
        attempt=int(r[2]),
        started_at=float(r[3]),
        outcome=AttemptOutcome(r[4]),
        exited_at=r[5],
        ended_at=r[6],
        exit_code=r[7],
        signal=r[8],
        error=r[9],
        validations=results_from_json(r[10]),
    )
    process = None
    if r[11] is not None:
        process = ProcessInfo(int(r[11]), int(r[12]), int(r[13]))
    return InFlightAttempt(record, process)
