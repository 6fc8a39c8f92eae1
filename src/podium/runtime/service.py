"""What the conductor's methods do: submit a score, control a job, report on jobs and on itself.

Each request that changes a job becomes one event for the engine, and the caller waits for the
engine's answer. Reading score files and the store happens here, before the event is posted;
the engine only decides.
"""

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from podium.domain.commands import Accepted, Rejected
from podium.domain.engine import Engine
from podium.domain.errors import (
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    ShuttingDown,
    UserError,
)
from podium.domain.events import (
    CancelJob,
    ClearRateLimits,
    Event,
    JobSubmitted,
    ModifyJob,
    NewScore,
    PauseJob,
    RecoveredJob,
    ResumeJob,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import AttemptRecord, JobRecord, RateLimitRecord, Usage
from podium.domain.status import SheetStatus
from podium.domain.views import JobView, job_view
from podium.runtime.archive import archive_workspace
from podium.runtime.catalog import JobCatalog
from podium.runtime.loop import Inbox, Replies
from podium.runtime.ports import CompiledJob, Compiler, Store

DETAILED_SHEETS = 200
"""Status shows the checks of at most this many unfinished sheets (the first ones)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Submitted:
    job_id: JobId
    total_sheets: int
    workspace: str
    archived: str | None = None


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
        """Take requests: the jobs of the previous run are back in the engine."""
        self._open.set()

    def close(self) -> None:
        self._closed = True

    async def _ready(self) -> None:
        # Until recovery is done, a request waits: the engine must know the unfinished jobs
        # first (or it could not tell that a score is already running).
        await self._open.wait()
        if self._closed:
            raise ShuttingDown(
                "the conductor is shutting down and takes no new work; "
                "start it again with 'podium start'"
            )

    # ---- changes ----------------------------------------------------------------------

    async def submit(
        self, score_path: str, client_cwd: str | None, *, start_sheet: int = 1, fresh: bool = False
    ) -> Submitted:
        await self._ready()
        path = Path(client_cwd or "/", score_path).absolute()
        compiled = self._compiler.compile(path)
        archived = self._archive(path, compiled) if fresh else None
        job_id = self._allocate(path.stem)
        self._catalog.add(job_id, compiled)
        try:
            await self._ask(
                lambda request: JobSubmitted(
                    request,
                    job_id,
                    compiled.plan,
                    str(path),
                    str(compiled.workspace),
                    compiled.snapshot,
                    start_sheet=start_sheet,
                    note=f"started fresh: the workspace was archived to {archived}"
                    if archived
                    else None,
                ),
                undo=lambda: self._catalog.forget(job_id),
            )
        finally:
            self._reserved.discard(job_id)
        return Submitted(
            job_id,
            compiled.plan.total_sheets,
            str(compiled.workspace),
            str(archived) if archived else None,
        )

    def _archive(self, path: Path, compiled: CompiledJob) -> Path | None:
        """Archive the workspace for a fresh run, unless a job is running this score in it.
        Nothing happens between this check and the submission (no await), so no other
        submission of the score can come in between."""
        policy = compiled.archive_policy
        if policy is None:
            return None
        running = self._engine.job_running(str(path))
        if running is not None:
            raise JobAlreadyRunning(
                f"job '{running}' is already running this score ({path}); its workspace is "
                "not archived"
            )
        try:
            return archive_workspace(compiled.workspace, policy, datetime.now())
        except OSError as exc:
            raise UserError(f"cannot archive the workspace {compiled.workspace}: {exc}") from None

    async def pause(self, job_id: str, *, force: bool) -> str:
        await self._ready()
        self._must_be_active(JobId(job_id), "paused")
        return await self._ask(lambda request: PauseJob(request, JobId(job_id), force))

    async def cancel(self, job_id: str) -> str:
        await self._ready()
        self._must_be_active(JobId(job_id), "cancelled")
        return await self._ask(lambda request: CancelJob(request, JobId(job_id)))

    async def resume(self, job_id: str, *, reload: bool) -> str:
        """Resume a paused, failed or cancelled job (or release a held chain). With `reload`
        the score is read again from its file; otherwise the job keeps its snapshot."""
        await self._ready()
        jid = JobId(job_id)
        stored = self._revivable(jid)
        record = stored.job if stored else self._active_record(jid)
        path = Path(record.score_path)
        if reload and not path.exists():
            raise UserError(
                f"the score {path} is gone; resume with --no-reload to go on with the score "
                "the job was submitted with"
            )
        score = self._read_again(jid, path) if reload else None
        if score is not None and score.snapshot == self._store.snapshot(jid):
            self._catalog.unstage(jid, score.key)
            score = None  # unchanged: nothing to wait for
        return await self._ask(
            lambda request: ResumeJob(request, jid, stored, score),
            undo=lambda: self._undo(jid, score),
        )

    async def modify(self, job_id: str, score_path: str, client_cwd: str | None) -> str:
        """Give a job a new score: it pauses, lets its attempts in flight end, then resumes
        on the new score, keeping what is done."""
        await self._ready()
        jid = JobId(job_id)
        stored = self._revivable(jid)
        path = Path(client_cwd or "/", score_path).absolute()
        score = self._read_again(jid, path)
        return await self._ask(
            lambda request: ModifyJob(request, jid, score, stored),
            undo=lambda: self._undo(jid, score),
        )

    async def clear_rate_limits(self, instrument: str | None) -> str:
        await self._ready()
        return await self._ask(lambda request: ClearRateLimits(request, instrument))

    # ---- reads ------------------------------------------------------------------------

    def status(self, job_id: str) -> JobView:
        view = self._engine.view(JobId(job_id))
        if view is not None:
            return view
        stored = self._store.get_job(JobId(job_id))
        if stored is None:
            raise _not_found(job_id)
        return job_view(stored.record, stored.plan, stored.sheets, history=stored.history)

    def attempt_details(self, view: JobView) -> tuple[dict[SheetNum, AttemptRecord], Usage]:
        """The latest attempt of each unfinished sheet that ran (at most DETAILED_SHEETS of
        them), and what the job's attempts consumed, from the store."""
        sheets = [
            s.num for s in view.sheets if s.attempts and s.status is not SheetStatus.COMPLETED
        ][:DETAILED_SHEETS]
        return self._store.latest_attempts(view.job_id, sheets), self._store.usage(view.job_id)

    def list_jobs(self, *, include_finished: bool, limit: int) -> JobList:
        if not include_finished:
            jobs = self._engine.active_jobs()[::-1]  # newest first, like the full list
            return JobList(jobs[:limit], len(jobs))
        return JobList(self._store.list_jobs(statuses=None, limit=limit), self._store.count_jobs())

    def rate_limits(self) -> list[RateLimitRecord]:
        return self._engine.rate_limits()

    # ---- mechanics --------------------------------------------------------------------

    async def _ask(
        self, event: Callable[[int], Event], undo: Callable[[], None] | None = None
    ) -> str:
        """Post the event and wait for the engine's answer; a rejection becomes the error that
        says why (after `undo` has put back what was prepared for it)."""
        request, answer = self._replies.expect()
        self._inbox.post(event(request))
        result = await answer
        if isinstance(result, Rejected):
            if undo is not None:
                undo()
            raise _rejection(result)
        assert isinstance(result, Accepted)
        return result.message

    def _must_be_active(self, job_id: JobId, verb: str) -> None:
        if self._engine.view(job_id) is not None:
            return
        stored = self._store.get_job(job_id)
        if stored is None:
            raise _not_found(job_id)
        raise InvalidState(
            f"job '{job_id}' has {stored.record.status}; only an active job can be {verb}"
        )

    def _active_record(self, job_id: JobId) -> JobRecord:
        view = self._engine.view(job_id)
        if view is None:
            raise _not_found(job_id)
        return view.job

    def _revivable(self, job_id: JobId) -> RecoveredJob | None:
        """A finished job as stored, ready to come back into the engine with its score; None
        when the job is active."""
        if self._engine.view(job_id) is not None:
            return None
        stored = self._store.get_job(job_id)
        if stored is None:
            raise _not_found(job_id)
        snapshot = self._store.snapshot(job_id) or ""
        compiled = self._compiler.compile(Path(stored.record.score_path), snapshot)
        self._catalog.add(job_id, compiled)
        # The plan compiled again from the snapshot, not the stored one: a stored plan may
        # predate fields this version reads (its policy, say).
        return RecoveredJob(stored.record, compiled.plan, stored.sheets, history=stored.history)

    def _read_again(self, job_id: JobId, path: Path) -> NewScore:
        """The score at `path`, compiled and checked as a new submission is, staged for the
        job until the engine switches it over."""
        compiled: CompiledJob = self._compiler.compile(path)
        snapshot = compiled.snapshot
        key = hashlib.sha256(snapshot.encode()).hexdigest()[:16]
        self._catalog.stage(job_id, key, compiled)
        return NewScore(compiled.plan, snapshot, str(path), key)

    def _undo(self, job_id: JobId, score: NewScore | None) -> None:
        if score is not None:
            self._catalog.unstage(job_id, score.key)
        if self._engine.view(job_id) is None:
            self._catalog.forget(job_id)

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


def _not_found(job_id: str) -> JobNotFound:
    return JobNotFound(f"no job '{job_id}'; 'podium list --all' shows every job")


def _rejection(result: Rejected) -> UserError:
    match result.code:
        case "already_running":
            return JobAlreadyRunning(result.reason)
        case "not_found":
            return JobNotFound(result.reason)
        case "invalid_state":
            return InvalidState(result.reason)
        case _:
            return UserError(result.reason)
