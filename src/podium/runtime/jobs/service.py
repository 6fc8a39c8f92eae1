"""What the conductor's methods do: submit a score, control a job, report on jobs and on itself.

Each request that changes a job becomes one event for the engine, and the caller waits for the
engine's answer. Reading score files and the store happens here, before the event is posted;
the engine only decides.
"""

import asyncio
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from podium.domain.commands import Accepted, Rejected
from podium.domain.engine import Engine
from podium.domain.errors import (
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    ResourceExhausted,
    ShuttingDown,
    StateUnwritable,
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
    RecoverSheets,
    ResumeJob,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.isolation import Worktree
from podium.domain.pressure import Pressure, refusal
from podium.domain.records import AttemptRecord, JobRecord, RateLimitRecord, Usage
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.views import JobView, job_view
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.clearing import (
    Cleared,
    Selection,
    remove_state,
    select_finished,
    set_aside,
)
from podium.runtime.jobs.submit_keys import KeyLocks
from podium.runtime.loop import Inbox, Replies
from podium.runtime.ports import CompiledJob, Compiler, Store
from podium.runtime.worktrees.archive import archive_workspace
from podium.runtime.worktrees.isolation import WorktreeFailed, Worktrees

DETAILED_SHEETS = 200
"""Status shows the checks of at most this many unfinished sheets (the first ones)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Submitted:
    job_id: JobId
    total_sheets: int
    workspace: str
    archived: str | None = None
    changed_since: JobId | None = None
    """The completed job of this score, when the score changed since (a fresh run)."""
    duplicate: bool = False
    """Its idempotency key had been used: this is the job submitted then, nothing new."""


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
        pressure: Callable[[], Pressure | None] = lambda: None,
        jobs_dir: Path | None = None,
        worktrees: Worktrees | None = None,
    ) -> None:
        self._engine = engine
        self._worktrees = worktrees
        """Makes a job's git worktree when its score asks for isolation; None: never."""
        self._jobs_dir = jobs_dir
        """Where jobs keep their state folders (`jobs/<id>/`), removed by `clear`."""
        self._pressure = pressure
        """The resource monitor's latest word; at a level that refuses work, new jobs and
        resumes are refused."""
        self._store = store
        self._inbox = inbox
        self._replies = replies
        self._catalog = catalog
        self._compiler = compiler
        self._reserved: set[str] = set()
        self._keys = KeyLocks()
        """Submissions with the same idempotency key, one at a time."""
        self._reviving: set[JobId] = set()
        """Finished jobs a request is bringing back into the engine, not there yet."""
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

    def _refuse_under_pressure(self) -> None:
        pressure = self._pressure()
        if pressure is not None and pressure.level.refuses_work:
            raise ResourceExhausted(refusal(pressure))

    # ---- changes ----------------------------------------------------------------------

    async def submit(
        self,
        score_path: str,
        client_cwd: str | None,
        *,
        start_sheet: int = 1,
        fresh: bool = False,
        workspace: str | None = None,
        job_id: JobId | None = None,
        chain_depth: int = 0,
        note: str | None = None,
        submit_key: str | None = None,
    ) -> Submitted:
        """Submit the score at `score_path` (relative to `client_cwd`); `workspace` replaces
        the score's own. A score that changed since its last job completed runs fresh. A
        `run_job` hook gives the job's id (from `reserve_id`), its depth in the chain and the
        first line of its history. A score with `isolation` runs in a git worktree of its own
        (made here, before the engine hears of the job; see `podium.runtime.worktrees.isolation`).

        With `submit_key` (a client's idempotency key), a key used before gives back the job
        submitted with it, marked `duplicate`, and submits nothing; a new key is stored with
        the job, in the transaction that accepts it."""
        path = Path(client_cwd or "/", score_path).absolute()
        submit = functools.partial(
            self._submit_new,
            path,
            client_cwd,
            start_sheet=start_sheet,
            fresh=fresh,
            workspace=workspace,
            job_id=job_id,
            chain_depth=chain_depth,
            note=note,
            submit_key=submit_key,
        )
        if submit_key is None:
            return await submit()
        async with self._keys.hold(submit_key):
            return self._submitted_with(submit_key, path) or await submit()

    async def _submit_new(
        self,
        path: Path,
        client_cwd: str | None,
        *,
        start_sheet: int,
        fresh: bool,
        workspace: str | None,
        job_id: JobId | None,
        chain_depth: int,
        note: str | None,
        submit_key: str | None,
    ) -> Submitted:
        await self._ready()
        self._refuse_under_pressure()
        folder = str(Path(client_cwd or "/", workspace).absolute()) if workspace else None
        # Off the loop: reading a score and rendering each of its prompts takes a while for
        # a big one, and `podium status` must answer meanwhile.
        compiled = await asyncio.to_thread(self._compiler.compile, path, workspace=folder)
        job_id = job_id or self._allocate(path.stem)
        worktree = None
        try:
            compiled, worktree, placed = await self._isolate(job_id, path, compiled)
            # A new worktree starts clean: there is nothing of an earlier run to archive.
            changed_since = self._changed_since(path, compiled) if worktree is None else None
            archived = (
                self._archive(path, compiled)
                if worktree is None and (fresh or changed_since)
                else None
            )
            fresh_note = _fresh_note(changed_since, archived)
            note = "; ".join(filter(None, (note, placed, fresh_note))) or None
            self._catalog.add(job_id, compiled)
            await self._ask(
                lambda request: JobSubmitted(
                    request,
                    job_id,
                    compiled.plan,
                    str(path),
                    str(compiled.workspace),
                    compiled.snapshot,
                    start_sheet=start_sheet,
                    chain_depth=chain_depth,
                    note=note,
                    submit_key=submit_key,
                ),
                undo=lambda: self._catalog.forget(job_id),
            )
        except Exception:
            # Refused, or failed before the engine heard of the job. Not on a cancellation: the
            # engine may have accepted the job already; a worktree whose job is not stored is
            # removed at the next start.
            if worktree is not None and self._worktrees is not None:
                await self._worktrees.discard(worktree)
            raise
        finally:
            self._reserved.discard(job_id)
        return Submitted(
            job_id,
            compiled.plan.total_sheets,
            str(compiled.workspace),
            str(archived) if archived else None,
            changed_since,
        )

    def _submitted_with(self, submit_key: str, path: Path) -> Submitted | None:
        """The job submitted with this idempotency key before, if any; the key cannot name
        another score's job."""
        found = self._store.job_for_key(submit_key)
        if found is None:
            return None
        if found.score_path != str(path):
            raise UserError(
                f"idempotency key {submit_key!r} was given with {found.score_path} (job "
                f"{found.job_id}), not with {path}; give each submission a key of its own"
            )
        return Submitted(found.job_id, found.total_sheets, found.workspace, duplicate=True)

    async def _isolate(
        self, job_id: JobId, path: Path, compiled: CompiledJob
    ) -> tuple[CompiledJob, Worktree | None, str | None]:
        """The job's own git worktree, when its score asks for one: the score compiled again
        with its workspace there, the worktree, and the first words of the job's history."""
        isolation = compiled.isolation
        if isolation is None or self._worktrees is None:
            return compiled, None, None
        try:
            worktree = await self._worktrees.open(job_id, compiled.workspace, isolation)
        except WorktreeFailed as exc:
            if not isolation.fallback_on_error:
                raise UserError(
                    f"isolation: cannot make a git worktree for job {job_id}: {exc}; make the "
                    "workspace part of a git repository with at least one commit, or set "
                    "isolation.fallback_on_error: true to run in the workspace itself"
                ) from None
            return compiled, None, f"warning: no git worktree, runs in the workspace itself: {exc}"
        try:
            isolated = await asyncio.to_thread(
                self._compiler.compile, path, workspace=worktree.workspace
            )
        except Exception:
            await self._worktrees.discard(worktree)
            raise
        base = worktree.base_commit[:12]
        return (
            isolated,
            worktree,
            f"runs in worktree {worktree.path} on branch {worktree.branch} (from {base})",
        )

    def reserve_id(self, score_path: str) -> JobId:
        """An id for a job of the score at `score_path`, held until a `submit` with it."""
        return self._allocate(Path(score_path).stem)

    def _changed_since(self, path: Path, compiled: CompiledJob) -> JobId | None:
        """The job that last ran this score and completed, when the score has changed since:
        the new run is then a fresh one (its workspace archived, if the score says so)."""
        last = self._store.latest_job(str(path))
        if (
            last is None
            or last.status is not JobStatus.COMPLETED
            or last.workspace != str(compiled.workspace)
        ):
            return None
        if self._store.snapshot(last.job_id) == compiled.snapshot:
            return None
        return last.job_id

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

    async def resume(
        self, job_id: str, *, reload: bool, force: bool = False, score_path: Path | None = None
    ) -> str:
        """Resume a paused, failed or cancelled job (or release a held chain); with `force`, a
        completed one too, every sheet again. With `reload` the score is read again from its
        file (or from `score_path`, which becomes the job's); otherwise the job keeps its
        snapshot."""
        await self._ready()
        self._refuse_under_pressure()
        jid = JobId(job_id)
        stored = self._revivable(jid)
        record = stored.job if stored else self._active_record(jid)
        path = score_path or Path(record.score_path)
        if reload and not path.exists():
            raise UserError(
                f"the score {path} is gone; resume with --no-reload to go on with the score "
                "the job was submitted with"
            )
        score = await self._read_again(jid, path) if reload else None
        if (
            score is not None
            and str(path) == record.score_path
            and score.snapshot == self._store.snapshot(jid)
        ):
            self._catalog.unstage(jid, score.key)
            score = None  # unchanged: nothing to wait for
        return await self._ask(
            lambda request: ResumeJob(request, jid, stored, score, force),
            undo=lambda: self._undo(jid, score),
            reviving=jid if stored else None,
        )

    async def modify(
        self, job_id: str, score_path: str, client_cwd: str | None, *, resume: bool = True
    ) -> str:
        """Give a job a new score: it pauses, lets its attempts in flight end, then resumes
        on the new score, keeping what is done (a paused job stays paused unless `resume`)."""
        await self._ready()
        jid = JobId(job_id)
        stored = self._revivable(jid)
        path = Path(client_cwd or "/", score_path).absolute()
        score = await self._read_again(jid, path)
        return await self._ask(
            lambda request: ModifyJob(request, jid, score, stored, resume),
            undo=lambda: self._undo(jid, score),
            reviving=jid if stored else None,
        )

    async def recover(
        self,
        job_id: str,
        *,
        sheets: tuple[int, ...] = (),
        from_sheet: int | None = None,
        dry_run: bool = False,
    ) -> Accepted:
        """Check failed sheets' validations again against the workspace as it is now (those
        that pass are completed), or put the sheets from `from_sheet` on back to pending."""
        await self._ready()
        jid = JobId(job_id)
        stored = self._revivable(jid)
        return await self._ask_for(
            lambda request: RecoverSheets(
                request,
                jid,
                stored,
                tuple(SheetNum(n) for n in sheets),
                None if from_sheet is None else SheetNum(from_sheet),
                dry_run,
            ),
            undo=lambda: self._undo(jid, None),
            reviving=jid if stored else None,
        )

    async def clear(self, selection: Selection, *, dry_run: bool) -> Cleared:
        """Remove finished jobs from the registry (rows and state folders, never their
        workspace); an active job named in `selection` is an error. A job of a fleet that has
        not ended stays (the fleet decides by it), and the problems say so."""
        await self._ready()
        found = select_finished(
            self._store,
            lambda job_id: job_id in self._reviving or self._engine.view(job_id) is not None,
            selection,
        )
        fleets = self._store.fleet_jobs()
        kept = tuple(
            f"job {r.job_id} belongs to fleet {fleets[r.job_id]}, which has not ended; cancel "
            "or finish the fleet first"
            for r in found
            if r.job_id in fleets
        )
        found = [r for r in found if r.job_id not in fleets]
        if dry_run or not found:
            return Cleared(found, kept)
        # Nothing awaits between the check above and this: no request can revive them between.
        aside = set_aside(self._jobs_dir, found)
        found, kept = aside.jobs, (*kept, *aside.problems)
        ids = [r.job_id for r in found]
        if self._worktrees is not None:
            self._worktrees.clearing(ids)
        try:
            self._store.delete_jobs(ids)
        except StateUnwritable:
            if self._jobs_dir is not None:
                aside.put_back(self._jobs_dir)
            raise
        problems = await asyncio.to_thread(remove_state, aside.folder)
        if self._worktrees is not None:
            problems = (*problems, *await self._worktrees.cleared(ids))
        return Cleared(found, (*kept, *problems))

    async def clear_rate_limits(self, instrument: str | None) -> str:
        await self._ready()
        return await self._ask(lambda request: ClearRateLimits(request, instrument))

    # ---- reads ------------------------------------------------------------------------

    def status(self, job_id: str) -> JobView:
        view = self._engine.view(JobId(job_id))
        if view is None:
            stored = self._store.get_job(JobId(job_id))
            if stored is None:
                raise _not_found(job_id)
            view = job_view(
                stored.record,
                stored.plan,
                stored.sheets,
                history=stored.history,
                hooks=stored.hooks,
            )
        if view.job.chain_depth:
            view = replace(view, parent=self._store.parent_of(view.job_id))
        return view

    def worktree(self, job_id: str) -> Worktree | None:
        """The job's git worktree (`isolation`), on disk or removed; None when it has none."""
        return None if self._worktrees is None else self._worktrees.find(JobId(job_id))

    def attempt_details(self, view: JobView) -> tuple[dict[SheetNum, AttemptRecord], Usage]:
        """The latest attempt of each unfinished sheet that ran (at most DETAILED_SHEETS of
        them), and what the job's attempts consumed, from the store."""
        sheets = [
            s.num for s in view.sheets if s.attempts and s.status is not SheetStatus.COMPLETED
        ][:DETAILED_SHEETS]
        return self._store.latest_attempts(view.job_id, sheets), self._store.usage(view.job_id)

    def list_jobs(
        self, *, include_finished: bool, limit: int, statuses: tuple[JobStatus, ...] = ()
    ) -> JobList:
        if statuses:
            # From the store, which has every job (the engine's are written before any effect).
            found = self._store.list_jobs(statuses=statuses, limit=limit)
            return JobList(found, self._store.count_jobs(statuses))
        if not include_finished:
            jobs = self._engine.active_jobs()[::-1]  # newest first, like the full list
            return JobList(jobs[:limit], len(jobs))
        return JobList(self._store.list_jobs(statuses=None, limit=limit), self._store.count_jobs())

    def rate_limits(self) -> list[RateLimitRecord]:
        return self._engine.rate_limits()

    # ---- mechanics --------------------------------------------------------------------

    async def _ask(
        self,
        event: Callable[[int], Event],
        undo: Callable[[], None] | None = None,
        *,
        reviving: JobId | None = None,
    ) -> str:
        return (await self._ask_for(event, undo, reviving=reviving)).message

    async def _ask_for(
        self,
        event: Callable[[int], Event],
        undo: Callable[[], None] | None = None,
        *,
        reviving: JobId | None = None,
    ) -> Accepted:
        """Post the event and wait for the engine's answer; a rejection becomes the error that
        says why (after `undo` has put back what was prepared for it). A finished job the event
        brings back (`reviving`) counts as active meanwhile: `clear` leaves it alone."""
        if reviving is not None:
            await self._worktree_back(reviving, undo)
        request, answer = self._replies.expect()
        if reviving is not None:
            self._reviving.add(reviving)
        self._inbox.post(event(request))
        try:
            result = await answer
        finally:
            if reviving is not None:
                self._reviving.discard(reviving)
                if self._worktrees is not None:
                    self._worktrees.let_go(reviving)
        if isinstance(result, Rejected):
            if undo is not None:
                undo()
            raise _rejection(result)
        assert isinstance(result, Accepted)
        return result

    async def _worktree_back(self, job_id: JobId, undo: Callable[[], None] | None) -> None:
        """A finished job coming back needs its worktree, if it had one, on disk again."""
        if self._worktrees is None:
            return
        try:
            await self._worktrees.bring_back(job_id)
        except UserError:
            if undo is not None:
                undo()
            raise

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

    async def _read_again(self, job_id: JobId, path: Path) -> NewScore:
        """The score at `path`, compiled and checked as a new submission is, staged for the
        job until the engine switches it over."""
        current = self._catalog.find(job_id)
        workspace = current.workspace_override if current is not None else None
        compiled: CompiledJob = await asyncio.to_thread(
            self._compiler.compile, path, workspace=workspace
        )
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


def _fresh_note(changed_since: JobId | None, archived: Path | None) -> str | None:
    """The first line of a fresh job's history."""
    parts = []
    if changed_since is not None:
        parts.append(f"started fresh: the score changed since job {changed_since} completed")
    if archived is not None:
        parts.append(f"the workspace was archived to {archived}")
    if not parts:
        return None
    text = "; ".join(parts)
    return text if text.startswith("started fresh") else f"started fresh: {text}"


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
