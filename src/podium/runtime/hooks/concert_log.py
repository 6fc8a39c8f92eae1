"""A concert's log (`concert.concert_log_path`): each job of a chain appends to one file what
happened to it, one JSON object per line, so that a chain of many jobs reads as one story.

The lines come from what the engine committed: a job starting, ending (or holding its chain)
and a `run_job` hook submitting the next job. They are written in order by a task of their
own, in a thread, never in the engine loop. The path is relative to the job's workspace; a
line that cannot be written is logged and never affects the job.
"""

import asyncio
import json
import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.domain.records import HookOutcome, HookRecord, JobRecord
from podium.domain.status import JobStatus
from podium.host.private import make_user_dir, open_for_user
from podium.runtime.conductor_log import job_fields
from podium.runtime.jobs.catalog import JobCatalog

log = logging.getLogger(__name__)

TOLD = frozenset(
    {
        JobStatus.RUNNING,
        JobStatus.PAUSED_AT_CHAIN,
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
    }
)
"""The statuses a concert's log tells of (a pause and its resume are the job's own affair)."""


class ConcertLog:
    """An engine-loop observer that appends to the concert logs of the jobs that ask for one."""

    def __init__(
        self, catalog: JobCatalog, clock: Callable[[], float], tasks: asyncio.TaskGroup
    ) -> None:
        self._catalog = catalog
        self._since = clock()
        self._tasks = tasks
        self._told: dict[JobId, JobStatus] = {}
        self._lines: list[tuple[JobId, Path, str]] = []
        self._writer: asyncio.Task[None] | None = None

    def committed(self, batch: Sequence[Persist]) -> None:
        for persist in batch:
            for hook in persist.hooks:  # a hook's end comes before the job's that it ends
                self._hook(hook)
            for job in persist.jobs:
                self._job(job)

    def _job(self, job: JobRecord) -> None:
        if job.status not in TOLD or self._told.get(job.job_id) is job.status:
            return
        first = job.job_id not in self._told
        if job.status.is_terminal:
            self._told.pop(job.job_id, None)
        else:
            self._told[job.job_id] = job.status
        if first and self._before_us(job):
            return  # the conductor before this one told of it already
        event: dict[str, object] = {"event": job.status.value, "status": job.status.value}
        if job.status is JobStatus.RUNNING:
            event["event"] = "started"
        if job.error:
            event["error"] = job.error
        event["completed_sheets"] = job.completed_sheets
        event["total_sheets"] = job.total_sheets
        self._append(job.job_id, job.workspace, job.chain_depth, job.score_path, event)

    def _before_us(self, job: JobRecord) -> bool:
        """A running or held job started by an earlier conductor, seen again after a restart."""
        return (
            not job.status.is_terminal
            and job.started_at is not None
            and job.started_at < self._since
        )

    def _hook(self, hook: HookRecord) -> None:
        if hook.chained_job is None or hook.outcome is not HookOutcome.SUCCEEDED:
            return
        compiled = self._catalog.find(hook.job_id)
        if compiled is None:
            return
        event = {"event": "chained", "next_job": hook.chained_job, "hook": hook.num}
        self._append(hook.job_id, str(compiled.workspace), None, None, event)

    def _append(
        self,
        job_id: JobId,
        workspace: str,
        depth: int | None,
        score: str | None,
        event: dict[str, object],
    ) -> None:
        compiled = self._catalog.find(job_id)
        path = compiled.plan.policy.concert.log_path if compiled is not None else None
        if path is None:
            return
        line: dict[str, object] = {"at": datetime.now(UTC).isoformat(), "job_id": job_id}
        if score is not None:
            line["score"] = score
        if depth is not None:
            line["chain_depth"] = depth
        line.update(event)
        self._lines.append((job_id, Path(workspace, path), json.dumps(line) + "\n"))
        if self._writer is None or self._writer.done():
            self._writer = self._tasks.create_task(self._write(), name="concert log")

    async def _write(self) -> None:
        while self._lines:
            lines, self._lines = self._lines, []
            await asyncio.to_thread(_append, lines)


def _append(lines: list[tuple[JobId, Path, str]]) -> None:
    for job_id, target, text in lines:
        try:
            make_user_dir(target.parent)
            fd = open_for_user(target, os.O_WRONLY | os.O_APPEND)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            log.warning(
                "job %s: cannot write its concert log %s: %s",
                job_id,
                target,
                exc,
                extra=job_fields(job_id),
            )
