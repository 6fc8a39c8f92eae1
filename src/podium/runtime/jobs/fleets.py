"""Running fleets: submit each group's scores once the groups it depends on have completed.

A fleet is recorded with its members before anything is submitted. Each member's job id is
given (`Admission.reserve_id`) and stored before its job is submitted, so that a conductor
that stops in between finds the job at its next start instead of submitting it twice.

The runner learns of members' ends as an observer of the engine loop (`committed`); what to do
next is decided by `podium.domain.fleet.decide` from the stored facts, one fleet at a time (a
lock per fleet), in a task of the conductor's task group. At startup every unfinished fleet is
evaluated again: a group whose dependencies completed while the conductor was down starts.

Requests (pause, resume, cancel) take the same lock and read the fleet again under it, so that
an evaluation or another request that came first is never overwritten.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.errors import (
    InvalidState,
    JobNotFound,
    ResourceExhausted,
    ShuttingDown,
    UserError,
)
from podium.domain.fleet import (
    Decision,
    FleetMember,
    FleetPlan,
    FleetRecord,
    FleetStatus,
    StoredFleet,
    decide,
)
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.runtime.jobs.submit_keys import KeyLocks

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
"""After a submission refused under resource pressure, the fleet tries again this much later."""

_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.PAUSED_AT_CHAIN)


class FleetStore(Protocol):
    """`podium.store.fleets.FleetRows`."""

    def add(
        self, fleet: FleetRecord, members: Sequence[FleetMember], submit_key: str | None = None
    ) -> None: ...
    def for_key(self, submit_key: str) -> StoredFleet | None: ...
    def reserve(self, fleet_id: JobId, num: int, job_id: JobId) -> None: ...
    def submitted(self, fleet_id: JobId, num: int) -> None: ...
    def refused(self, fleet_id: JobId, num: int, error: str) -> None: ...
    def forgive(self, fleet_id: JobId, num: int) -> None: ...
    def set_status(
        self, fleet_id: JobId, status: FleetStatus, reason: str | None, ended_at: float | None
    ) -> None: ...
    def get(self, fleet_id: str) -> StoredFleet | None: ...
    def listed(self, *, unfinished_only: bool, limit: int = -1) -> list[StoredFleet]: ...
    def job_statuses(self, job_ids: Sequence[JobId]) -> dict[JobId, JobStatus]: ...


class Submits(Protocol):
    """What the runner asks of admission (`podium.runtime.jobs.admission.Admission`)."""

    def reserve_id(self, score_path: str) -> JobId: ...
    async def submit(
        self, score_path: str, client_cwd: str | None, *, job_id: JobId | None, note: str | None
    ) -> object: ...


class Controls(Protocol):
    """What the runner asks of job control (`podium.runtime.jobs.control.JobControl`)."""

    async def pause(self, job_id: str, *, force: bool) -> str: ...
    async def resume(self, job_id: str, *, reload: bool) -> str: ...
    async def cancel(self, job_id: str) -> str: ...


@dataclass(frozen=True, slots=True)
class FleetState:
    """A fleet as stored, with the status of each member's job."""

    fleet: StoredFleet
    statuses: dict[JobId, JobStatus]
    duplicate: bool = False
    """Submitted with an idempotency key used before: the fleet made then; nothing new."""


