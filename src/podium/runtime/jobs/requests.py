"""Asking the engine: a request that changes a job becomes one event in the engine's inbox,
and its caller waits for the engine's answer.

Everything a request reads (score files, the store) is read before the event is posted; the
engine only decides. What the runtime must hold for a job before the engine decides (its
compiled score) is *offered* to the catalog for as long as the request waits, and kept only if
the engine takes it (`podium.runtime.jobs.catalog`): a refusal leaves nothing to undo.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from podium.domain.commands import Accepted, Rejected
from podium.domain.errors import (
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    ResourceExhausted,
    ShuttingDown,
    UserError,
)
from podium.domain.events import Event
from podium.domain.ids import JobId
from podium.domain.pressure import Pressure, refusal
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.loop import Inbox, Replies
from podium.runtime.ports import CompiledJob
from podium.runtime.worktrees.isolation import Worktrees


@dataclass(frozen=True, slots=True)
class Offer:
    """A compiled score the request needs the catalog to hold if the engine takes it: the
    job's own (`key` None), or a new score to stage under `key`."""

    job_id: JobId
    job: CompiledJob
    key: str | None = None


class EngineRequests:
    """The door to the engine: open once the jobs of the last run are back, closed at
    shutdown; posts events and turns the engine's answers into results or errors."""

    def __init__(
        self,
        *,
        inbox: Inbox,
        replies: Replies,
        catalog: JobCatalog,
        pressure: Callable[[], Pressure | None] = lambda: None,
        worktrees: Worktrees | None = None,
    ) -> None:
        self._inbox = inbox
        self._replies = replies
        self._catalog = catalog
        self._pressure = pressure
        """The resource monitor's latest word; at a level that refuses work, new jobs and
        resumes are refused."""
        self._worktrees = worktrees
        self._reviving: set[JobId] = set()
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

    async def ready(self) -> None:
        """Wait until requests are taken; raises ShuttingDown once they no longer are."""
        # Until recovery is done, a request waits: the engine must know the unfinished jobs
        # first (or it could not tell that a score is already running).
        await self._open.wait()
        if self._closed:
            raise ShuttingDown(
                "the conductor is shutting down and takes no new work; "
                "start it again with 'podium start'"
            )

    def refuse_under_pressure(self) -> None:
        """Raises ResourceExhausted while resource pressure refuses new work."""
        pressure = self._pressure()
        if pressure is not None and pressure.level.refuses_work:
            raise ResourceExhausted(refusal(pressure))

    def reviving(self, job_id: JobId) -> bool:
        """A request is bringing this finished job back into the engine (`clear` leaves it)."""
        return job_id in self._reviving

    async def ask(
        self,
        event: Callable[[int], Event],
        offers: Sequence[Offer] = (),
        *,
        reviving: JobId | None = None,
    ) -> Accepted:
        """Post the event and wait for the engine's answer; a rejection becomes the error that
        says why. A finished job the event brings back (`reviving`) gets its worktree back
        first, and counts as active meanwhile."""
        if reviving is not None and self._worktrees is not None:
            await self._worktrees.bring_back(reviving)
        request, answer = self._replies.expect()
        for offer in offers:
            self._catalog.offer(offer.job_id, offer.job, answer, offer.key)
        if reviving is not None:
            self._reviving.add(reviving)
        self._inbox.post(event(request))
        try:
            # Shielded: a caller cancelled meanwhile leaves the answer, and with it the
            # offers, to the engine (it may take the job all the same).
            result = await asyncio.shield(answer)
        finally:
            if reviving is not None:
                self._reviving.discard(reviving)
                if self._worktrees is not None:
                    self._worktrees.let_go(reviving)
        if isinstance(result, Rejected):
            raise rejection(result)
        return result

    async def message(self, event: Callable[[int], Event]) -> str:
        """What the engine says when it accepts the event (see `ask`)."""
        return (await self.ask(event)).message


def not_found(job_id: str) -> JobNotFound:
    return JobNotFound(f"no job '{job_id}'; 'podium list --all' shows every job")


def rejection(result: Rejected) -> UserError:
    """The error a refusal becomes, by the engine's code."""
    match result.code:
        case "already_running":
            return JobAlreadyRunning(result.reason)
        case "not_found":
            return JobNotFound(result.reason)
        case "invalid_state":
            return InvalidState(result.reason)
        case _:
            return UserError(result.reason)
