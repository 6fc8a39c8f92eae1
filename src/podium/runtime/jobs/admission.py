"""Admitting a job: a score compiled, given an id, isolated in a worktree of its own if it
asks, its workspace archived for a fresh run, then submitted to the engine.

The engine decides whether the job is taken. What the runtime prepares before it decides
never needs undoing on a refusal: the compiled score is only offered to the catalog (kept if
the engine takes the job, see `podium.runtime.jobs.requests`); a worktree is made only after
the checks the engine makes on a submission have passed, with the score held meanwhile, so
that no other submission of it comes in between. Should the engine refuse all the same (a
finished job of the score resumed at that moment), or the submission fail after the worktree
was made, the worktree goes at once, as one of a submission cut short goes at the next start:
it was recorded before git made it, and its job was never stored.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from podium.domain.engine import Engine
from podium.domain.errors import JobAlreadyRunning, UserError
from podium.domain.events import JobSubmitted
from podium.domain.ids import JobId
from podium.domain.isolation import Worktree
from podium.domain.records import Carried
from podium.runtime.jobs.fresh import archive, changed_since, fresh_note
from podium.runtime.jobs.ids import JobIds
from podium.runtime.jobs.requests import EngineRequests, Offer
from podium.runtime.jobs.submit_keys import KeyLocks
from podium.runtime.ports import CompiledJob, Compiler, Store
from podium.runtime.worktrees.isolation import WorktreeFailed, Worktrees

ReachCheck = Callable[[Path, Collection[str]], Awaitable[None]]
"""Raises `UserError` when the attempts on these instruments could not see this workspace."""

REHEARSAL_NOTE = (
    "rehearsal: every sheet is played by the fake agent (podium-fake-agent --satisfy), which "
    "writes what the file and content checks ask; no model is contacted"
)
"""The first words of a rehearsal's history (`run --rehearse`)."""


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
class _Asked:
    """A submission as asked: where it starts, how it came, the client's key."""

    start_sheet: int
    fresh: bool
    chain_depth: int
    note: str | None
    submit_key: str | None
    environment: Carried | None = None
    rehearsal: bool = False


