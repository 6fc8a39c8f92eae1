"""The on_success hooks through the engine: one at a time, in order, each start persisted
before it runs, and the job completed (or failed) only once they have ended."""

import dataclasses

from podium.domain.commands import Command, Persist, Rejected, RunHook, StopHook
from podium.domain.engine import Limits
from podium.domain.events import PressureMeasured, Restarted, RestoredJob
from podium.domain.ids import JobId
from podium.domain.plan import JobPlan
from podium.domain.policy import ConcertPolicy, Hook, JobPolicy
from podium.domain.pressure import PressureLevel
from podium.domain.records import HookOutcome, HookRecord, JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, make_plan, persisted
from tests.unit.domain.engine.helpers import reply_of

BUILD = Hook(type="run_command", command="make build")
DEPLOY = Hook(type="run_command", command="make deploy", on_failure="abort")
CHAIN = Hook(type="run_job", job_path="/s/next.yaml")


def hooks_plan(*hooks: Hook, depth: int = 5) -> JobPlan:
    policy = JobPolicy(hooks=hooks, concert=ConcertPolicy(max_chain_depth=depth))
    return dataclasses.replace(make_plan(sheets=1), policy=policy)


def run_hooks(commands: list[Command]) -> list[RunHook]:
    return [c for c in commands if isinstance(c, RunHook)]


def job_record(h: EngineHarness) -> JobRecord:
    return [r for p in persisted(h.commands) for r in p.jobs][-1]


def notes(h: EngineHarness) -> list[str]:
    return [n.text for p in persisted(h.commands) for n in p.notes]


def hook_rows(h: EngineHarness) -> dict[int, HookRecord]:
    return {r.num: r for p in persisted(h.commands) for r in p.hooks}


def test_hooks_run_one_at_a_time_in_order_while_the_job_stays_running() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD, CHAIN), chain_depth=1)
    commands = h.run_sheet("job", 1)
    assert run_hooks(commands) == [RunHook(JobId("job"), 1, BUILD, 2)]
    # The hook's start and the job's state are saved before the hook is asked for.
    first = commands.index(run_hooks(commands)[0])
    [persist] = [c for c in commands[:first] if isinstance(c, Persist)]
    assert persist.hooks[0].outcome is HookOutcome.RUNNING
    assert persist.hooks_cleared == (JobId("job"),)
    record = job_record(h)
    assert (record.status, record.hook) == (JobStatus.RUNNING, 1)
    assert record.detail == "running its on_success hooks (1 of 2)"

    commands = h.hook_finished()
    assert run_hooks(commands) == [RunHook(JobId("job"), 2, CHAIN, 2)]
    assert job_record(h).detail == "running its on_success hooks (2 of 2)"
    h.hook_finished(chained_job="next")
    record = job_record(h)
    assert (record.status, record.hook, record.detail) == (JobStatus.COMPLETED, 0, None)
    rows = hook_rows(h)
    assert [rows[n].outcome for n in (1, 2)] == [HookOutcome.SUCCEEDED] * 2
    assert rows[2].chained_job == "next"
    assert "on_success hook 2 (run_job: /s/next.yaml) started job next" in notes(h)


def test_a_failed_hook_that_aborts_fails_the_job_and_stops_the_later_hooks() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD, DEPLOY, CHAIN))
    h.run_sheet("job", 1)
    h.hook_finished()
    commands = h.hook_finished(ok=False, exit_code=3, error="exit 3: no rule to make deploy")
    assert run_hooks(commands) == []
    record = job_record(h)
    assert record.status is JobStatus.FAILED
    assert record.error == (
        "on_success hook 2 (run_command: make deploy) failed: exit 3: no rule to make deploy"
    )
    assert any("the 1 later hook(s) do not run" in n for n in notes(h))
    assert hook_rows(h)[2].outcome is HookOutcome.FAILED and hook_rows(h)[2].exit_code == 3


def test_a_failed_hook_that_continues_leaves_the_job_completed_and_says_so() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD, DEPLOY))
    h.run_sheet("job", 1)
    commands = h.hook_finished(ok=False, error="exit 1")
    assert run_hooks(commands) == [RunHook(JobId("job"), 2, DEPLOY, 1)]
    h.hook_finished()
    assert job_record(h).status is JobStatus.COMPLETED
    assert job_record(h).error is None
    assert any(
        "hook 1 (run_command: make build) failed: exit 1; the job stays completed" in n
        for n in notes(h)
    )


