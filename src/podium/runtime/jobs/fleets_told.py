"""The fleet store, telling the event stream of each fleet submitted or moved."""

from collections.abc import Callable, Iterable, Sequence

from podium.domain.feed import FLEET, Change, FleetMoved
from podium.domain.fleet import FleetMember, FleetRecord, FleetStatus, StoredFleet
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.runtime.jobs.fleets_book import FleetStore


class ToldFleets:
    """A `FleetStore` whose writes of a fleet's status are also published, once stored."""

    def __init__(self, fleets: FleetStore, publish: Callable[[Iterable[Change]], None]) -> None:
        self._fleets = fleets
        self._publish = publish

    def add(
        self, fleet: FleetRecord, members: Sequence[FleetMember], submit_key: str | None = None
    ) -> None:
        self._fleets.add(fleet, members, submit_key)
        self._told(fleet.fleet_id, fleet.status, fleet.reason)

    def set_status(
        self, fleet_id: JobId, status: FleetStatus, reason: str | None, ended_at: float | None
    ) -> None:
        self._fleets.set_status(fleet_id, status, reason, ended_at)
        self._told(fleet_id, status, reason)

    def _told(self, fleet_id: JobId, status: FleetStatus, reason: str | None) -> None:
        self._publish([Change(FLEET, fleet_id, FleetMoved(fleet_id, status, reason))])

    def for_key(self, submit_key: str) -> StoredFleet | None:
        return self._fleets.for_key(submit_key)

    def reserve(self, fleet_id: JobId, num: int, job_id: JobId) -> None:
        self._fleets.reserve(fleet_id, num, job_id)

    def submitted(self, fleet_id: JobId, num: int) -> None:
        self._fleets.submitted(fleet_id, num)

    def refused(self, fleet_id: JobId, num: int, error: str) -> None:
        self._fleets.refused(fleet_id, num, error)

    def forgive(self, fleet_id: JobId, num: int) -> None:
        self._fleets.forgive(fleet_id, num)

    def get(self, fleet_id: str) -> StoredFleet | None:
        return self._fleets.get(fleet_id)

    def listed(self, *, unfinished_only: bool, limit: int = -1) -> list[StoredFleet]:
        return self._fleets.listed(unfinished_only=unfinished_only, limit=limit)

    def job_statuses(self, job_ids: Sequence[JobId]) -> dict[JobId, JobStatus]:
        return self._fleets.job_statuses(job_ids)
