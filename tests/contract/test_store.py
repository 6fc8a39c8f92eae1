"""What every store must do, run against each implementation."""

import contextlib
import dataclasses
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.domain.commands import Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import (
    AttemptRecord,
    HookOutcome,
    HookRecord,
    JobNote,
    JobRecord,
    JobSpec,
    ProcessInfo,
    RateLimitRecord,
    SheetRecord,
    Usage,
)
from podium.domain.status import JobStatus, SheetStatus
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.store.codec import plan_to_json
from podium.store.schema import MIGRATIONS
from podium.store.sqlite import SqliteStore, StoreError
from podium.testing.harness import make_plan

Factory = Callable[[Path], SqliteStore]
STORES: dict[str, Factory] = {"sqlite": lambda folder: SqliteStore(folder / "podium.db")}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteStore:
    made = STORES[request.param](tmp_path)
    request.addfinalizer(made.close)
    return made


def job(job_id: str, status: JobStatus = JobStatus.RUNNING, at: float = 100.0) -> JobRecord:
    return JobRecord(JobId(job_id), "plan", f"/s/{job_id}.yaml", "/w", status, at, 2, started_at=at)


def submit(store: SqliteStore, record: JobRecord) -> None:
    spec = JobSpec(record.job_id, make_plan(sheets=2), "name: x\n")
    store.commit([Persist(jobs=(record,), specs=(spec,))])


RULE = ValidationRule(ValidationKind.CONTENT_CONTAINS, "has a title", "/w/a.md", "# ")


def test_a_job_reads_back_as_written(store: SqliteStore) -> None:
    submit(store, job("a"))
    sheet = SheetRecord(
        JobId("a"),
        SheetNum(1),
        SheetStatus.FAILED,
        120.0,
        attempts=2,
        failures=2,
        error="exit code 1",
    )
    store.commit([Persist(sheets=(sheet,), jobs=(job("a", JobStatus.FAILED),))])
    stored = store.get_job(JobId("a"))
    assert stored is not None
    assert stored.record == job("a", JobStatus.FAILED)
    assert stored.plan == make_plan(sheets=2)
    assert stored.sheets == (sheet,)
    assert store.get_job(JobId("b")) is None


def test_attempts_keep_their_process_when_updated(store: SqliteStore) -> None:
    submit(store, job("a"))
    running = AttemptRecord(JobId("a"), SheetNum(1), 1, 101.0)
    store.commit(
        [
            Persist(
                attempts=(running,),
                sheets=(
                    SheetRecord(JobId("a"), SheetNum(1), SheetStatus.RUNNING, 101.0, attempts=1),
                ),
            )
        ]
    )
    store.record_process(JobId("a"), SheetNum(1), 1, ProcessInfo(42, 42, 9000), 101.5)
    validating = AttemptRecord(
        JobId("a"), SheetNum(1), 1, 101.0, AttemptOutcome.VALIDATING, exited_at=102.0, exit_code=0
    )
    store.commit(
        [
            Persist(
                attempts=(validating,),
                sheets=(
                    SheetRecord(JobId("a"), SheetNum(1), SheetStatus.VALIDATING, 102.0, attempts=1),
                ),
            )
        ]
    )
    [active] = store.load_active()
    [in_flight] = active.in_flight
    assert in_flight.record == validating
    assert in_flight.process == ProcessInfo(42, 42, 9000)
    assert active.snapshot == "name: x\n"
    spawned = store._db.execute("SELECT spawned_at FROM attempts").fetchall()
    assert spawned == [(101.5,)]  # for the benchmarks; the engine's writes leave it be


