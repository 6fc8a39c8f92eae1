"""Which finished jobs `podium clear` picks, read from a real SQLite store."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.domain.commands import Persist
from podium.domain.errors import InvalidState, JobNotFound, UserError
from podium.domain.ids import JobId
from podium.domain.records import JobRecord, JobSpec
from podium.domain.status import JobStatus
from podium.runtime.jobs.clearing import (
    Selection,
    SetAside,
    remove_cleared,
    remove_state,
    select_finished,
    set_aside,
    statuses_named,
)
from podium.store.sqlite import SqliteStore
from podium.testing.harness import make_plan

NOW = 10_000.0


def record(job_id: str, status: JobStatus, finished: float | None) -> JobRecord:
    return JobRecord(
        JobId(job_id),
        "plan",
        f"/s/{job_id}.yaml",
        "/w",
        status,
        finished or NOW,
        1,
        finished_at=finished,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    made = SqliteStore(tmp_path / "podium.db")
    jobs = (
        record("old", JobStatus.COMPLETED, NOW - 86400),
        record("new", JobStatus.FAILED, NOW - 60),
        record("gone", JobStatus.CANCELLED, NOW - 7200),
        record("busy", JobStatus.RUNNING, None),
    )
    made.commit([Persist(jobs=jobs, specs=tuple(JobSpec(j.job_id, make_plan(), "") for j in jobs))])
    yield made
    made.close()


def ids(found: list[JobRecord]) -> list[str]:
    return sorted(r.job_id for r in found)


def never(_job_id: JobId) -> bool:
    return False


def test_every_condition_given_must_hold(store: SqliteStore) -> None:
    assert ids(select_finished(store, never, Selection(), NOW)) == ["gone", "new", "old"]
    older = Selection(older_than=3600)
    assert ids(select_finished(store, never, older, NOW)) == ["gone", "old"]
    failed_or_cancelled = Selection(statuses=statuses_named(["failed,cancelled"]))
    assert ids(select_finished(store, never, failed_or_cancelled, NOW)) == ["gone", "new"]
    named = Selection(job_ids=("old", "new", "old"), older_than=3600)
    assert ids(select_finished(store, never, named, NOW)) == ["old"]


def test_an_active_job_is_left_out_or_refused_when_named(store: SqliteStore) -> None:
    recovering = {JobId("new")}
    found = select_finished(store, recovering.__contains__, Selection(), NOW)
    assert ids(found) == ["gone", "old"]
    with pytest.raises(InvalidState, match="job 'new' is being recovered or resumed"):
        select_finished(store, recovering.__contains__, Selection(job_ids=("new",)), NOW)
    with pytest.raises(InvalidState, match="job 'busy' is running: clear removes finished"):
        select_finished(store, never, Selection(job_ids=("busy",)), NOW)
    with pytest.raises(JobNotFound, match="no job 'nobody'"):
        select_finished(store, never, Selection(job_ids=("nobody",)), NOW)


def test_what_cannot_be_cleared_is_said(store: SqliteStore) -> None:
    with pytest.raises(UserError, match="not running ones"):
        select_finished(store, never, Selection(statuses=(JobStatus.RUNNING,)), NOW)
    with pytest.raises(UserError, match="--older-than must be 0 or more"):
        select_finished(store, never, Selection(older_than=-1), NOW)
    with pytest.raises(UserError, match="there is no job status 'done'"):
        statuses_named(["done"])


def test_state_folders_go_and_only_theirs(tmp_path: Path) -> None:
    jobs_dir = tmp_path / "jobs"
    (jobs_dir / "old" / "sheets").mkdir(parents=True)
    (jobs_dir / "other").mkdir()
    done = [record("old", JobStatus.COMPLETED, NOW), record("never-ran", JobStatus.FAILED, NOW)]
    aside = set_aside(jobs_dir, done)
    assert (aside.jobs, aside.problems) == (done, ())
    assert sorted(p.name for p in jobs_dir.iterdir() if not p.name.startswith(".")) == ["other"]
    assert remove_state(aside.folder) == ()
    assert sorted(p.name for p in jobs_dir.iterdir()) == ["other"]
    assert set_aside(None, done) == SetAside(done, None, ())
    assert remove_state(None) == ()


def test_what_a_clear_left_aside_is_removed_and_put_back_when_the_store_refuses(
    tmp_path: Path,
) -> None:
    jobs_dir = tmp_path / "jobs"
    (jobs_dir / "old").mkdir(parents=True)
    done = [record("old", JobStatus.COMPLETED, NOW)]
    set_aside(jobs_dir, done).put_back(jobs_dir)
    assert [p.name for p in jobs_dir.iterdir()] == ["old"]
    set_aside(jobs_dir, done)
    assert remove_cleared(jobs_dir) == ()
    assert list(jobs_dir.iterdir()) == []
    assert remove_cleared(tmp_path / "none") == ()