def test_a_concert_that_aborts_on_hook_failure_ends_its_chain_at_any_failed_hook() -> None:
    h = EngineHarness()
    policy = JobPolicy(hooks=(BUILD, CHAIN), concert=ConcertPolicy(abort_on_hook_failure=True))
    h.submit(dataclasses.replace(make_plan(sheets=1), policy=policy))
    h.run_sheet("job", 1)
    commands = h.hook_finished(ok=False, error="exit 1")  # BUILD says on_failure: continue
    assert run_hooks(commands) == []
    record = job_record(h)
    assert record.status is JobStatus.FAILED
    assert record.error == "on_success hook 1 (run_command: make build) failed: exit 1"
    assert any(
        "the 1 later hook(s) do not run (concert.abort_concert_on_hook_failure)" in n
        for n in notes(h)
    )


def test_a_concert_that_aborts_cancels_the_job_an_earlier_hook_had_started() -> None:
    h = EngineHarness()
    policy = JobPolicy(hooks=(CHAIN, BUILD), concert=ConcertPolicy(abort_on_hook_failure=True))
    h.submit(dataclasses.replace(make_plan(sheets=1), policy=policy))
    h.run_sheet("job", 1)
    h.submit(make_plan(sheets=1), "next", chain_depth=1)  # what the run_job hook submitted
    h.hook_finished(chained_job="next")
    h.hook_finished(ok=False, error="exit 2")
    ended = {r.job_id: r.status for p in persisted(h.commands) for r in p.jobs}
    assert ended == {"job": JobStatus.FAILED, "next": JobStatus.CANCELLED}
    assert "cancelled job next, which it had started" in notes(h)
    assert h.engine.view(JobId("next")) is None


def test_a_job_paused_when_its_last_sheet_completed_runs_its_hooks_as_running() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD))
    h.pause()
    commands = h.run_sheet("job", 1)
    assert run_hooks(commands) == [RunHook(JobId("job"), 1, BUILD, 1)]
    assert job_record(h).status is JobStatus.RUNNING
    assert h.engine.running_jobs == 1
    h.hook_finished()
    assert job_record(h).status is JobStatus.COMPLETED
    assert h.engine.running_jobs == 0


def test_a_held_chain_runs_its_hooks_once_released_then_completes() -> None:
    h = EngineHarness()
    held = dataclasses.replace(CHAIN, pause_before_chain=True)
    h.submit(hooks_plan(BUILD, held))
    commands = h.run_sheet("job", 1)
    assert run_hooks(commands) == []
    assert job_record(h).status is JobStatus.PAUSED_AT_CHAIN
    commands = h.resume()
    assert run_hooks(commands) == [RunHook(JobId("job"), 1, BUILD, 1)]
    assert job_record(h).status is JobStatus.RUNNING
    h.hook_finished()
    h.hook_finished(chained_job="next")
    assert job_record(h).status is JobStatus.COMPLETED


def test_only_chains_past_the_maximum_depth_complete_the_job_at_once() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(CHAIN, depth=1), chain_depth=1)
    commands = h.run_sheet("job", 1)
    assert run_hooks(commands) == []
    assert job_record(h).status is JobStatus.COMPLETED
    assert any("past concert.max_chain_depth (1)" in n for n in notes(h))


def test_a_pause_or_a_modify_waits_for_the_hooks_and_a_cancel_stops_them() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD, DEPLOY))
    h.run_sheet("job", 1)
    for commands in (h.pause(), h.modify(make_plan(sheets=2))):
        result = reply_of(commands)
        assert isinstance(result, Rejected) and "running its on_success hooks" in result.reason
    commands = h.cancel()
    assert StopHook(JobId("job"), 1) in commands
    assert job_record(h).status is JobStatus.CANCELLED
    row = hook_rows(h)[1]
    assert row.outcome is HookOutcome.FAILED and row.error == "stopped: cancelled by the user"
    assert h.hook_finished() == []  # the stopped hook's end changes nothing