def test_validation_results_survive_the_round_trip(store: SqliteStore) -> None:
    submit(store, job("a"))
    results = (ValidationResult(RULE, False, "text not found in the file (3 bytes)"),)
    attempt = AttemptRecord(
        JobId("a"), SheetNum(1), 1, 101.0, AttemptOutcome.VALIDATING, validations=results
    )
    store.commit(
        [
            Persist(
                attempts=(attempt,),
                sheets=(
                    SheetRecord(JobId("a"), SheetNum(1), SheetStatus.VALIDATING, 102.0, attempts=1),
                ),
            )
        ]
    )
    assert store.load_active()[0].in_flight[0].record.validations == results


def test_active_jobs_come_back_in_submission_order(store: SqliteStore) -> None:
    submit(store, job("late", at=300.0))
    submit(store, job("early", at=100.0))
    submit(store, job("done", JobStatus.COMPLETED, at=200.0))
    assert [a.job.record.job_id for a in store.load_active()] == ["early", "late"]


def test_listing_is_newest_first_filtered_and_limited(store: SqliteStore) -> None:
    for n in range(5):
        submit(
            store, job(f"j{n}", JobStatus.COMPLETED if n % 2 else JobStatus.RUNNING, at=100.0 + n)
        )
    assert [j.job_id for j in store.list_jobs(statuses=None, limit=3)] == ["j4", "j3", "j2"]
    assert [j.job_id for j in store.list_jobs(statuses=[JobStatus.COMPLETED], limit=10)] == [
        "j3",
        "j1",
    ]
    assert store.count_jobs() == 5


def test_taken_ids_match_the_stem_and_its_numbered_runs_only(store: SqliteStore) -> None:
    for name in ("my_job", "my_job-2", "my_job-x", "myXjob-3", "my_job2"):
        submit(store, job(name))
    assert store.taken_ids("my_job") == {"my_job", "my_job-2", "my_job-x"}


def test_a_batch_is_all_or_nothing(store: SqliteStore) -> None:
    submit(store, job("a"))
    orphan = JobSpec(JobId("nobody"), make_plan(sheets=1), "")
    with pytest.raises(sqlite3.IntegrityError):
        store.commit([Persist(jobs=(job("a", JobStatus.FAILED),)), Persist(specs=(orphan,))])
    stored = store.get_job(JobId("a"))
    assert stored is not None and stored.record.status is JobStatus.RUNNING


def test_every_field_of_every_record_survives_the_round_trip(store: SqliteStore) -> None:
    record = JobRecord(
        JobId("a"),
        "plan",
        "/s/a.yaml",
        "/w",
        JobStatus.PAUSED,
        100.0,
        2,
        completed_sheets=1,
        started_at=101.0,
        detail="cost limit reached",
        chain_depth=2,
        cost=1.25,
        resume_when_idle=True,
        hook=2,
    )
    submit(store, record)
    sheet = SheetRecord(
        JobId("a"),
        SheetNum(2),
        SheetStatus.WAITING,
        120.0,
        attempts=3,
        failures=1,
        error="validation failed",
        completions=1,
        rate_waits=2,
        quota_waits=3,
        fallback=1,
        due=130.0,
        wait="completion",
        failed_checks=("file_exists /w/a.md: not found", "second"),
        cost=0.5,
    )
    store.commit([Persist(sheets=(sheet,))])
    stored = store.get_job(JobId("a"))
    assert stored is not None
    assert stored.record == record
    assert stored.sheets == (sheet,)


def test_a_modify_replaces_the_spec(store: SqliteStore) -> None:
    submit(store, job("a"))
    store.commit([Persist(specs=(JobSpec(JobId("a"), make_plan(sheets=5), "name: y\n"),))])
    stored = store.get_job(JobId("a"))
    assert stored is not None and stored.plan == make_plan(sheets=5)
    assert store.snapshot(JobId("a")) == "name: y\n"


