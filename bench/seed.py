"""History for the benchmarks: a state folder whose store already holds many finished jobs,
written through Podium's own store as the conductor would have written them.

Each job has 3 sheets, one attempt per sheet and two notes, and most of them completed (one in
ten failed): what a long-lived conductor's store looks like after months of work.
"""

import time
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.plan import JobPlan
from podium.domain.records import AttemptRecord, JobNote, JobRecord, JobSpec, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.store.sqlite import SqliteStore
from podium.testing.harness import make_plan

SHEETS = 3
BATCH = 2000


def seed(home: Path, jobs: int, *, prefix: str = "old") -> None:
    """Write `jobs` finished jobs into the store under `home` (PODIUM_HOME)."""
    home.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(home / "podium.db")
    plan = make_plan(sheets=SHEETS, name="history")
    start = time.time() - 365 * 86400
    try:
        for first in range(0, jobs, BATCH):
            last = min(jobs, first + BATCH)
            store.commit([job(f"{prefix}-{n}", plan, start + n) for n in range(first, last)])
    finally:
        store.close()


def job(job_id: str, plan: JobPlan, at: float) -> Persist:
    """One finished job of `plan`'s sheets, one attempt each (the last one failed, one job in
    ten)."""
    jid = JobId(job_id)
    sheets_total = len(plan.sheets)
    failed = hash(job_id) % 10 == 0
    status = JobStatus.FAILED if failed else JobStatus.COMPLETED
    record = JobRecord(
        jid,
        "history",
        f"/scores/{job_id}.yaml",
        "/work/history",
        status,
        submitted_at=at,
        total_sheets=sheets_total,
        completed_sheets=sheets_total - 1 if failed else sheets_total,
        started_at=at + 1,
        finished_at=at + 60,
        error=f"sheet {sheets_total} failed: exit 1" if failed else None,
    )
    sheets = []
    attempts = []
    for num in range(1, sheets_total + 1):
        bad = failed and num == sheets_total
        sheets.append(
            SheetRecord(
                jid,
                SheetNum(num),
                SheetStatus.FAILED if bad else SheetStatus.COMPLETED,
                updated_at=at + 20 * num,
                attempts=1,
                failures=1 if bad else 0,
            )
        )
        attempts.append(
            AttemptRecord(
                job_id=jid,
                sheet=SheetNum(num),
                attempt=1,
                instrument="cli",
                model=None,
                started_at=at + 20 * num - 19,
                outcome=AttemptOutcome.FAILED if bad else AttemptOutcome.SUCCEEDED,
                exited_at=at + 20 * num - 1,
                ended_at=at + 20 * num,
                exit_code=1 if bad else 0,
            )
        )
    notes = (JobNote(jid, at, "submitted"), JobNote(jid, at + 60, status.value))
    return Persist(
        jobs=(record,),
        specs=(JobSpec(jid, plan, "name: history\n"),),
        sheets=tuple(sheets),
        attempts=tuple(attempts),
        notes=notes,
    )