class FleetRunner:
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
        self._admission = admission
        self._control = control
        self._load = load
        self._tasks = tasks
        self._clock = clock
        self._members: dict[JobId, JobId] = {}
        """Each job of an unfinished fleet, and its fleet."""
        self._locks: dict[JobId, asyncio.Lock] = {}
        self._keys = KeyLocks()
        """Submissions with the same idempotency key, one at a time."""
        self._retry_seconds = retry_seconds
        self._retrying: set[JobId] = set()
        """Fleets with an evaluation already due after a refusal under resource pressure."""

    # ---- reacting -----------------------------------------------------------------------

    def start(self) -> None:
        """Evaluate every unfinished fleet again (after recovery)."""
        for stored in self._fleets.listed(unfinished_only=True):
            self._watch(stored)
            self._schedule(stored.record.fleet_id)

    def committed(self, batch: Sequence[Persist]) -> None:
        """An engine loop observer: a member's job that ended may let a group start."""
        ended = {
            self._members[job.job_id]
            for persist in batch
            for job in persist.jobs
            if job.status.is_terminal and job.job_id in self._members
        }
        for fleet_id in sorted(ended):
            self._schedule(fleet_id)

    def _schedule(self, fleet_id: JobId) -> None:
        self._tasks.create_task(self._evaluate_later(fleet_id, 0.0), name=f"fleet {fleet_id}")

    def _retry_later(self, fleet_id: JobId) -> None:
        """Evaluate the fleet again in `retry_seconds`, unless that is already due: however
        often it is refused meanwhile, a fleet waits on one timer."""
        if fleet_id in self._retrying:
            return
        self._retrying.add(fleet_id)
        self._tasks.create_task(
            self._evaluate_later(fleet_id, self._retry_seconds), name=f"fleet {fleet_id} (retry)"
        )

    async def _evaluate_later(self, fleet_id: JobId, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
            self._retrying.discard(fleet_id)
        try:
            await self._evaluate(fleet_id)
        except Exception:  # a bug here must leave the fleet waiting, not stop the conductor
            log.exception(
                "fleet %s could not be evaluated; it is evaluated again when one of its jobs "
                "ends, or at the next start",
                fleet_id,
            )

    def _watch(self, stored: StoredFleet) -> None:
        for member in stored.members:
            if member.job_id is not None:
                self._members[member.job_id] = stored.record.fleet_id

    def _lock(self, fleet_id: JobId) -> asyncio.Lock:
        return self._locks.setdefault(fleet_id, asyncio.Lock())

    async def _evaluate(self, fleet_id: JobId) -> None:
        async with self._lock(fleet_id):
            while await self._step(fleet_id):
                pass

    async def _step(self, fleet_id: JobId) -> bool:
        """One decision and what it asks; True when the fleet is to be evaluated again."""
        state = self._state(fleet_id)
        if state is None or state.fleet.record.status.is_terminal:
            return False
        if await self._settle(state):
            return True
        record = state.fleet.record
        decision = decide(record, state.fleet.members, state.statuses)
        self._record(record, decision)
        wanted = {m.num: m for m in state.fleet.members}
        for num in decision.start:
            if not await self._start(record, wanted[num]):
                return False
        return bool(decision.start)

    async def _settle(self, state: FleetState) -> bool:
        """Members given a job id whose submission was not confirmed (the conductor stopped
        in between): the job is marked submitted if the store has it, submitted otherwise.
        True when one was settled."""
        fleet_id = state.fleet.record.fleet_id
        pending = [m for m in state.fleet.members if m.job_id is not None and not m.submitted]
        for member in pending:
            assert member.job_id is not None
            if member.job_id in state.statuses:
                self._fleets.submitted(fleet_id, member.num)
            elif not await self._submit(state.fleet.record, member, member.job_id):
                return False
        return bool(pending)

    async def _start(self, record: FleetRecord, member: FleetMember) -> bool:
        job_id = self._admission.reserve_id(member.score_path)
        self._fleets.reserve(record.fleet_id, member.num, job_id)
        self._members[job_id] = record.fleet_id
        return await self._submit(record, member, job_id)

    async def _submit(self, record: FleetRecord, member: FleetMember, job_id: JobId) -> bool:
        """Submit the member's job; False when the fleet is to wait (the conductor is stopping,
        or resource pressure refuses work: it tries again in `retry_seconds`). A refusal, or
        an unexpected error, is stored as the member's error: the fleet fails with it as the
        reason instead of waiting for a job that never comes."""
        group = f"group '{member.group}'" if member.group else "no group"
        try:
            await self._admission.submit(
                member.score_path,
                None,
                job_id=job_id,
                note=f"started by fleet {record.fleet_id} ({group})",
            )
        except ShuttingDown:
            return False
        except ResourceExhausted as exc:
            log.warning(
                "fleet %s: %s; trying again in %gs", record.fleet_id, exc, self._retry_seconds
            )
            self._retry_later(record.fleet_id)
            return False
        except UserError as exc:
            log.warning(
                "fleet %s: could not submit %s: %s", record.fleet_id, member.score_path, exc
            )
            self._refuse(record.fleet_id, member.num, job_id, str(exc))
            return True
        except Exception as exc:  # a bug or a broken disk: fail the fleet, never leave it waiting
            log.exception("fleet %s: could not submit %s", record.fleet_id, member.score_path)
            why = f"{type(exc).__name__}: {exc} (the conductor's log has the details)"
            self._refuse(record.fleet_id, member.num, job_id, why)
            return True
        self._fleets.submitted(record.fleet_id, member.num)
        log.info(
            "fleet %s: submitted %s as job %s (%s)",
            record.fleet_id,
            member.score_path,
            job_id,
            group,
        )
        return True

    def _refuse(self, fleet_id: JobId, num: int, job_id: JobId, error: str) -> None:
        self._fleets.refused(fleet_id, num, error)
        self._members.pop(job_id, None)

    def _record(self, record: FleetRecord, decision: Decision) -> None:
        if (decision.status, decision.reason) == (record.status, record.reason):
            return
        ended = self._clock() if decision.status.is_terminal else None
        self._fleets.set_status(record.fleet_id, decision.status, decision.reason, ended)
        if decision.status.is_terminal:
            log.info(
                "fleet %s %s%s",
                record.fleet_id,
                decision.status,
                f": {decision.reason}" if decision.reason else "",
            )
            self._forget(record.fleet_id)

    def _forget(self, fleet_id: JobId) -> None:
        for job_id in [j for j, f in self._members.items() if f == fleet_id]:
            del self._members[job_id]

    # ---- requests -----------------------------------------------------------------------

    async def submit(self, path: Path, submit_key: str | None = None) -> FleetState:
        """Record the fleet at `path` and submit the scores that start at once. With
        `submit_key` (a client's idempotency key), a key used before gives back the fleet
        made then, marked `duplicate`, and submits nothing."""
        if submit_key is None:
            return await self._submit_new(path, None)
        async with self._keys.hold(submit_key):
            found = self._fleets.for_key(submit_key)
            if found is None:
                return await self._submit_new(path, submit_key)
        if found.record.path != str(path):
            raise UserError(
                f"idempotency key {submit_key!r} was given with {found.record.path} (fleet "
                f"{found.record.fleet_id}), not with {path}; give each submission a key of its "
                "own"
            )
        return replace(self.status(found.record.fleet_id), duplicate=True)

    async def _submit_new(self, path: Path, submit_key: str | None) -> FleetState:
        plan = await asyncio.to_thread(self._load, path)  # off the loop: it reads every score
        # `reserve_id` names ids after a file's stem; the suffix keeps a dotted name whole.
        fleet_id = self._admission.reserve_id(f"{plan.name}.fleet")
        record = FleetRecord(
            fleet_id, plan.name, plan.path, FleetStatus.RUNNING, self._clock(), plan.groups
        )
        members = [FleetMember(n, score, group) for n, (score, group) in enumerate(plan.scores, 1)]
        self._fleets.add(record, members, submit_key)
        log.info("fleet %s submitted (%s, %d score(s))", fleet_id, plan.path, len(members))
        await self._evaluate(fleet_id)
        return self.status(fleet_id)

    def status(self, fleet_id: str) -> FleetState:
        state = self._state(fleet_id)
        if state is None:
            raise fleet_not_found(fleet_id)
        return state

    def listed(self, *, include_finished: bool, limit: int) -> list[FleetState]:
        found = self._fleets.listed(unfinished_only=not include_finished, limit=limit)
        return [self._with_statuses(f) for f in found]

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
                self._reopen(self.status(record.fleet_id).fleet)
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
            self._forget(record.fleet_id)
            counts = await self._each(record.fleet_id, _ACTIVE, self._control.cancel)
        return f"cancelled: {_tally(counts, 'active job(s) cancelled')}; no further group starts"

    @contextlib.asynccontextmanager
    async def _opened(
        self, fleet_id: str, verb: str, *, failed_too: bool = False
    ) -> AsyncIterator[FleetRecord]:
        """The fleet as stored, read under its lock (so that nothing decided meanwhile is
        overwritten) and unfinished (or failed, with `failed_too`); it is evaluated again
        afterwards, whatever happened."""
        found = self.status(fleet_id).fleet.record.fleet_id
        try:
            async with self._lock(found):
                record = self.status(found).fleet.record
                reopens = failed_too and record.status is FleetStatus.FAILED
                if record.status.is_terminal and not reopens:
                    also = " or a failed" if failed_too else ""
                    raise InvalidState(
                        f"fleet '{fleet_id}' has already ended ({record.status}); only an "
                        f"unfinished{also} fleet can be {verb}"
                    )
                yield record
        finally:
            self._schedule(found)

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
        self._watch(fleet)
        log.info("fleet %s reopened", fleet_id)

    async def _each(
        self,
        fleet_id: JobId,
        statuses: tuple[JobStatus, ...],
        act: Callable[[JobId], Awaitable[str]],
    ) -> tuple[int, list[str]]:
        """`act` on each member whose job has one of `statuses`: how many took it, and why
        each of the others was left as it is (it ended meanwhile, say)."""
        state = self.status(fleet_id)
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

    def _state(self, fleet_id: str) -> FleetState | None:
        stored = self._fleets.get(fleet_id)
        return None if stored is None else self._with_statuses(stored)

    def _with_statuses(self, stored: StoredFleet) -> FleetState:
        jobs = [m.job_id for m in stored.members if m.job_id is not None]
        return FleetState(stored, self._fleets.job_statuses(jobs))


def _tally(counts: tuple[int, list[str]], what: str) -> str:
    """'2 job(s) pausing, 1 left as it is: <why>'."""
    done, left = counts
    text = f"{done} {what}"
    if left:
        text += f", {len(left)} left as it is: {'; '.join(left)}"
    return text


def fleet_not_found(fleet_id: str) -> JobNotFound:
    return JobNotFound(
        f"no job or fleet '{fleet_id}'; 'podium list --all' shows every job and fleet"
    )