def test_a_submission_key_names_one_job_kept_through_a_modify_until_it_is_deleted(
    store: SqliteStore,
) -> None:
    spec = JobSpec(JobId("a"), make_plan(sheets=2), "name: x\n", submit_key="k1")
    store.commit([Persist(jobs=(job("a"),), specs=(spec,))])
    assert store.job_for_key("k1") == job("a")
    assert store.job_for_key("k2") is None
    # The same key twice is one job: a second job cannot take it.
    again = JobSpec(JobId("b"), make_plan(sheets=2), "name: x\n", submit_key="k1")
    with pytest.raises(sqlite3.IntegrityError):
        store.commit([Persist(jobs=(job("b"),), specs=(again,))])
    assert store.get_job(JobId("b")) is None
    store.commit([Persist(specs=(JobSpec(JobId("a"), make_plan(sheets=5), "name: y\n"),))])
    assert store.job_for_key("k1") == job("a")
    submit(store, job("c"))  # jobs without a key do not collide
    submit(store, job("d"))
    store.delete_jobs([JobId("a")])
    assert store.job_for_key("k1") is None


def test_rate_limit_windows_are_kept_until_cleared(store: SqliteStore) -> None:
    everyone = RateLimitRecord("claude-code", None, 500.0, "429")
    opus = RateLimitRecord("claude-code", "opus", 600.0, "usage limit")
    store.commit([Persist(rate_limits=(everyone, opus))])
    longer = RateLimitRecord("claude-code", None, 900.0, "429 again")
    store.commit([Persist(rate_limits=(longer,))])
    assert store.rate_limits() == [longer, opus]
    store.commit([Persist(rate_limits_cleared=(("claude-code", None),))])
    assert store.rate_limits() == [opus]


def test_history_comes_back_oldest_first_and_bounded(store: SqliteStore) -> None:
    submit(store, job("a"))
    notes = tuple(JobNote(JobId("a"), 100.0 + n, f"note {n}") for n in range(60))
    store.commit([Persist(notes=notes)])
    assert store.history(JobId("a"), limit=3) == notes[-3:]
    stored = store.get_job(JobId("a"))
    assert stored is not None and stored.history == notes[-50:]


def test_sqlite_is_durable_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "podium.db"
    SqliteStore(path).close()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match=r"written by a newer Podium \(schema 99"):
        SqliteStore(path)


def test_a_database_of_the_first_schema_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "podium.db"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO jobs (job_id, name, score_path, workspace, status, submitted_at, "
            "total_sheets) VALUES ('old', 'plan', '/s/old.yaml', '/w', 'failed', 1.0, 2)"
        )
        db.execute(
            "INSERT INTO job_specs (job_id, plan, snapshot) VALUES ('old', ?, '')",
            (plan_to_json(make_plan(sheets=2)),),
        )
    store = SqliteStore(path)
    try:
        stored = store.get_job(JobId("old"))
        assert stored is not None
        assert stored.record.status is JobStatus.FAILED
        assert (stored.record.detail, stored.record.chain_depth, stored.record.cost) == (
            None,
            0,
            0.0,
        )
    finally:
        store.close()


def test_a_job_keeps_the_environment_it_carries_and_a_new_spec_replaces_it(
    store: SqliteStore,
) -> None:
    carried = (("PATH", "/home/u/bin:/usr/bin"), ("PROBE_API_KEY", "k-123456789"))
    plan = make_plan(sheets=2)
    store.commit(
        [Persist(jobs=(job("a"),), specs=(JobSpec(JobId("a"), plan, "x", None, carried),))]
    )
    submit(store, job("b"))
    assert store.environment(JobId("a")) == carried
    assert store.environment(JobId("b")) is None
    assert store.environment(JobId("none")) is None
    (active,) = [j for j in store.load_active() if j.job.record.job_id == "a"]
    assert active.environment == carried
    resumed = (("PATH", "/opt/bin"),)
    store.commit([Persist(specs=(JobSpec(JobId("a"), plan, "x", environment=resumed),))])
    assert store.environment(JobId("a")) == resumed


