"""Which fleets a batch of committed jobs concerns, and a fleet id that names nothing."""

from pathlib import Path

import pytest

from podium.domain.commands import Persist
from podium.domain.errors import JobNotFound
from podium.domain.fleet import FleetMember, FleetRecord, FleetStatus, StoredFleet
from podium.domain.ids import JobId
from podium.domain.status import JobStatus
from podium.runtime.jobs.fleets_book import FleetBook, FleetMembers
from podium.store.sqlite import SqliteStore
from tests.contract.test_store import job


def fleet(fleet_id: str, *job_ids: str | None) -> StoredFleet:
    record = FleetRecord(JobId(fleet_id), "f", "/f.yaml", FleetStatus.RUNNING, 1.0, {})
    members = tuple(
        FleetMember(n, f"/s{n}.yaml", None, None if j is None else JobId(j))
        for n, j in enumerate(job_ids, 1)
    )
    return StoredFleet(record, members)


def ended(*job_ids: str) -> list[Persist]:
    return [Persist(jobs=tuple(job(j, JobStatus.COMPLETED) for j in job_ids))]


def test_only_the_ends_of_followed_jobs_concern_their_fleets_in_order() -> None:
    members = FleetMembers()
    members.follow(fleet("zeta", "z1", None))
    members.follow(fleet("alpha", "a1"))
    batch = [*ended("z1", "a1", "stranger"), Persist(jobs=(job("a1", JobStatus.RUNNING),))]
    assert members.with_ended_jobs(batch) == ["alpha", "zeta"]


def test_a_forgotten_fleet_and_a_dropped_job_are_no_longer_followed() -> None:
    members = FleetMembers()
    members.follow(fleet("one", "a", "b"))
    members.add(JobId("c"), JobId("two"))
    members.forget(JobId("one"))
    assert members.with_ended_jobs(ended("a", "b", "c")) == ["two"]
    members.drop(JobId("c"))
    assert members.with_ended_jobs(ended("c")) == []


def test_a_fleet_that_is_not_stored_is_not_found(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        book = FleetBook(store.fleets)
        assert book.find("nothing") is None
        with pytest.raises(JobNotFound, match="no job or fleet 'nothing'; 'podium list --all'"):
            book.status("nothing")
    finally:
        store.close()
