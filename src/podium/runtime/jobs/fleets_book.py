"""What the fleet runner reads and asks: the fleets as stored (with their jobs' statuses),
which fleet each followed job belongs to, and the ports to admission and job control."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from podium.domain.commands import Persist
from podium.domain.errors import JobNotFound
from podium.domain.fleet import FleetMember, FleetRecord, FleetStatus, StoredFleet
from podium.domain.ids import JobId
from podium.domain.records import Carried
from podium.domain.status import JobStatus


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
        self,
        score_path: str,
        client_cwd: str | None,
        *,
        job_id: JobId | None,
        note: str | None,
        environment: Carried | None,
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


class FleetBook:
    """The fleets as stored, each read with the statuses of its members' jobs."""

    def __init__(self, fleets: FleetStore) -> None:
        self._fleets = fleets

    def find(self, fleet_id: str) -> FleetState | None:
        """The fleet, or None when there is no such fleet."""
        stored = self._fleets.get(fleet_id)
        return None if stored is None else self._with_statuses(stored)

    def status(self, fleet_id: str) -> FleetState:
        """The fleet; raises JobNotFound when there is no such fleet."""
        state = self.find(fleet_id)
        if state is None:
            raise fleet_not_found(fleet_id)
        return state

    def listed(self, *, include_finished: bool, limit: int) -> list[FleetState]:
        """The unfinished fleets (every fleet, with `include_finished`), `limit` at most."""
        found = self._fleets.listed(unfinished_only=not include_finished, limit=limit)
        return [self._with_statuses(f) for f in found]

    def _with_statuses(self, stored: StoredFleet) -> FleetState:
        jobs = [m.job_id for m in stored.members if m.job_id is not None]
        return FleetState(stored, self._fleets.job_statuses(jobs))


class FleetMembers:
    """Each job of an unfinished fleet, and its fleet: the jobs whose end may let a group
    start."""

    def __init__(self) -> None:
        self._fleet_of: dict[JobId, JobId] = {}

    def follow(self, stored: StoredFleet) -> None:
        """Follow every job the fleet has been given."""
        for member in stored.members:
            if member.job_id is not None:
                self._fleet_of[member.job_id] = stored.record.fleet_id

    def add(self, job_id: JobId, fleet_id: JobId) -> None:
        """Follow one job of the fleet."""
        self._fleet_of[job_id] = fleet_id

    def drop(self, job_id: JobId) -> None:
        """Stop following one job (its submission was refused)."""
        self._fleet_of.pop(job_id, None)

    def forget(self, fleet_id: JobId) -> None:
        """Stop following the jobs of a fleet that ended."""
        for job_id in [j for j, f in self._fleet_of.items() if f == fleet_id]:
            del self._fleet_of[job_id]

    def with_ended_jobs(self, batch: Sequence[Persist]) -> list[JobId]:
        """The fleets, in order, of the followed jobs that the batch ends."""
        ended = {
            self._fleet_of[job.job_id]
            for persist in batch
            for job in persist.jobs
            if job.status.is_terminal and job.job_id in self._fleet_of
        }
        return sorted(ended)


def fleet_not_found(fleet_id: str) -> JobNotFound:
    """The error for a fleet id (or job id) that names nothing."""
    return JobNotFound(
        f"no job or fleet '{fleet_id}'; 'podium list --all' shows every job and fleet"
    )