def test_a_database_before_carried_environments_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "podium.db"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executescript(
            "".join(MIGRATIONS[:-1]) + f"\nPRAGMA user_version = {len(MIGRATIONS) - 1};"
        )
        db.execute(
            "INSERT INTO jobs (job_id, name, score_path, workspace, status, submitted_at, "
            "total_sheets) VALUES ('old', 'plan', '/s/old.yaml', '/w', 'queued', 1.0, 2)"
        )
        db.execute(
            "INSERT INTO job_specs (job_id, plan, snapshot) VALUES ('old', ?, '')",
            (plan_to_json(make_plan(sheets=2)),),
        )
    store = SqliteStore(path)
    try:
        assert store.environment(JobId("old")) is None
        assert [j.environment for j in store.load_active()] == [None]
    finally:
        store.close()


def test_a_jobs_latest_attempts_usage_and_skipped_sheets_are_read_back(store: SqliteStore) -> None:
    submit(store, job("a"))
    attempts = (
        AttemptRecord(
            JobId("a"),
            SheetNum(1),
            1,
            1.0,
            AttemptOutcome.FAILED,
            cost=0.5,
            input_tokens=100,
            output_tokens=10,
            error_code="E009",
        ),
        AttemptRecord(
            JobId("a"),
            SheetNum(1),
            2,
            2.0,
            AttemptOutcome.SUCCEEDED,
            cost=0.25,
            input_tokens=50,
            output_tokens=5,
            cost_estimated=True,
        ),
        AttemptRecord(
            JobId("a"), SheetNum(2), 1, 3.0, AttemptOutcome.RATE_LIMITED, error_code="E104"
        ),
    )
    sheets = (SheetRecord(JobId("a"), SheetNum(2), SheetStatus.SKIPPED, 4.0),)
    store.commit([Persist(attempts=attempts, sheets=sheets)])
    latest = store.latest_attempts(JobId("a"), [SheetNum(1), SheetNum(2), SheetNum(3)])
    assert latest == {SheetNum(1): attempts[1], SheetNum(2): attempts[2]}
    assert store.usage(JobId("a")) == Usage(150, 15, 0.75, True)
    assert store.usage(JobId("none")) == Usage(None, None, None, False)
    assert store.skipped_sheets(JobId("a")) == [SheetNum(2)]


def test_a_jobs_attempts_come_newest_first_filtered_counted_and_limited(
    store: SqliteStore,
) -> None:
    submit(store, job("a"))
    submit(store, job("b"))
    a, b = JobId("a"), JobId("b")
    one = AttemptRecord(a, SheetNum(1), 1, 1.0, AttemptOutcome.FAILED, error_code="E009")
    two = AttemptRecord(a, SheetNum(1), 2, 2.0, AttemptOutcome.SUCCEEDED)
    three = AttemptRecord(a, SheetNum(2), 1, 3.0, AttemptOutcome.RATE_LIMITED, error_code="E102")
    other = AttemptRecord(b, SheetNum(1), 1, 4.0, AttemptOutcome.FAILED, error_code="E009")
    store.commit([Persist(attempts=(one, two, three, other))])
    assert store.attempts(a, limit=10) == ([three, two, one], 3)
    assert store.attempts(a, limit=2) == ([three, two], 3)
    assert store.attempts(a, sheet=SheetNum(1), limit=10) == ([two, one], 2)
    assert store.attempts(a, failed=True, limit=10) == ([three, one], 2)
    assert store.attempts(a, codes=("E102", "E104"), limit=10) == ([three], 1)
    assert store.attempts(a, codes=(), limit=10) == ([], 0)
    assert store.attempts(JobId("none"), limit=10) == ([], 0)
    assert store.failed_attempts(a, limit=10) == [three, one]
    assert store.failed_attempts(a, limit=1) == [three]
    assert store.failed_attempts(JobId("none"), limit=10) == []
    plan = store._db.execute(
        "EXPLAIN QUERY PLAN SELECT sheet FROM attempts WHERE job_id = ? "
        "AND error_code IS NOT NULL ORDER BY started_at DESC LIMIT 5",
        ("a",),
    ).fetchall()
    assert "failed_attempts_by_job" in str(plan)  # a job that never failed costs one lookup


