"""The user's requests to fleets: submit one, pause, resume or cancel it.

Pause, resume and cancel take the fleet's lock and read the fleet again under it, so that an
evaluation or another request that came first is never overwritten; the fleet is evaluated
again afterwards, whatever happened.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from podium.domain.errors import InvalidState, UserError
from podium.domain.fleet import FleetMember, FleetPlan, FleetRecord, FleetStatus, StoredFleet
from podium.domain.ids import JobId
from podium.domain.records import Carried
from podium.domain.status import JobStatus
from podium.runtime.jobs.fleets_book import (
    Controls,
    FleetBook,
    FleetMembers,
    FleetState,
    FleetStore,
    Submits,
)
from podium.runtime.jobs.fleets_evaluation import FleetEvaluator
from podium.runtime.jobs.submit_keys import KeyLocks

log = logging.getLogger(__name__)

_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.PAUSED_AT_CHAIN)


class FleetRequests:
    """Submits fleets and carries out pause, resume and cancel on their members' jobs."""

    def __init__(
        self,
        *,
        fleets: FleetStore,
        book: FleetBook,
        members: FleetMembers,
        evaluator: FleetEvaluator,
        admission: Submits,
        control: Controls,
        load: Callable[[Path], FleetPlan],
        clock: Callable[[], float],
    ) -> None:
        self._fleets = fleets
        self._book = book
        self._members = members
        self._evaluator = evaluator
        self._admission = admission
        self._control = control
        self._load = load
        self._clock = clock
        self._keys = KeyLocks()
        """Submissions with the same idempotency key, one at a time."""

    async def submit(
        self, path: Path, submit_key: str | None = None, environment: Carried | None = None
    ) -> FleetState:
        """Record the fleet at `path` and submit the scores that start at once. With
        `submit_key` (a client's idempotency key), a key used before gives back the fleet
        made then, marked `duplicate`, and submits nothing. Its jobs carry `environment`
        (what the client sent, see `podium.runtime.ports.Compiler.compile`)."""
        if submit_key is None:
            return await self._submit_new(path, None, environment)
        async with self._keys.hold(submit_key):
            found = self._fleets.for_key(submit_key)
            if found is None:
                return await self._submit_new(path, submit_key, environment)
        if found.record.path != str(path):
            raise UserError(
                f"idempotency key {submit_key!r} was given with {found.record.path} (fleet "
                f"{found.record.fleet_id}), not with {path}; give each submission a key of its "
                "own"
            )
        return replace(self._book.status(found.record.fleet_id), duplicate=True)

    async def _submit_new(
        self, path: Path, submit_key: str | None, environment: Carried | None
    ) -> FleetState:
        plan = await asyncio.to_thread(self._load, path)  # off the loop: it reads every score
        # `reserve_id` names ids after a file's stem; the suffix keeps a dotted name whole.
        fleet_id = self._admission.reserve_id(f"{plan.name}.fleet")
        record = FleetRecord(
            fleet_id,
            plan.name,
            plan.path,
            FleetStatus.RUNNING,
            self._clock(),
            plan.groups,
            environment=environment,
        )
        members = [FleetMember(n, score, group) for n, (score, group) in enumerate(plan.scores, 1)]
        self._fleets.add(record, members, submit_key)
        log.info("fleet %s submitted (%s, %d score(s))", fleet_id, plan.path, len(members))
        await self._evaluator.evaluate(fleet_id)
        return self._book.status(fleet_id)

    async def pause(self, fleet_id: str, *, force: bool) -> str:
        """Hold the groups not started yet and pause every running member."""
        async with self._opened(fleet_id, "paused") as record:
            self._fleets.set_status(record.fleet_id, FleetStatus.PAUSED, None, None)
            running = (JobStatus.QUEUED, JobStatus.RUNNING)
            counts = await self._each(
                record.fleet_id, running, lambda job: self._control.pause(job, force=force)
            )
        return (
            f"paused: {_tally(counts, 'job(s) pausing')}; the groups not started yet wait for a "
            "resume"
        )

    async def resume(self, fleet_id: str) -> str:
        """Resume the paused members and let the waiting groups start. A failed fleet is
        reopened: its failed and cancelled jobs resume, its scores that could not be submitted
        are submitted again when their group's turn comes."""
        async with self._opened(fleet_id, "resumed", failed_too=True) as record:
            statuses: tuple[JobStatus, ...] = (JobStatus.PAUSED,)
            if record.status is FleetStatus.FAILED:
                self._reopen(self._book.status(record.fleet_id).fleet)
                statuses = (JobStatus.PAUSED, JobStatus.FAILED, JobStatus.CANCELLED)
            self._fleets.set_status(record.fleet_id, FleetStatus.RUNNING, None, None)
            counts = await self._each(
                record.fleet_id, statuses, lambda job: self._control.resume(job, reload=False)
            )
        return (
            f"resumed: {_tally(counts, 'job(s) go on')}; waiting groups start once their "
            "dependencies complete"
        )

    async def cancel(self, fleet_id: str) -> str:
        """Cancel every active member; no further group ever starts."""
        async with self._opened(fleet_id, "cancelled") as record:
            reason = "cancelled by the user"
            self._fleets.set_status(record.fleet_id, FleetStatus.CANCELLED, reason, self._clock())
            self._members.forget(record.fleet_id)
            counts = await self._each(record.fleet_id, _ACTIVE, self._control.cancel)
        return f"cancelled: {_tally(counts, 'active job(s) cancelled')}; no further group starts"

    @contextlib.asynccontextmanager
    async def _opened(
        self, fleet_id: str, verb: str, *, failed_too: bool = False
    ) -> AsyncIterator[FleetRecord]:
        """The fleet as stored, read under its lock (so that nothing decided meanwhile is
        overwritten) and unfinished (or failed, with `failed_too`); it is evaluated again
        afterwards, whatever happened."""
        found = self._book.status(fleet_id).fleet.record.fleet_id
        try:
            async with self._evaluator.lock(found):
                record = self._book.status(found).fleet.record
                reopens = failed_too and record.status is FleetStatus.FAILED
                if record.status.is_terminal and not reopens:
                    also = " or a failed" if failed_too else ""
                    raise InvalidState(
                        f"fleet '{fleet_id}' has already ended ({record.status}); only an "
                        f"unfinished{also} fleet can be {verb}"
                    )
                yield record
        finally:
            self._evaluator.schedule(found)

    def _reopen(self, fleet: StoredFleet) -> None:
        """Make a failed fleet unfinished again: its jobs are followed again, and its scores
        that could not be submitted may be. Refused when one of its jobs was removed."""
        fleet_id = fleet.record.fleet_id
        jobs = [m.job_id for m in fleet.members if m.job_id is not None and m.submitted]
        statuses = self._fleets.job_statuses(jobs)
        gone = [j for j in jobs if j not in statuses]
        if gone:
            raise InvalidState(
                f"fleet '{fleet_id}' cannot go on: its job(s) {', '.join(gone)} were removed "
                f"('podium clear'); run the fleet again with 'podium run {fleet.record.path}'"
            )
        for member in fleet.members:
            if member.error is not None:
                self._fleets.forgive(fleet_id, member.num)
        self._members.follow(fleet)
        log.info("fleet %s reopened", fleet_id)

    async def _each(
        self,
        fleet_id: JobId,
        statuses: tuple[JobStatus, ...],
        act: Callable[[JobId], Awaitable[str]],
    ) -> tuple[int, list[str]]:
        """`act` on each member whose job has one of `statuses`: how many took it, and why
        each of the others was left as it is (it ended meanwhile, say)."""
        state = self._book.status(fleet_id)
        done, left = 0, []
        for member in state.fleet.members:
            job_id = member.job_id
            if job_id is None or state.statuses.get(job_id) not in statuses:
                continue
            try:
                await act(job_id)
            except UserError as exc:
                log.info("fleet %s: job %s left as it is: %s", fleet_id, job_id, exc)
                left.append(str(exc))
                continue
            done += 1
        return done, left


def _tally(counts: tuple[int, list[str]], what: str) -> str:
    """'2 job(s) pausing, 1 left as it is: <why>'."""
    done, left = counts
    text = f"{done} {what}"
    if left:
        text += f", {len(left)} left as it is: {'; '.join(left)}"
    return text
