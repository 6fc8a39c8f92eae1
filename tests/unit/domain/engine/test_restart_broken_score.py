"""A job recovered uncompiled whose stored score turns out broken (`StoredScoreBroken`): it
fails with the reason, whatever state it reached meanwhile, and stops what it started."""

import dataclasses

from podium.domain.commands import Command, JobEnded, Kill, Rejected, StopHook
from podium.domain.engine import Limits
from podium.domain.events import StoredScoreBroken
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import Hook, JobPolicy
from podium.domain.records import JobRecord
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, make_plan, persisted, replies

REASON = "job.yaml:1:1: the job's stored score cannot be read"


def broken(h: EngineHarness, job: str = "job") -> list[Command]:
    return h.feed(StoredScoreBroken(JobId(job), REASON))


def last_record(h: EngineHarness, job: str = "job") -> JobRecord:
    return [r for p in persisted(h.commands) for r in p.jobs if r.job_id == job][-1]


def test_a_queued_job_fails_with_the_reason_and_its_sheets_are_cancelled() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan(sheets=1), "first")
    h.submit(make_plan(sheets=2), "queued")
    commands = broken(h, "queued")
    record = last_record(h, "queued")
    assert (record.status, record.error) == (
        JobStatus.FAILED,
        f"cannot go on after a restart: {REASON}",
    )
    [persist] = persisted(commands)
    assert {s.num: s.status.value for s in persist.sheets} == {1: "cancelled", 2: "cancelled"}
    assert JobEnded(JobId("queued")) in commands
    assert h.engine.view(JobId("queued")) is None
    # The job that runs is not touched, and the slot it holds stays its own.
    assert h.statuses("first") == {1: "running"}


def test_a_job_whose_attempt_could_not_start_frees_the_slot_when_that_is_reported() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1, max_concurrent_sheets=1))
    h.submit(make_plan(sheets=1), "broken")
    h.submit(make_plan(sheets=1), "next")
    commands = broken(h, "broken")
    assert Kill(JobId("broken"), SheetNum(1), 1) in commands
    [persist] = persisted(commands)
    assert [a.outcome for a in persist.attempts] == [AttemptOutcome.STOPPED]
    assert last_record(h, "broken").status is JobStatus.FAILED
    assert launched(h.not_launched("broken", 1, REASON)) == [("next", 1)]


def test_a_paused_job_being_rechecked_answers_the_recheck_and_fails() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, parallel=2, fail_fast=False))
    h.exit("job", 1, code=1)  # sheet 1 fails; sheet 2 runs on
    h.pause()
    h.recover()
    commands = broken(h)
    [reply] = replies(commands)
    assert isinstance(reply.result, Rejected) and REASON in reply.result.reason
    assert last_record(h).status is JobStatus.FAILED
    assert h.rechecked("job", 1) == []


def test_a_job_running_its_hook_has_the_hook_stopped() -> None:
    h = EngineHarness()
    policy = JobPolicy(hooks=(Hook(type="run_command", command="make"),))
    h.submit(dataclasses.replace(make_plan(sheets=1), policy=policy))
    h.run_sheet("job", 1)
    commands = broken(h)
    assert StopHook(JobId("job"), 1) in commands
    assert last_record(h).status is JobStatus.FAILED


def test_a_job_holding_its_chain_is_cancelled_and_an_ended_job_is_left_alone() -> None:
    h = EngineHarness()
    chain = Hook(type="run_job", job_path="/s/next.yaml", pause_before_chain=True)
    h.submit(dataclasses.replace(make_plan(sheets=1), policy=JobPolicy(hooks=(chain,))))
    h.run_sheet("job", 1)
    assert last_record(h).status is JobStatus.PAUSED_AT_CHAIN
    broken(h)
    record = last_record(h)
    assert (record.status, record.error) == (
        JobStatus.CANCELLED,
        f"cannot go on after a restart: {REASON}",
    )
    assert broken(h) == []