def test_each_sheets_latest_feedback_is_read_back(store: SqliteStore) -> None:
    submit(store, job("a"))
    a = JobId("a")
    said = [
        AttemptRecord(a, SheetNum(1), 1, 1.0, AttemptOutcome.FAILED, feedback='{"n": 1}'),
        AttemptRecord(a, SheetNum(1), 2, 2.0, AttemptOutcome.SUCCEEDED, feedback='{"n": 2}'),
        AttemptRecord(a, SheetNum(2), 1, 3.0, AttemptOutcome.SUCCEEDED),
        AttemptRecord(a, SheetNum(3), 1, 4.0, AttemptOutcome.SUCCEEDED, feedback='"text"'),
    ]
    store.commit([Persist(attempts=tuple(said))])
    assert store.feedback(a) == {SheetNum(1): '{"n": 2}', SheetNum(3): '"text"'}
    assert store.feedback(JobId("none")) == {}


def test_deleting_a_job_removes_every_row_it_owns_and_nothing_else(store: SqliteStore) -> None:
    for name in ("a", "b"):
        submit(store, job(name, JobStatus.COMPLETED))
        store.commit(
            [
                Persist(
                    sheets=(SheetRecord(JobId(name), SheetNum(1), SheetStatus.COMPLETED, 1.0),),
                    attempts=(AttemptRecord(JobId(name), SheetNum(1), 1, 1.0),),
                    notes=(JobNote(JobId(name), 1.0, "completed"),),
                )
            ]
        )
    assert store.delete_jobs([JobId("a"), JobId("nobody")]) == 1
    assert store.get_job(JobId("a")) is None
    assert store.snapshot(JobId("a")) is None
    assert store.attempts(JobId("a"), limit=10) == ([], 0)
    assert store.history(JobId("a")) == ()
    assert store.get_job(JobId("b")) is not None
    assert len(store.history(JobId("b"))) == 1
    assert store.delete_jobs([]) == 0


def test_jobs_are_counted_by_status_and_found_by_score(store: SqliteStore) -> None:
    submit(store, job("a", JobStatus.COMPLETED, at=1.0))
    submit(store, job("b", JobStatus.FAILED, at=2.0))
    assert store.count_jobs() == 2
    assert store.count_jobs([JobStatus.FAILED, JobStatus.CANCELLED]) == 1
    assert store.latest_job("/s/a.yaml") == job("a", JobStatus.COMPLETED, at=1.0)
    assert store.latest_job("/s/none.yaml") is None


def test_hooks_keep_their_process_and_chained_job_and_start_over_when_cleared(
    store: SqliteStore,
) -> None:
    submit(store, dataclasses.replace(job("a"), hook=2))
    done = HookRecord(JobId("a"), 1, "run_command", "run_command: make", "build", 101.0)
    done = dataclasses.replace(
        done, outcome=HookOutcome.FAILED, ended_at=102.0, exit_code=3, error="exit 3", output="x"
    )
    running = HookRecord(JobId("a"), 2, "run_job", "run_job: /s/b.yaml", None, 103.0)
    store.commit([Persist(hooks=(done, running))])
    store.record_hook_process(JobId("a"), 2, ProcessInfo(41, 41, 7))
    store.record_hook_job(JobId("a"), 2, JobId("b"))
    chained = dataclasses.replace(running, chained_job=JobId("b"))
    stored = store.get_job(JobId("a"))
    assert stored is not None and stored.hooks == (done, chained)
    [active] = store.load_active()
    assert [(h.record, h.process) for h in active.hooks] == [
        (done, None),
        (chained, ProcessInfo(41, 41, 7)),
    ]
    store.commit([Persist(hooks_cleared=(JobId("a"),), hooks=(running,))])
    assert store.hooks(JobId("a")) == (running,)


