"""Evaluating a fleet: deciding from the stored facts (`podium.domain.fleet.decide`) which
groups start, submitting their scores, and recording the fleet's status.

One evaluation runs at a time per fleet (a lock per fleet), in a task of the conductor's task
group. A member's job id is stored before its job is submitted, so that a conductor that stops
in between finds the job at its next start instead of submitting it twice (`_settle`).
"""

import asyncio
import enum
import logging
from collections.abc import Callable

from podium.domain.errors import ResourceExhausted, ShuttingDown, UserError
from podium.domain.fleet import Decision, FleetMember, FleetRecord, decide
from podium.domain.ids import JobId
from podium.runtime.jobs.fleets_book import (
    FleetBook,
    FleetMembers,
    FleetState,
    FleetStore,
    Submits,
)

log = logging.getLogger(__name__)


class Submission(enum.Enum):
    """How a member's submission went."""

    SUBMITTED = "submitted"
    REFUSED = "refused"
    """Stored as the member's error: the fleet fails with it instead of waiting for a job."""
    STOPPING = "stopping"
    """The conductor is stopping: the fleet waits for its next start."""
    PRESSED = "pressed"
    """Refused under resource pressure: the fleet tries again later."""

    @property
    def goes_on(self) -> bool:
        """Whether the evaluation goes on after it."""
        return self in (Submission.SUBMITTED, Submission.REFUSED)


class MemberSubmitter:
    """Submits a member's score as the job id it was given, and stores how that went."""

    def __init__(
        self, *, fleets: FleetStore, admission: Submits, members: FleetMembers, retry_seconds: float
    ) -> None:
        self._fleets = fleets
        self._admission = admission
        self._members = members
        self._retry_seconds = retry_seconds

    async def submit(self, record: FleetRecord, member: FleetMember, job_id: JobId) -> Submission:
        """Submit the member's job. A refusal, or an unexpected error, is stored as the
        member's error: the fleet fails with it as the reason instead of waiting for a job
        that never comes."""
        group = f"group '{member.group}'" if member.group else "no group"
        try:
            await self._admission.submit(
                member.score_path,
                None,
                job_id=job_id,
                note=f"started by fleet {record.fleet_id} ({group})",
                environment=record.environment,
            )
        except ShuttingDown:
            return Submission.STOPPING
        except ResourceExhausted as exc:
            log.warning(
                "fleet %s: %s; trying again in %gs", record.fleet_id, exc, self._retry_seconds
            )
            return Submission.PRESSED
        except UserError as exc:
            log.warning(
                "fleet %s: could not submit %s: %s", record.fleet_id, member.score_path, exc
            )
            return self._refuse(record.fleet_id, member.num, job_id, str(exc))
        except Exception as exc:  # a bug or a broken disk: fail the fleet, never leave it waiting
            log.exception("fleet %s: could not submit %s", record.fleet_id, member.score_path)
            why = f"{type(exc).__name__}: {exc} (the conductor's log has the details)"
            return self._refuse(record.fleet_id, member.num, job_id, why)
        self._fleets.submitted(record.fleet_id, member.num)
        log.info(
            "fleet %s: submitted %s as job %s (%s)",
            record.fleet_id,
            member.score_path,
            job_id,
            group,
        )
        return Submission.SUBMITTED

    def _refuse(self, fleet_id: JobId, num: int, job_id: JobId, error: str) -> Submission:
        self._fleets.refused(fleet_id, num, error)
        self._members.drop(job_id)
        return Submission.REFUSED


class FleetEvaluator:
    """Evaluates fleets, now or in a task of their own, one evaluation per fleet at a time."""

    def __init__(
        self,
        *,
        fleets: FleetStore,
        book: FleetBook,
        members: FleetMembers,
        admission: Submits,
        tasks: asyncio.TaskGroup,
        clock: Callable[[], float],
        retry_seconds: float,
    ) -> None:
        self._fleets = fleets
        self._book = book
        self._members = members
        self._admission = admission
        self._submitter = MemberSubmitter(
            fleets=fleets, admission=admission, members=members, retry_seconds=retry_seconds
        )
        self._tasks = tasks
        self._clock = clock
        self._locks: dict[JobId, asyncio.Lock] = {}
        self._retry_seconds = retry_seconds
        self._retrying: set[JobId] = set()
        """Fleets with an evaluation already due after a refusal under resource pressure."""

    def schedule(self, fleet_id: JobId) -> None:
        """Evaluate the fleet in a task of its own, as soon as its lock is free."""
        self._tasks.create_task(self._evaluate_later(fleet_id, 0.0), name=f"fleet {fleet_id}")

    def lock(self, fleet_id: JobId) -> asyncio.Lock:
        """The fleet's lock: held by each evaluation and each request."""
        return self._locks.setdefault(fleet_id, asyncio.Lock())

    async def evaluate(self, fleet_id: JobId) -> None:
        """Decide and do what the decision asks, until nothing more changes."""
        async with self.lock(fleet_id):
            while await self._step(fleet_id):
                pass

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
            await self.evaluate(fleet_id)
        except Exception:  # a bug here must leave the fleet waiting, not stop the conductor
            log.exception(
                "fleet %s could not be evaluated; it is evaluated again when one of its jobs "
                "ends, or at the next start",
                fleet_id,
            )

    async def _step(self, fleet_id: JobId) -> bool:
        """One decision and what it asks; True when the fleet is to be evaluated again."""
        state = self._book.find(fleet_id)
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
        self._members.add(job_id, record.fleet_id)
        return await self._submit(record, member, job_id)

    async def _submit(self, record: FleetRecord, member: FleetMember, job_id: JobId) -> bool:
        """Submit the member's job; False when the fleet is to wait (the conductor is stopping,
        or resource pressure refuses work: it tries again in `retry_seconds`)."""
        submission = await self._submitter.submit(record, member, job_id)
        if submission is Submission.PRESSED:
            self._retry_later(record.fleet_id)
        return submission.goes_on

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
            self._members.forget(record.fleet_id)