class Admission:
    """Submits scores as jobs (`submit`) and hands out ids ahead of a submission."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: Store,
        requests: EngineRequests,
        compiler: Compiler,
        worktrees: Worktrees | None = None,
        reach: ReachCheck | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._requests = requests
        self._compiler = compiler
        self._worktrees = worktrees
        """Makes a job's git worktree when its score asks for isolation; None: never."""
        self._reach = reach
        """Refuses a job whose workspace its attempts could not see (`Executor.check_reach`)."""
        self._ids = JobIds(store)
        self._keys = KeyLocks()
        """Submissions with the same idempotency key, one at a time."""
        self._scores = KeyLocks()
        """Submissions of the same score file, one at a time."""

    def reserve_id(self, score_path: str) -> JobId:
        """An id for a job of the score at `score_path`, held until a `submit` with it."""
        return self._ids.allocate(Path(score_path).stem)

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
        environment: Carried | None = None,
        rehearsal: bool = False,
    ) -> Submitted:
        """Submit the score at `score_path` (relative to `client_cwd`); `workspace` replaces
        the score's own. A score that changed since its last job completed runs fresh. A
        `run_job` hook gives the job's id (from `reserve_id`), its depth in the chain and the
        first line of its history. A score with `isolation` runs in a git worktree of its own
        (see the module and `podium.runtime.worktrees.isolation`).

        With `submit_key` (a client's idempotency key), a key used before gives back the job
        submitted with it, marked `duplicate`, and submits nothing; a new key is stored with
        the job, in the transaction that accepts it. `environment` is what the client carried
        (see `podium.runtime.ports.Compiler.compile`): it is stored with the job too. With
        `rehearsal`, the fake agent plays every sheet, in the job's snapshot too, and the job's
        history begins by saying so."""
        path = Path(client_cwd or "/", score_path).absolute()
        folder = str(Path(client_cwd or "/", workspace).absolute()) if workspace else None
        asked = _Asked(start_sheet, fresh, chain_depth, note, submit_key, environment, rehearsal)
        submit = functools.partial(self._submit_new, path, folder, asked, job_id)
        if submit_key is None:
            return await submit()
        async with self._keys.hold(submit_key):
            return self._submitted_with(submit_key, path) or await submit()

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

    async def _submit_new(
        self, path: Path, folder: str | None, asked: _Asked, job_id: JobId | None
    ) -> Submitted:
        await self._requests.ready()
        self._requests.refuse_under_pressure()
        # Off the loop: reading a score and rendering each of its prompts takes a while for
        # a big one, and `podium status` must answer meanwhile.
        compiled = await asyncio.to_thread(
            functools.partial(self._compiler.compile, rehearsal=asked.rehearsal),
            path,
            workspace=folder,
            environment=asked.environment,
        )
        job_id = job_id or self._ids.allocate(path.stem)
        try:
            async with self._scores.hold(str(path)):
                return await self._admit(job_id, path, compiled, asked)
        finally:
            self._ids.release(job_id)

    async def _admit(
        self, job_id: JobId, path: Path, compiled: CompiledJob, asked: _Asked
    ) -> Submitted:
        worktree = None
        try:
            compiled, worktree, placed = await self._isolate(job_id, path, compiled, asked)
            if self._reach is not None:
                instruments = {name for sheet in compiled.plan.sheets for name in sheet.chain}
                await self._reach(compiled.workspace, instruments)
            # A new worktree starts clean: there is nothing of an earlier run to archive.
            changed = changed_since(self._store, path, compiled) if worktree is None else None
            archived = (
                archive(self._engine, path, compiled)
                if worktree is None and (asked.fresh or changed)
                else None
            )
            told = (REHEARSAL_NOTE if compiled.rehearsal else None, asked.note, placed)
            note = "; ".join(filter(None, (*told, fresh_note(changed, archived))))
            await self._requests.ask(
                lambda request: JobSubmitted(
                    request,
                    job_id,
                    compiled.plan,
                    str(path),
                    str(compiled.workspace),
                    compiled.snapshot,
                    start_sheet=asked.start_sheet,
                    chain_depth=asked.chain_depth,
                    note=note or None,
                    submit_key=asked.submit_key,
                    environment=compiled.environment,
                ),
                [Offer(job_id, compiled)],
            )
        except Exception:
            # The job was not stored: its worktree goes now rather than at the next start. Not
            # on a cancellation: the engine may take the job all the same.
            if worktree is not None and self._worktrees is not None:
                await self._worktrees.discard(worktree)
            raise
        return Submitted(
            job_id,
            compiled.plan.total_sheets,
            str(compiled.workspace),
            str(archived) if archived else None,
            changed,
        )

    async def _isolate(
        self, job_id: JobId, path: Path, compiled: CompiledJob, asked: _Asked
    ) -> tuple[CompiledJob, Worktree | None, str | None]:
        """The job's own git worktree, when its score asks for one: the score compiled again
        with its workspace there, the worktree, and the first words of the job's history."""
        isolation = compiled.isolation
        if isolation is None or self._worktrees is None:
            return compiled, None, None
        self._check_takeable(path, compiled, asked.start_sheet)
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
                functools.partial(self._compiler.compile, rehearsal=asked.rehearsal),
                path,
                workspace=worktree.workspace,
                environment=asked.environment,
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

    def _check_takeable(self, path: Path, compiled: CompiledJob, start_sheet: int) -> None:
        """Refuse, before a worktree is made for it, a submission the engine would refuse (in
        the engine's words): its score is running, or it starts at a sheet it does not have."""
        running = self._engine.job_running(str(path))
        if running is not None:
            raise JobAlreadyRunning(
                f"job '{running}' is already running this score ({path}); "
                f"follow it with 'podium status {running}'"
            )
        total = compiled.plan.total_sheets
        if not 1 <= start_sheet <= total:
            raise UserError(f"there is no sheet {start_sheet} to start at: the score has {total}")
