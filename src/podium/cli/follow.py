"""Following a job as it runs: one line per sheet event, then a verdict."""

from __future__ import annotations

import sys
import time

from podium.cli import exits
from podium.cli.output import duration, paint, status_text, when
from podium.domain.status import JobStatus
from podium.ipc.client import ConductorClient
from podium.ipc.methods import JOB_STATUS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from podium.ipc.schema import JobStatusResult, SheetInfo

TERMINAL = frozenset(s.value for s in JobStatus if s.is_terminal)
_SHOWN = frozenset({"running", "waiting", "completed", "failed", "skipped", "cancelled"})
STOPS = TERMINAL | {"paused", "paused_at_chain"}
"""Statuses at which following ends: nothing more happens without a person."""


class Follower:
    """Turns successive `job.status` snapshots into lines a person can read."""

    def __init__(self, out: TextIO, color: bool) -> None:
        self._out = out
        self._color = color
        self._seen: dict[int, tuple[str, int]] = {}

    def update(self, job: JobStatusResult) -> None:
        start = job["started_at"] or job["submitted_at"]
        for sheet in job["sheets"]:
            key = (sheet["status"], sheet["attempts"])
            before = self._seen.get(sheet["num"])
            if before == key:
                continue
            self._seen[sheet["num"]] = key
            if sheet["status"] in _SHOWN:
                self._line(
                    start,
                    sheet,
                    retried=before is not None and before[1] > 0 and sheet["attempts"] > before[1],
                )

    def _line(self, start: float, sheet: SheetInfo, retried: bool) -> None:
        at = paint(f"[{duration(max(0.0, sheet['updated_at'] - start)):>6}]", "dim", self._color)
        status = sheet["status"]
        text = f"{at} sheet {sheet['num']:<3} {status_text(f'{status:<9}', self._color)}"
        if status == "running":
            text += f" attempt {sheet['attempts']}/{sheet['max_attempts']}"
            if retried and sheet["error"]:
                text += f", retrying after: {sheet['error']}"
        elif status == "waiting":
            text += f" {waiting_for(sheet)}"
        elif status in ("failed", "skipped") and sheet["error"]:
            text += f" {sheet['error']}"
        print(text, file=self._out, flush=True)


def follow(
    conductor: ConductorClient,
    job_id: str,
    *,
    out: TextIO = sys.stdout,
    color: bool = False,
) -> int:
    """Print the job's progress until it ends; the exit code says how it ended. The job is
    read anew each time the conductor changes one of its sheets (`podium.cli.changes`)."""
    from podium.cli.changes import Changes  # noqa: PLC0415 - only when following

    follower = Follower(out, color)
    with Changes(conductor.socket_path, {"job_ids": [job_id], "kinds": ["job", "sheet"]}) as c:
        while True:
            job = conductor.request(JOB_STATUS({"job_id": job_id}))
            follower.update(job)
            if job["status"] in STOPS and not job["resume_when_idle"]:
                return verdict(job, out, color)
            c.wait(None)


def waiting_for(sheet: SheetInfo) -> str:
    """'retry at 14:03:07', 'rate limited until 15:00:00: <why>'."""
    due = when(sheet["due"]) if sheet["due"] else "soon"
    match sheet["wait"]:
        case "rate_limit":
            return f"rate limited until {due}: {sheet['error']}"
        case "completion":
            return f"completion attempt at {due}: {sheet['error']}"
        case _:
            return f"retry at {due} after: {sheet['error']}"


def verdict(job: JobStatusResult, out: TextIO, color: bool) -> int:
    took = duration(
        (job["finished_at"] or time.time()) - (job["started_at"] or job["submitted_at"])
    )
    done = f"{job['completed_sheets']}/{job['total_sheets']} sheets"
    job_id = job["job_id"]
    if job["status"] in ("completed", "paused_at_chain"):
        print(f"job {job_id} {status_text('completed', color)}: {done} in {took}", file=out)
        if job["status"] == "paused_at_chain":
            print(f"  it holds its chain: 'podium resume {job_id}' starts the next job", file=out)
        return exits.OK
    if job["status"] == "paused":
        print(
            f"job {job_id} {status_text('paused', color)} ({done}): {job['detail']}; "
            f"'podium resume {job_id}' goes on",
            file=out,
        )
        return exits.JOB_FAILED
    print(
        f"job {job['job_id']} {status_text(job['status'], color)} after {took} ({done}): "
        f"{job['error']}",
        file=out,
    )
    failed = [s for s in job["sheets"] if s["status"] == "failed" and s["logs"]]
    if failed:
        print(f"  logs of sheet {failed[0]['num']}: {failed[0]['logs']}", file=out)
    print(f"  details: podium status {job['job_id']}", file=out)
    return exits.JOB_FAILED
