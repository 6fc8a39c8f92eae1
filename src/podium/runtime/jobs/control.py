"""Controlling jobs: pause, cancel, resume, modify, recover, clear, and the rate-limit windows.

Each request becomes one event for the engine (`podium.runtime.jobs.requests`). A finished job
a request brings back is read from the store and its score compiled again from its snapshot;
a score read again from its file (a resume with reload, a modify) is compiled and checked as
a new submission is. Both are offered to the catalog, kept only if the engine takes them.
"""

import asyncio
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from podium.domain.commands import Accepted
from podium.domain.engine import Engine
from podium.domain.errors import InvalidState, StateUnwritable, UserError
from podium.domain.events import (
    CancelJob,
    ClearRateLimits,
    ModifyJob,
    NewScore,
    PauseJob,
    RecoverSheets,
    RestoredJob,
    ResumeJob,
    StopAttempt,
)
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import Carried, JobRecord
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.clearing import (
    Cleared,
    Selection,
    remove_state,
    select_finished,
    set_aside,
)
from podium.runtime.jobs.requests import EngineRequests, Offer, not_found
from podium.runtime.ports import CompiledJob, Compiler, Store
from podium.runtime.worktrees.isolation import Worktrees


@dataclass(frozen=True, slots=True)
class _Revived:
    """A finished job as stored, ready to come back into the engine, and its score compiled
    again from its snapshot."""

    stored: RestoredJob
    compiled: CompiledJob


