"""The fleets' rows: a fleet reads back as written, and its ids are taken in the job namespace."""

import sqlite3
from pathlib import Path

import pytest

from podium.domain.fleet import FleetMember, FleetRecord, FleetStatus
from podium.domain.ids import JobId
from podium.store.sqlite import SqliteStore
from tests.contract.test_store import job, submit

GROUPS = {"second": ("first",), "first": ()}


def fleet(store: SqliteStore, fleet_id: str = "rel", at: float = 1.0) -> None:
    record = FleetRecord(JobId(fleet_id), "rel", "/f.yaml", FleetStatus.RUNNING, at, GROUPS)
    members = [FleetMember(1, "/a.yaml", "first"), FleetMember(2, "/b.yaml", None)]
    store.fleets.add(record, members)


def test_a_fleet_reads_back_as_written_and_follows_its_members(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        fleet(store)
        rows = store.fleets
        rows.reserve(JobId("rel"), 1, JobId("a"))
        rows.submitted(JobId("rel"), 1)
        rows.reserve(JobId("rel"), 2, JobId("b"))
        rows.refused(JobId("rel"), 2, "it does not compile")
        found = rows.get("rel")
        assert found is not None
        assert list(found.record.groups.items()) == list(GROUPS.items())
        assert found.members == (
            FleetMember(1, "/a.yaml", "first", JobId("a"), submitted=True),
            FleetMember(2, "/b.yaml", None, error="it does not compile"),
        )
        assert rows.get("nope") is None
        submit(store, job("a"))
        assert rows.job_statuses([JobId("a"), JobId("b")]) == {JobId("a"): job("a").status}

        rows.set_status(JobId("rel"), FleetStatus.FAILED, "job a failed", 5.0)
        fleet(store, "later", at=2.0)
        assert [f.record.fleet_id for f in rows.listed(unfinished_only=True)] == ["later"]
        assert [f.record.fleet_id for f in rows.listed(unfinished_only=False)] == ["later", "rel"]
        ended = rows.get("rel")
        assert ended is not None and ended.record.reason == "job a failed"
        assert ended.record.ended_at == 5.0
    finally:
        store.close()


def test_fleet_ids_and_their_members_job_ids_are_taken_before_any_job_has_them(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        fleet(store)
        store.fleets.reserve(JobId("rel"), 1, JobId("rel-2"))
        assert store.taken_ids("rel") == {"rel", "rel-2"}
    finally:
        store.close()


def test_the_jobs_of_unfinished_fleets_are_known_and_a_refused_member_can_be_forgiven(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        fleet(store)
        fleet(store, "done", at=2.0)
        rows = store.fleets
        rows.reserve(JobId("rel"), 1, JobId("a"))
        rows.reserve(JobId("done"), 1, JobId("a-2"))
        rows.set_status(JobId("done"), FleetStatus.COMPLETED, None, 5.0)
        assert store.fleet_jobs() == {JobId("a"): JobId("rel")}
        rows.refused(JobId("rel"), 2, "it does not compile")
        rows.forgive(JobId("rel"), 2)
        found = rows.get("rel")
        assert found is not None and found.members[1] == FleetMember(2, "/b.yaml", None)
    finally:
        store.close()


def test_a_submission_key_names_one_fleet(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "podium.db")
    try:
        record = FleetRecord(JobId("rel"), "rel", "/f.yaml", FleetStatus.RUNNING, 1.0, GROUPS)
        store.fleets.add(record, [FleetMember(1, "/a.yaml", "first")], "k1")
        found = store.fleets.for_key("k1")
        assert found is not None and found.record == record
        assert store.fleets.for_key("k2") is None
        other = FleetRecord(JobId("rel-2"), "rel", "/f.yaml", FleetStatus.RUNNING, 2.0, GROUPS)
        with pytest.raises(sqlite3.IntegrityError):
            store.fleets.add(other, [], "k1")
        assert store.fleets.get("rel-2") is None
    finally:
        store.close()
