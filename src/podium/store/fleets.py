"""The fleets' rows: each fleet and its members, in the conductor's SQLite database.

Every write is its own durable transaction: a member's job id is on disk before its job is
submitted, so that a restart finds the job instead of submitting it twice.
"""

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence

from podium.domain.fleet import FleetMember, FleetRecord, FleetStatus, StoredFleet
from podium.domain.ids import JobId
from podium.domain.status import JobStatus

Transaction = Callable[[], contextlib.AbstractContextManager[None]]

_FLEET_COLUMNS = "fleet_id, name, path, status, reason, created_at, ended_at, groups, environment"
_MEMBER_COLUMNS = "num, score_path, grp, job_id, submitted, error"


class FleetRows:
    def __init__(self, db: sqlite3.Connection, transaction: Transaction) -> None:
        self._db = db
        self._transaction = transaction

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._transaction():
            yield self._db

    def add(
        self, fleet: FleetRecord, members: Sequence[FleetMember], submit_key: str | None = None
    ) -> None:
        """A new fleet and its members; `submit_key`, the client's idempotency key, names it
        from then on (see `for_key`)."""
        with self._write() as db:
            db.execute(
                f"INSERT INTO fleets ({_FLEET_COLUMNS}, submit_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    fleet.fleet_id,
                    fleet.name,
                    fleet.path,
                    fleet.status.value,
                    fleet.reason,
                    fleet.created_at,
                    fleet.ended_at,
                    json.dumps({g: list(deps) for g, deps in fleet.groups.items()}),
                    None if fleet.environment is None else json.dumps(dict(fleet.environment)),
                    submit_key,
                ),
            )
            db.executemany(
                f"INSERT INTO fleet_members (fleet_id, {_MEMBER_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                [
                    (fleet.fleet_id, m.num, m.score_path, m.group, m.job_id, m.submitted, m.error)
                    for m in members
                ],
            )

    def reserve(self, fleet_id: JobId, num: int, job_id: JobId) -> None:
        """The id the member's job will have: durable before the job is submitted."""
        self._member(fleet_id, num, "job_id = ?", job_id)

    def submitted(self, fleet_id: JobId, num: int) -> None:
        self._member(fleet_id, num, "submitted = ?", 1)

    def refused(self, fleet_id: JobId, num: int, error: str) -> None:
        """The member's score could not be submitted: its job never comes."""
        self._member(fleet_id, num, "error = ?, job_id = NULL", error)

    def forgive(self, fleet_id: JobId, num: int) -> None:
        """The member's score may be submitted again (its failed fleet was reopened)."""
        self._member(fleet_id, num, "error = ?", None)

    def _member(self, fleet_id: JobId, num: int, assignment: str, value: object) -> None:
        with self._write() as db:
            db.execute(
                f"UPDATE fleet_members SET {assignment} WHERE fleet_id = ? AND num = ?",
                (value, fleet_id, num),
            )

    def set_status(
        self, fleet_id: JobId, status: FleetStatus, reason: str | None, ended_at: float | None
    ) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE fleets SET status = ?, reason = ?, ended_at = ? WHERE fleet_id = ?",
                (status.value, reason, ended_at, fleet_id),
            )

    def get(self, fleet_id: str) -> StoredFleet | None:
        row = self._db.execute(
            f"SELECT {_FLEET_COLUMNS} FROM fleets WHERE fleet_id = ?", (fleet_id,)
        ).fetchone()
        return None if row is None else self._stored(row)

    def for_key(self, submit_key: str) -> StoredFleet | None:
        """The fleet submitted with this idempotency key, if it is stored."""
        row = self._db.execute(
            f"SELECT {_FLEET_COLUMNS} FROM fleets WHERE submit_key = ?", (submit_key,)
        ).fetchone()
        return None if row is None else self._stored(row)

    def listed(self, *, unfinished_only: bool, limit: int = -1) -> list[StoredFleet]:
        """Newest first."""
        where = " WHERE ended_at IS NULL" if unfinished_only else ""
        rows = self._db.execute(
            f"SELECT {_FLEET_COLUMNS} FROM fleets{where} ORDER BY created_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [self._stored(r) for r in rows]

    def unfinished_jobs(self) -> dict[JobId, JobId]:
        """The jobs of the fleets that have not ended, each with its fleet."""
        rows = self._db.execute(
            "SELECT m.job_id, m.fleet_id FROM fleet_members m JOIN fleets f USING (fleet_id) "
            "WHERE f.ended_at IS NULL AND m.job_id IS NOT NULL"
        )
        return {JobId(str(job_id)): JobId(str(fleet_id)) for job_id, fleet_id in rows}

    def job_statuses(self, job_ids: Sequence[JobId]) -> dict[JobId, JobStatus]:
        """The status of each of these jobs the store has."""
        found: dict[JobId, JobStatus] = {}
        for job_id in job_ids:
            row = self._db.execute("SELECT status FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is not None:
                found[job_id] = JobStatus(row[0])
        return found

    def _stored(self, row: Sequence[object]) -> StoredFleet:
        fleet_id, name, path, status, reason, created, ended, groups, environment = row
        record = FleetRecord(
            JobId(str(fleet_id)),
            str(name),
            str(path),
            FleetStatus(str(status)),
            float(str(created)),
            {g: tuple(deps) for g, deps in json.loads(str(groups)).items()},
            None if reason is None else str(reason),
            None if ended is None else float(str(ended)),
            None
            if environment is None
            else tuple((str(k), str(v)) for k, v in json.loads(str(environment)).items()),
        )
        members = tuple(
            FleetMember(
                int(num),
                str(score),
                None if grp is None else str(grp),
                None if job_id is None else JobId(str(job_id)),
                bool(submitted),
                None if error is None else str(error),
            )
            for num, score, grp, job_id, submitted, error in self._db.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM fleet_members WHERE fleet_id = ? ORDER BY num",
                (fleet_id,),
            )
        )
        return StoredFleet(record, members)