class JobControl:
    """The requests that change a job the conductor has (or had)."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: Store,
        requests: EngineRequests,
        catalog: JobCatalog,
        compiler: Compiler,
        jobs_dir: Path | None = None,
        worktrees: Worktrees | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._requests = requests
        self._catalog = catalog
        self._compiler = compiler
        self._jobs_dir = jobs_dir
        """Where jobs keep their state folders (`jobs/<id>/`), removed by `clear`."""
        self._worktrees = worktrees

    async def pause(self, job_id: str, *, force: bool) -> str:
        await self._requests.ready()
        self._must_be_active(JobId(job_id), "paused")
        return await self._requests.message(lambda r: PauseJob(r, JobId(job_id), force))

    async def kill(self, job_id: str, sheet: int) -> str:
        """Stop the sheet's running attempt; it runs again, its retries untouched."""
        await self._requests.ready()
        self._must_be_active(JobId(job_id), "told to stop an attempt")
        return await self._requests.message(
            lambda r: StopAttempt(r, JobId(job_id), SheetNum(sheet))
        )

    async def cancel(self, job_id: str) -> str:
        await self._requests.ready()
        self._must_be_active(JobId(job_id), "cancelled")
        return await self._requests.message(lambda r: CancelJob(r, JobId(job_id)))

    async def clear_rate_limits(self, instrument: str | None) -> str:
        await self._requests.ready()
        return await self._requests.message(lambda r: ClearRateLimits(r, instrument))

    async def resume(
        self,
        job_id: str,
        *,
        reload: bool,
        force: bool = False,
        score_path: Path | None = None,
        environment: Carried | None = None,
    ) -> str:
        """Resume a paused, failed or cancelled job (or release a held chain); with `force`, a
        completed one too, every sheet again. With `reload` the score is read again from its
        file (or from `score_path`, which becomes the job's); otherwise the job keeps its
        snapshot. `environment`, the resuming shell's, replaces the one the job carried (the
        person resuming may have just installed what it lacked)."""
        await self._requests.ready()
        self._requests.refuse_under_pressure()
        jid = JobId(job_id)
        revived = self._revivable(jid, environment)
        record = revived.stored.job if revived else self._active_record(jid)
        path = score_path or Path(record.score_path)
        if reload and not path.exists():
            raise UserError(
                f"the score {path} is gone; resume with --no-reload to go on with the score "
                "the job was submitted with"
            )
        offers = [Offer(jid, revived.compiled)] if revived else []
        changed = await self._changed_score(
            jid, path if reload else None, record, revived, environment
        )
        score = changed[0] if changed else None
        offers += [changed[1]] if changed else []
        stored = revived.stored if revived else None
        accepted = await self._requests.ask(
            lambda r: ResumeJob(r, jid, stored, score, force),
            offers,
            reviving=jid if revived else None,
        )
        return accepted.message

    async def modify(
        self, job_id: str, score_path: str, client_cwd: str | None, *, resume: bool = True
    ) -> str:
        """Give a job a new score: it pauses, lets its attempts in flight end, then resumes
        on the new score, keeping what is done (a paused job stays paused unless `resume`)."""
        await self._requests.ready()
        jid = JobId(job_id)
        revived = self._revivable(jid)
        path = Path(client_cwd or "/", score_path).absolute()
        score, compiled = await self._read_again(jid, path, revived, self._store.environment(jid))
        offers = [Offer(jid, revived.compiled)] if revived else []
        stored = revived.stored if revived else None
        accepted = await self._requests.ask(
            lambda r: ModifyJob(r, jid, score, stored, resume),
            [*offers, Offer(jid, compiled, score.key)],
            reviving=jid if revived else None,
        )
        return accepted.message

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
        await self._requests.ready()
        jid = JobId(job_id)
        revived = self._revivable(jid)
        return await self._requests.ask(
            lambda r: RecoverSheets(
                r,
                jid,
                revived.stored if revived else None,
                tuple(SheetNum(n) for n in sheets),
                None if from_sheet is None else SheetNum(from_sheet),
                dry_run,
            ),
            [Offer(jid, revived.compiled)] if revived else [],
            reviving=jid if revived else None,
        )

    async def clear(self, selection: Selection, *, dry_run: bool) -> Cleared:
        """Remove finished jobs from the registry (rows and state folders, never their
        workspace); an active job named in `selection` is an error. A job of a fleet that has
        not ended stays (the fleet decides by it), and the problems say so."""
        await self._requests.ready()
        found = select_finished(
            self._store,
            lambda job_id: self._requests.reviving(job_id) or self._engine.view(job_id) is not None,
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
        return await self._remove(found, kept)

    async def _remove(self, found: list[JobRecord], kept: tuple[str, ...]) -> Cleared:
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

    def _must_be_active(self, job_id: JobId, verb: str) -> None:
        if self._engine.view(job_id) is not None:
            return
        stored = self._store.get_job(job_id)
        if stored is None:
            raise not_found(job_id)
        raise InvalidState(
            f"job '{job_id}' has {stored.record.status}; only an active job can be {verb}"
        )

    def _active_record(self, job_id: JobId) -> JobRecord:
        view = self._engine.view(job_id)
        if view is None:
            raise not_found(job_id)
        return view.job

    def _revivable(self, job_id: JobId, environment: Carried | None = None) -> _Revived | None:
        """A finished job as stored, with its score (to run with `environment`, else the one
        it carries); None when the job is active."""
        if self._engine.view(job_id) is not None:
            return None
        stored = self._store.get_job(job_id)
        if stored is None:
            raise not_found(job_id)
        snapshot = self._store.snapshot(job_id) or ""
        if environment is None:
            environment = self._store.environment(job_id)
        compiled = self._compiler.compile(
            Path(stored.record.score_path), snapshot, environment=environment
        )
        # The plan compiled again from the snapshot, not the stored one: a stored plan may
        # predate fields this version reads (its policy, say).
        found = RestoredJob(
            stored.record, compiled.plan, stored.sheets, history=stored.history, gates=stored.gates
        )
        return _Revived(found, compiled)

    async def _changed_score(
        self,
        job_id: JobId,
        path: Path | None,
        record: JobRecord,
        revived: _Revived | None,
        environment: Carried | None,
    ) -> tuple[NewScore, Offer] | None:
        """What a resume switches the job to, with its offer to stage it: the score at `path`
        read again (None: the job's stored score), with the resuming shell's `environment`
        (None: the one the job carries). None when both are the job's own unchanged."""
        if path is None and environment is None:
            return None
        kept = self._store.environment(job_id)
        snapshot = self._store.snapshot(job_id)
        score, compiled = await self._read_again(
            job_id,
            path or Path(record.score_path),
            revived,
            kept if environment is None else environment,
            snapshot=None if path is not None else snapshot,
        )
        same_score = str(path or record.score_path) == record.score_path and (
            score.snapshot == snapshot
        )
        if same_score and compiled.environment == kept:
            return None
        return score, Offer(job_id, compiled, score.key)

    async def _read_again(
        self,
        job_id: JobId,
        path: Path,
        revived: _Revived | None,
        environment: Carried | None,
        snapshot: str | None = None,
    ) -> tuple[NewScore, CompiledJob]:
        """The score at `path`, compiled and checked as a new submission is, in the job's
        workspace (the one `run --workspace` gave, if any), with `environment`; or its stored
        `snapshot` compiled again, given one."""
        current = revived.compiled if revived else self._catalog.find(job_id)
        workspace = current.workspace_override if current is not None else None
        rehearsal = current.rehearsal if current is not None else False
        compiled: CompiledJob = await asyncio.to_thread(
            functools.partial(self._compiler.compile, rehearsal=rehearsal),
            path,
            snapshot,
            workspace,
            environment,
        )
        snapshot = compiled.snapshot
        key = hashlib.sha256(snapshot.encode()).hexdigest()[:16]
        return NewScore(compiled.plan, snapshot, str(path), key, compiled.environment), compiled