def test_the_end_of_a_hook_that_is_not_running_changes_nothing() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD, DEPLOY))
    h.run_sheet("job", 1)
    h.hook_finished()
    assert h.hook_finished(index=1) == []  # hook 2 runs now
    assert job_record(h).hook == 2


def test_hooks_are_shown_with_the_job() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(BUILD))
    h.run_sheet("job", 1)
    view = h.engine.view(JobId("job"))
    assert view is not None
    assert [(r.num, r.label, r.outcome) for r in view.hooks] == [
        (1, "run_command: make build", HookOutcome.RUNNING)
    ]


def test_a_job_running_its_hooks_is_neither_paused_by_pressure_nor_timed_out() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(hooks_plan(BUILD))
    h.run_sheet("job", 1)
    h.feed(PressureMeasured(PressureLevel.CRITICAL, "memory 97%"))
    h.advance(200)
    assert job_record(h).status is JobStatus.RUNNING
    h.hook_finished()
    assert job_record(h).status is JobStatus.COMPLETED


# ---- after a restart -------------------------------------------------------------------


def stored(hook: int, *rows: HookRecord, plan: JobPlan | None = None) -> RestoredJob:
    record = JobRecord(
        JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.RUNNING, 1.0, 1, 1, hook=hook
    )
    sheet = SheetRecord(JobId("job"), 1, SheetStatus.COMPLETED, 1.0, attempts=1)  # type: ignore[arg-type]
    return RestoredJob(
        record, plan or hooks_plan(BUILD, DEPLOY, CHAIN), (sheet,), hooks=tuple(rows)
    )


def row(num: int, hook: Hook, outcome: HookOutcome, chained: str | None = None) -> HookRecord:
    return HookRecord(
        JobId("job"),
        num,
        hook.type,
        hook.label,
        None,
        1.0,
        outcome,
        chained_job=None if chained is None else JobId(chained),
    )


def test_after_a_restart_the_interrupted_hook_is_asked_again_and_finished_ones_are_not() -> None:
    h = EngineHarness()
    done = row(1, BUILD, HookOutcome.SUCCEEDED)
    commands = h.feed(Restarted((stored(2, done, row(2, DEPLOY, HookOutcome.RUNNING)),)))
    assert run_hooks(commands) == [RunHook(JobId("job"), 2, DEPLOY, 1)]
    assert (
        "hook 2 was interrupted by a restart; it is finished from what it left, or runs again "
        "if nothing of it is left" in notes(h)
    )
    view = h.engine.view(JobId("job"))
    assert view is not None and [r.outcome for r in view.hooks] == [
        HookOutcome.SUCCEEDED,
        HookOutcome.RUNNING,
    ]
    assert view.hooks[1].started_at == 1.0  # the same run goes on: its exit file is its own
    h.hook_finished()
    h.hook_finished(chained_job="next")
    assert job_record(h).status is JobStatus.COMPLETED


def test_after_a_restart_a_chain_is_handed_the_job_it_had_submitted() -> None:
    h = EngineHarness()
    rows = (
        row(1, BUILD, HookOutcome.SUCCEEDED),
        row(2, DEPLOY, HookOutcome.SUCCEEDED),
        row(3, CHAIN, HookOutcome.RUNNING, chained="next"),
    )
    commands = h.feed(Restarted((stored(3, *rows),)))
    assert run_hooks(commands) == [RunHook(JobId("job"), 3, CHAIN, 1, JobId("next"))]
    assert any("its job is submitted unless it was before the restart" in n for n in notes(h))


def test_after_a_restart_a_hook_that_had_ended_goes_on_with_the_next() -> None:
    h = EngineHarness()
    commands = h.feed(Restarted((stored(1, row(1, BUILD, HookOutcome.FAILED)),)))
    assert run_hooks(commands) == [RunHook(JobId("job"), 2, DEPLOY, 1)]


def test_after_a_restart_a_hook_the_store_does_not_know_ends_the_job() -> None:
    h = EngineHarness()
    h.feed(Restarted((stored(7),)))
    assert job_record(h).status is JobStatus.COMPLETED
    assert any("on_success hook 7 is not known after a restart" in n for n in notes(h))
