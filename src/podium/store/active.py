"""Reading back the unfinished jobs at a restart, with what they need to go on: one query per
table for all of them, never a query per job (a restart may read tens of thousands).

A restart reads them in two parts: first the jobs in progress (running, paused, or with a
sheet's attempt or a hook that may have outlived the conductor: what must be reconciled
before anything is dispatched), then the backlog (queued, with nothing in flight), which is
most of them when there are many."""

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TypeVar

from podium.domain.ids import JobId
from podium.domain.records import ActiveJob, InFlightAttempt, InFlightHook, JobNote, StoredJob
from podium.domain.status import JobStatus, SheetStatus
from podium.store.codec import plan_from_json
from podium.store.rows import (
    ATTEMPTS,
    GATES,
    HOOKS,
    JOBS,
    SHEETS,
    attempt_row,
    carried_from,
    hook_row,
)

T = TypeVar("T")

_IN_FLIGHT = tuple(s.value for s in SheetStatus if s.in_flight)

IN_PROGRESS = (
    f"(j.status != '{JobStatus.QUEUED.value}' OR j.hook != 0 OR EXISTS (SELECT 1 FROM sheets s "
    f"WHERE s.job_id = j.job_id AND s.status IN ({', '.join(repr(s) for s in _IN_FLIGHT)})))"
)
"""The condition on a job (`j`) of being in progress (see the module); its negation is the
backlog's."""
BACKLOG = f"NOT {IN_PROGRESS}"
EVERY = "1"


def active_ids(
    db: sqlite3.Connection, statuses: Sequence[JobStatus], part: str = EVERY
) -> list[JobId]:
    """The jobs in `statuses` and in `part` (IN_PROGRESS, BACKLOG or EVERY), oldest first."""
    rows = db.execute(
        f"SELECT job_id FROM jobs j WHERE status IN ({','.join('?' * len(statuses))}) "
        f"AND {part} ORDER BY submitted_at, job_id",
        [s.value for s in statuses],
    )
    return [JobId(r[0]) for r in rows]


def read_active(
    db: sqlite3.Connection, statuses: Sequence[JobStatus], history: int, part: str = EVERY
) -> list[ActiveJob]:
    """The jobs in `statuses` and in `part`, oldest first (see `read_jobs`)."""
    return read_jobs(db, active_ids(db, statuses, part), history)


def read_jobs(db: sqlite3.Connection, job_ids: Sequence[JobId], history: int) -> list[ActiveJob]:
    """These jobs, in this order (those no longer stored are left out), each with its plan,
    sheets, latest `history` notes, hooks, approval questions, score text, carried
    environment and the attempts that held a slot."""
    reader = _Reader(db, job_ids)
    records = {r[0]: JOBS.record(r) for r in reader.rows(JOBS.columns, "jobs")}
    specs = {
        str(r[0]): r[1:]
        for r in reader.rows(("job_id", "plan", "snapshot", "environment"), "job_specs")
    }
    sheets = _grouped((r[0], SHEETS.record(r)) for r in reader.rows(SHEETS.columns, "sheets"))
    notes = _grouped(
        (r[0], JobNote(JobId(r[0]), float(r[1]), str(r[2]))) for r in reader.history(history)
    )
    hooks = _grouped(
        (r[0], hook_row(r))
        for r in reader.rows((*HOOKS.columns, "pid", "pgid", "start_ticks"), "hook_results")
    )
    gates = _grouped(
        (r[0], GATES.record(r))
        for r in reader.rows(GATES.columns, "approvals", "asked_at, job_id, sheet")
    )
    in_flight = _grouped((r[0], attempt_row(r)) for r in reader.in_flight())
    found = []
    for job_id in job_ids:
        record = records.get(job_id)
        if record is None:
            continue
        plan, snapshot, environment = specs[job_id]
        job_hooks: Sequence[InFlightHook] = hooks.get(job_id, ())
        stored = StoredJob(
            record,
            plan_from_json(plan),
            tuple(sheets.get(job_id, ())),
            tuple(notes.get(job_id, ())),
            tuple(h.record for h in job_hooks),
            tuple(gates.get(job_id, ())),
        )
        flying: Sequence[InFlightAttempt] = in_flight.get(job_id, ())
        found.append(
            ActiveJob(
                stored,
                snapshot or "",
                tuple(flying),
                tuple(job_hooks) if record.hook else (),
                None if environment is None else carried_from(str(environment)),
            )
        )
    return found


class _Reader:
    """Queries over the rows of the given jobs, named in one JSON array."""

    def __init__(self, db: sqlite3.Connection, job_ids: Sequence[JobId]) -> None:
        self._db = db
        self._ids = json.dumps(list(job_ids))

    def rows(self, columns: Sequence[str], table: str, order: str = "job_id") -> sqlite3.Cursor:
        return self._db.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE job_id IN {_IDS} ORDER BY {order}",
            (self._ids,),
        )

    def history(self, newest: int) -> sqlite3.Cursor:
        """The newest notes of each job, oldest first."""
        return self._db.execute(
            "SELECT job_id, at, text FROM (SELECT job_id, at, text, id, row_number() OVER "
            "(PARTITION BY job_id ORDER BY id DESC) AS age FROM job_history "
            f"WHERE job_id IN {_IDS}) WHERE age <= ? ORDER BY job_id, id",
            (self._ids, newest),
        )

    def in_flight(self) -> sqlite3.Cursor:
        """The latest attempt of each sheet whose attempt held a slot, with its process."""
        return self._db.execute(
            f"SELECT {', '.join('a.' + c for c in ATTEMPTS.columns)}, a.pid, a.pgid, "
            "a.start_ticks FROM sheets s JOIN attempts a ON a.job_id = s.job_id "
            "AND a.sheet = s.num AND a.attempt = s.attempts "
            f"WHERE s.status IN ({','.join('?' * len(_IN_FLIGHT))}) "
            f"AND s.job_id IN {_IDS} ORDER BY a.job_id, a.sheet",
            [*_IN_FLIGHT, self._ids],
        )


_IDS = "(SELECT value FROM json_each(?))"
"""The jobs read, from one parameter: a JSON array of their ids."""


def _grouped(pairs: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    """Values by the job they belong to, in the order given."""
    found: dict[str, list[T]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    return found