def test_a_restart_reads_the_jobs_in_progress_then_the_backlog_and_no_job_twice(
    store: SqliteStore,
) -> None:
    submit(store, job("running", JobStatus.RUNNING, at=1.0))
    submit(store, job("paused", JobStatus.PAUSED, at=2.0))
    submit(store, job("waiting", JobStatus.QUEUED, at=3.0))
    submit(store, job("hooked", JobStatus.QUEUED, at=4.0))
    store.commit(
        [Persist(jobs=(dataclasses.replace(job("hooked", JobStatus.QUEUED, 4.0), hook=1),))]
    )
    submit(store, job("flying", JobStatus.QUEUED, at=5.0))
    flying = SheetRecord(JobId("flying"), SheetNum(1), SheetStatus.RUNNING, 6.0, attempts=1)
    attempt = AttemptRecord(JobId("flying"), SheetNum(1), 1, 6.0, AttemptOutcome.RUNNING)
    store.commit([Persist(sheets=(flying,), attempts=(attempt,))])
    submit(store, job("done", JobStatus.COMPLETED, at=0.5))
    in_progress = [a.job.record.job_id for a in store.load_in_progress()]
    backlog = [a.job.record.job_id for a in store.load_unfinished(store.backlog())]
    assert in_progress == ["running", "paused", "hooked", "flying"]
    assert backlog == ["waiting"]
    [with_attempt] = [a for a in store.load_in_progress() if a.job.record.job_id == "flying"]
    assert [a.record for a in with_attempt.in_flight] == [attempt]
    assert sorted(in_progress + backlog) == sorted(a.job.record.job_id for a in store.load_active())


def test_the_backlog_is_listed_oldest_first_and_read_back_a_slice_at_a_time(
    store: SqliteStore,
) -> None:
    for n in range(7):
        submit(store, job(f"q{n}", JobStatus.QUEUED, at=10.0 + n // 2))  # ties in pairs
    backlog = store.backlog()
    assert backlog == [f"q{n}" for n in range(7)]
    read = [a.job.record.job_id for a in store.load_unfinished([*backlog[3:5], JobId("gone")])]
    assert read == ["q3", "q4"]


def test_reading_the_unfinished_jobs_back_takes_as_many_queries_for_many_jobs_as_for_few(
    store: SqliteStore,
) -> None:
    def queries(count: int) -> int:
        for n in range(count):
            submit(store, job(f"j{count}-{n}", JobStatus.RUNNING, at=float(n)))
            store.commit([Persist(notes=(JobNote(JobId(f"j{count}-{n}"), 1.0, "noted"),))])
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)
        try:
            found = store.load_active()
        finally:
            store._db.set_trace_callback(None)
        assert all(len(a.job.history) == 1 for a in found)
        return len(statements)

    assert queries(2) == queries(40)


def test_a_job_comes_back_with_its_newest_notes_only_oldest_first(store: SqliteStore) -> None:
    submit(store, job("a"))
    notes = tuple(JobNote(JobId("a"), float(n), f"note {n}") for n in range(60))
    store.commit([Persist(notes=notes)])
    [active] = store.load_active()
    assert active.job.history == notes[-50:]
    stored = store.get_job(JobId("a"))
    assert stored is not None and stored.history == active.job.history


def test_the_count_of_every_job_follows_submissions_and_removals(store: SqliteStore) -> None:
    assert store.count_jobs() == 0
    submit(store, job("a", JobStatus.COMPLETED))
    assert store.count_jobs() == 1
    store.commit([Persist(jobs=(job("a", JobStatus.COMPLETED, at=5.0),))])  # no new job
    submit(store, job("b", JobStatus.FAILED))
    assert store.count_jobs() == 2
    assert store.delete_jobs([JobId("a")]) == 1
    assert store.count_jobs() == 1
    assert store.count_jobs([JobStatus.FAILED]) == 1
