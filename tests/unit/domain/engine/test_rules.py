"""What follows from a job's state: fail_fast skips what is left, a finished job fails,
completes or runs its hooks (or holds its chain)."""

import dataclasses

import pytest

from podium.domain.commands import RunHook
from podium.domain.engine.rules import ENDINGS, RULES, Rule, Rules
from podium.domain.engine.state import EngineState, recount
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import Limits
from podium.domain.live import LiveJob
from podium.domain.plan import JobPlan
from podium.domain.policy import ConcertPolicy, Hook
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, launched, make_plan, persisted
from tests.unit.domain.engine.helpers import job_record, notes, policy

CHAIN = Hook(type="run_job", job_path="/s/next.yaml")


def hooks_plan(*hooks: Hook, depth: int = 5) -> JobPlan:
    return make_plan(
        sheets=1, policy=policy(hooks=hooks, concert=ConcertPolicy(max_chain_depth=depth))
    )


def test_fail_fast_stops_new_work_and_skips_what_is_left() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [], 4: []}, parallel=2))
    h.exit("job", 1, code=1)
    statuses = h.statuses()
    assert statuses[1] == "failed" and statuses[2] == "running" and statuses[3] == "ready"
    commands = h.run_sheet("job", 2)
    assert launched(commands) == []
    record = persisted(commands)[0]
    assert [s.status for s in record.sheets if s.num == 3] == [SheetStatus.SKIPPED]
    assert record.jobs[-1].status is JobStatus.FAILED
    assert "parallel.fail_fast" in (record.sheets[-1].error or "")


def test_a_completed_job_asks_for_its_hooks_one_level_deeper() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(CHAIN), chain_depth=1)
    commands = h.run_sheet("job", 1)
    assert RunHook(JobId("job"), 1, CHAIN, 2) in commands


def test_the_zero_work_guard_holds_back_hooks() -> None:
    h = EngineHarness()
    plan = make_plan(sheets=1, policy=policy(hooks=(CHAIN,)), skip_when={1: "True"})
    commands = h.submit(plan)
    assert not [c for c in commands if isinstance(c, RunHook)]
    assert job_record(h).status is JobStatus.COMPLETED
    assert any("zero-work guard" in n for n in notes(h))


def test_chains_stop_at_the_maximum_depth() -> None:
    h = EngineHarness()
    command = Hook(type="run_command", command="echo done")
    h.submit(hooks_plan(CHAIN, command, depth=2), chain_depth=2)
    commands = h.run_sheet("job", 1)
    assert RunHook(JobId("job"), 1, command, 3) in commands
    assert any("past concert.max_chain_depth (2)" in n for n in notes(h))


def test_pause_before_chain_holds_the_chain_until_resumed() -> None:
    h = EngineHarness()
    held = dataclasses.replace(CHAIN, pause_before_chain=True)
    h.submit(hooks_plan(held))
    commands = h.run_sheet("job", 1)
    assert not [c for c in commands if isinstance(c, RunHook)]
    assert job_record(h).status is JobStatus.PAUSED_AT_CHAIN
    assert h.engine.running_jobs == 0
    commands = h.resume()
    assert RunHook(JobId("job"), 1, held, 1) in commands
    assert job_record(h).status is JobStatus.RUNNING  # while its hook runs
    h.hook_finished(chained_job="next")
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_failure_summary_without_a_failed_sheet_still_says_the_job_did_not_complete() -> None:
    from podium.domain.live import LiveJob, LiveSheet

    plan = make_plan(sheets=1)
    sheet = LiveSheet(plan.sheets[0], SheetStatus.CANCELLED, 1.0, unmet=0)
    job = LiveJob(
        1, JobId("j"), plan, "/s", "/w", 1.0, JobStatus.RUNNING, {sheet.plan.num: sheet}, {}
    )
    assert job.failure_summary() == "the job ended with sheets that did not complete"


def test_hooks_still_run_when_the_last_sheet_completed_during_a_pause() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(CHAIN))
    h.pause()
    commands = h.run_sheet("job", 1)
    assert RunHook(JobId("job"), 1, CHAIN, 1) in commands
    h.hook_finished(chained_job="next")
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_job_where_several_sheets_failed_says_how_many() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [2]}, parallel=2, fail_fast=False))
    h.exit("job", 1, code=1)
    h.exit("job", 2, code=2)
    assert job_record(h).error == (
        "sheet 1 failed after 1 attempt: exit code 1; 1 more sheet(s) failed; "
        "1 sheet(s) not run because a sheet failed"
    )


RUNNING = JobStatus.RUNNING
DONE, FAILED, PENDING = SheetStatus.COMPLETED, SheetStatus.FAILED, SheetStatus.PENDING


def finished_job(*statuses: SheetStatus, hooks: tuple[Hook, ...] = (), ran: int = 1) -> LiveJob:
    """A running job whose sheets have `statuses`, `ran` of them completed in this run."""
    state = EngineState(Limits())
    plan = make_plan({n: [] for n in range(1, len(statuses) + 1)}, parallel=len(statuses))
    plan = dataclasses.replace(plan, policy=dataclasses.replace(plan.policy, hooks=hooks))
    job = state.add_job(JobId("job"), plan, "/s/a.yaml", "/w", submitted_at=0.0, status=RUNNING)
    for sheet, status in zip(job.sheets.values(), statuses, strict=True):
        sheet.status = status
    recount(job)
    job.completed_this_run = ran
    return job


def first(table: tuple[Rule, ...], job: LiveJob) -> object:
    """The action of the first rule of `table` that holds for `job`, if one does."""
    return next((r.then for r in table if r.holds(job)), None)


def test_a_job_with_sheets_left_is_left_alone_and_a_finished_one_ends() -> None:
    assert first(RULES, finished_job(DONE, PENDING)) is None
    assert first(RULES, finished_job(DONE, DONE)) == Rules.finish


@pytest.mark.parametrize(
    ("job", "then"),
    [
        (finished_job(DONE, FAILED, hooks=(CHAIN,)), Rules.fail),
        (finished_job(DONE, DONE), Rules.complete),
        (finished_job(DONE, hooks=(CHAIN,), ran=0), Rules.complete_without_hooks),
        (finished_job(DONE, hooks=(CHAIN,)), Rules.run_hooks),
    ],
    ids=["a failure", "no hooks", "no work this run", "hooks"],
)
def test_the_first_ending_that_holds_for_a_finished_job_decides_how_it_ends(
    job: LiveJob, then: object
) -> None:
    assert first(ENDINGS, job) == then


def test_a_job_waiting_to_resume_or_stopped_by_fail_fast_is_not_finished_yet() -> None:
    waiting = finished_job(DONE)
    waiting.status, waiting.resume_when_idle = JobStatus.PAUSED, True
    stopped = finished_job(FAILED, PENDING)
    stopped.stopped_by = SheetNum(1)
    assert [first(RULES, j) for j in (waiting, stopped)] == [Rules.resume, Rules.skip_the_rest]
