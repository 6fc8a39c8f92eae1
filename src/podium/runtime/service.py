"""What the conductor's methods do: submit a score, report on jobs and on itself."""

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from podium.domain.commands import Rejected
from podium.domain.engine import Engine
from podium.domain.errors import JobAlreadyRunning, JobNotFound, ShuttingDown
from podium.domain.events import JobSubmitted
from podium.domain.ids import JobId
from podium.domain.records import JobRecord
from podium.domain.views import JobView, job_view
from podium.runtime.catalog import JobCatalog
from podium.runtime.loop import Inbox, Replies
from podium.runtime.ports import Compiler, Store

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Submitted:
    job_id: JobId
    total_sheets: int
    workspace: str


@dataclass(frozen=True, slots=True)
class JobList:
    jobs: list[JobRecord]
    total: int


class JobService:
    def __init__(
        self,
        *,
        engine: Engine,
        store: Store,
        inbox: Inbox,
        replies: Replies,
        catalog: JobCatalog,
        compiler: Compiler,
    ) -> None:
        self._engine = engine
        self._store = store
        self._inbox = inbox
        self._replies = replies
        self._catalog = catalog
        self._compiler = compiler
        self._reserved: set[str] = set()
        self._open = asyncio.Event()
        self._closed = False

    @property
    def state(self) -> str:
        """'starting' (unfinished jobs are being recovered), 'ready', or 'stopping'."""
        if self._closed:
            return "stopping"
        return "ready" if self._open.is_set() else "starting"

    def open(self) -> None:
        """Take submissions: the jobs of the previous run are back in the engine."""
        self._open.set()

    def close(self) -> None:
        self._closed = True

    async def submit(self, score_path: str, client_cwd: str | None) -> Submitted:
        # Until recovery is done, a submission waits: the engine must know the unfinished
        # jobs first, or it could not tell that a score is already running.
        await self._open.wait()
        if self._closed:
            raise ShuttingDown(
                "the conductor is shutting down and takes no new jobs; "
                "start it again with 'podium start'"
            )
        path = Path(client_cwd or "/", score_path).absolute()
        compiled = self._compiler.compile(path)
        job_id = self._allocate(path.stem)
        request, answer = self._replies.expect()
        self._catalog.add(job_id, compiled)
        self._inbox.post(
            JobSubmitted(
                request,
                job_id,
                compiled.plan,
                str(path),
                str(compiled.workspace),
                compiled.snapshot,
            )
        )
        try:
            result = await answer
        finally:
            self._reserved.discard(job_id)
        if isinstance(result, Rejected):
            self._catalog.forget(job_id)
            raise JobAlreadyRunning(result.reason)
        return Submitted(job_id, compiled.plan.total_sheets, str(compiled.workspace))

    def status(self, job_id: str) -> JobView:
        view = self._engine.view(JobId(job_id))
        if view is not None:
            return view
        stored = self._store.get_job(JobId(job_id))
        if stored is None:
            raise JobNotFound(f"no job '{job_id}'; 'podium list --all' shows every job")
        return job_view(stored.record, stored.plan, stored.sheets)

    def list(self, *, include_finished: bool, limit: int) -> JobList:
        if not include_finished:
            jobs = self._engine.active_jobs()[::-1]  # newest first, like the full list
            return JobList(jobs[:limit], len(jobs))
        return JobList(self._store.list_jobs(statuses=None, limit=limit), self._store.count_jobs())

    def _allocate(self, stem: str) -> JobId:
        """The score file's stem, or `stem-2`, `stem-3`, … when earlier jobs hold it."""
        base = _UNSAFE.sub("-", stem).strip("-.") or "job"
        taken = self._store.taken_ids(base) | self._reserved
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        self._reserved.add(candidate)
        return JobId(candidate)
