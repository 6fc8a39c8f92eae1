"""Running fleets: submit each group's scores once the groups it depends on have completed.

A fleet is recorded with its members before anything is submitted. The runner learns of
members' ends as an observer of the engine loop (`committed`); what to do next is decided from
the stored facts, one fleet at a time, in a task of the conductor's task group
(`podium.runtime.jobs.fleets_evaluation`). At startup every unfinished fleet is evaluated
again: a group whose dependencies completed while the conductor was down starts.

Requests (submit, pause, resume, cancel) are `podium.runtime.jobs.fleets_requests`; the fleets
as stored and the ports to admission and job control are `podium.runtime.jobs.fleets_book`.
"""

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.fleet import FleetPlan
from podium.domain.records import Carried
from podium.runtime.jobs.fleets_book import (
    Controls,
    FleetBook,
    FleetMembers,
    FleetState,
    FleetStore,
    Submits,
)
from podium.runtime.jobs.fleets_evaluation import FleetEvaluator
from podium.runtime.jobs.fleets_requests import FleetRequests

__all__ = ["RETRY_SECONDS", "FleetRunner", "FleetState"]

RETRY_SECONDS = 30.0
"""After a submission refused under resource pressure, the fleet tries again this much later."""


class FleetRunner:
    """The conductor's fleets: evaluated when their jobs end and at startup, and the user's
    requests to them."""

    def __init__(
        self,
        *,
        fleets: FleetStore,
        admission: Submits,
        control: Controls,
        load: Callable[[Path], FleetPlan],
        tasks: asyncio.TaskGroup,
        clock: Callable[[], float],
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._fleets = fleets
        self._book = FleetBook(fleets)
        self._members = FleetMembers()
        self._evaluator = FleetEvaluator(
            fleets=fleets,
            book=self._book,
            members=self._members,
            admission=admission,
            tasks=tasks,
            clock=clock,
            retry_seconds=retry_seconds,
        )
        self._requests = FleetRequests(
            fleets=fleets,
            book=self._book,
            members=self._members,
            evaluator=self._evaluator,
            admission=admission,
            control=control,
            load=load,
            clock=clock,
        )

    def start(self) -> None:
        """Evaluate every unfinished fleet again (after recovery)."""
        for stored in self._fleets.listed(unfinished_only=True):
            self._members.follow(stored)
            self._evaluator.schedule(stored.record.fleet_id)

    def committed(self, batch: Sequence[Persist]) -> None:
        """An engine loop observer: a member's job that ended may let a group start."""
        for fleet_id in self._members.with_ended_jobs(batch):
            self._evaluator.schedule(fleet_id)

    async def submit(
        self, path: Path, submit_key: str | None = None, environment: Carried | None = None
    ) -> FleetState:
        """Record the fleet at `path` and submit the scores that start at once
        (`FleetRequests.submit`)."""
        return await self._requests.submit(path, submit_key, environment)

    def status(self, fleet_id: str) -> FleetState:
        """The fleet; raises JobNotFound when there is no such fleet."""
        return self._book.status(fleet_id)

    def listed(self, *, include_finished: bool, limit: int) -> list[FleetState]:
        """The unfinished fleets (every fleet, with `include_finished`), `limit` at most."""
        return self._book.listed(include_finished=include_finished, limit=limit)

    async def pause(self, fleet_id: str, *, force: bool) -> str:
        """Hold the groups not started yet and pause every running member."""
        return await self._requests.pause(fleet_id, force=force)

    async def resume(self, fleet_id: str) -> str:
        """Resume the paused members and let the waiting groups start (a failed fleet too)."""
        return await self._requests.resume(fleet_id)

    async def cancel(self, fleet_id: str) -> str:
        """Cancel every active member; no further group ever starts."""
        return await self._requests.cancel(fleet_id)
