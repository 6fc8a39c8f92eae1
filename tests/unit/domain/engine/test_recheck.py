"""`podium recover`, `resume --force` and `modify` without resuming, through the engine harness."""

from podium.domain.commands import (
    Accepted,
    Command,
    JobEnded,
    Persist,
    Rejected,
    RunValidations,
    SheetChange,
)
from podium.domain.events import RestoredJob
from podium.domain.ids import JobId, SheetNum
from podium.domain.plan import JobPlan
from podium.domain.records import SheetRecord
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, launches, make_plan, replies
from tests.unit.domain.engine.helpers import job_record


def stored(h: EngineHarness, plan: JobPlan, job: str = "job") -> RestoredJob:
    """The job as the store would hand it back, from what the engine persisted."""
    sheets: dict[int, SheetRecord] = {}
    for c in h.commands:
        if isinstance(c, Persist):
            sheets.update({s.num: s for s in c.sheets if s.job_id == job})
    return RestoredJob(job_record(h, job), plan, tuple(sheets[n] for n in sorted(sheets)))


def answer(commands: list[Command]) -> Accepted | Rejected:
    [reply] = replies(commands)
    return reply.result


def rechecks(commands: list[Command]) -> list[tuple[int, int]]:
    return [(c.sheet, c.attempt) for c in commands if isinstance(c, RunValidations) and c.recheck]


def failed_last_sheet(h: EngineHarness, plan: JobPlan) -> RestoredJob:
    """Sheets 1..n-1 complete; the last one fails its validations; the job fails."""
    h.submit(plan)
    for num in range(1, plan.total_sheets):
        h.run_sheet("job", num)
    h.exit("job", plan.total_sheets)
    h.validated("job", plan.total_sheets, (False,))
    assert job_record(h).status is JobStatus.FAILED
    return stored(h, plan)


def test_a_failed_sheet_that_passes_now_completes_and_so_does_its_job() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    job = failed_last_sheet(h, plan)
    commands = h.recover(stored=job)
    assert rechecks(commands) == [(2, 1)]
    assert replies(commands) == []  # answered once the checks are done
    commands = h.rechecked("job", 2)
    result = answer(commands)
    assert isinstance(result, Accepted)
    assert result.sheets == (SheetChange(SheetNum(2), True, "completed"),)
    assert result.message.startswith("completed sheet(s) 2: their validations pass now")
    assert result.message.endswith("job job is completed")
    record = job_record(h)
    assert (record.status, record.completed_sheets, record.error) == (JobStatus.COMPLETED, 2, None)
    assert JobEnded(JobId("job")) in commands
    assert h.engine.view(JobId("job")) is None


def test_a_sheet_still_failing_is_left_failed_and_says_why() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    h.recover(stored=failed_last_sheet(h, plan))
    commands = h.rechecked("job", 2, (False,))
    result = answer(commands)
    assert isinstance(result, Accepted)
    [change] = result.sheets
    assert (change.sheet, change.changed) == (2, False)
    assert "file not found" in change.detail
    assert "still failing: sheet(s) 2" in result.message
    assert [s for c in commands if isinstance(c, Persist) for s in c.sheets] == []
    assert h.engine.view(JobId("job")) is None


def test_a_dry_run_checks_and_changes_nothing() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    h.recover(stored=failed_last_sheet(h, plan), dry_run=True)
    commands = h.rechecked("job", 2)
    result = answer(commands)
    assert isinstance(result, Accepted)
    assert result.message.startswith("would complete sheet(s) 2")
    assert [c for c in commands if isinstance(c, Persist)] == []


def test_a_recovered_sheet_of_a_failed_job_lets_its_dependents_run_on_resume() -> None:
    h, plan = EngineHarness(), make_plan(sheets=3)
    h.submit(plan)
    h.run_sheet("job", 1)
    h.exit("job", 2, code=1)  # sheet 3 is skipped: it depends on 2
    h.recover(stored=stored(h, plan))
    result = answer(h.rechecked("job", 2))
    assert isinstance(result, Accepted)
    assert result.message.endswith("'podium resume job' runs what is left")
    record = job_record(h)
    assert record.status is JobStatus.FAILED and record.completed_sheets == 2
    assert record.error == "sheet(s) 3 did not run yet: 'podium resume job' runs them"
    commands = h.resume(stored=stored(h, plan))
    assert launched(commands) == [("job", 3)]


def test_a_paused_job_has_its_failed_sheets_checked_and_stays_paused() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [2]}, parallel=2, fail_fast=False))
    h.exit("job", 1, code=1)  # sheet 1 fails; sheet 2 runs on
    h.pause()
    commands = h.recover()
    assert rechecks(commands) == [(1, 1)]
    result = answer(h.pause())
    assert isinstance(result, Rejected) and "is being recovered" in result.reason
    h.rechecked("job", 1)
    assert h.statuses() == {1: "completed", 2: "running", 3: "pending"}
    assert job_record(h).status is JobStatus.PAUSED


def test_only_the_sheets_asked_for_are_checked_and_a_job_without_failures_has_none() -> None:
    h, plan = EngineHarness(), make_plan({1: [], 2: []}, parallel=2, fail_fast=False)
    h.submit(plan)
    h.exit("job", 1, code=1)
    h.exit("job", 2, code=1)
    assert rechecks(h.recover(stored=stored(h, plan), sheets=[2])) == [(2, 1)]
    assert rechecks(h.recover(sheets=[1])) == []  # one recover at a time
    h.rechecked("job", 2)
    done = EngineHarness()
    done.submit(make_plan(sheets=1))
    done.pause()
    result = answer(done.recover())
    assert result == Accepted(JobId("job"), "no failed sheet to check again")


def test_a_sheet_without_validations_is_not_taken_for_done() -> None:
    h, plan = EngineHarness(), make_plan(sheets=1)
    h.submit(plan)
    h.exit("job", 1, code=1)
    h.recover(stored=stored(h, plan))
    result = answer(h.rechecked("job", 1, ()))
    assert isinstance(result, Accepted) and not result.sheets[0].changed
    assert "no validations" in result.sheets[0].detail


def test_from_sheet_puts_finished_sheets_back_to_pending_and_resume_runs_only_those() -> None:
    h, plan = EngineHarness(), make_plan(sheets=4)
    failed_last_sheet(h, plan)
    result = answer(h.recover(stored=stored(h, plan), from_sheet=3))
    assert isinstance(result, Accepted)
    assert [c.sheet for c in result.sheets] == [3, 4]
    assert result.message.startswith("sheet(s) 3, 4 back to pending with a fresh budget")
    record = job_record(h)
    assert (record.status, record.completed_sheets) == (JobStatus.FAILED, 2)
    commands = h.resume(stored=stored(h, plan))
    assert launched(commands) == [("job", 3)]
    assert h.statuses() == {1: "completed", 2: "completed", 3: "running", 4: "pending"}


def test_from_sheet_on_a_paused_job_holds_back_what_depends_on_a_reset_sheet() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [1]}))  # one sheet at a time
    h.run_sheet("job", 1)
    h.pause()
    assert h.statuses() == {1: "completed", 2: "running", 3: "ready"}
    h.recover(from_sheet=1)
    assert h.statuses() == {1: "pending", 2: "running", 3: "pending"}


def test_from_sheet_dry_run_and_nothing_to_reset() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    job = failed_last_sheet(h, plan)
    commands = h.recover(stored=job, from_sheet=1, dry_run=True)
    result = answer(commands)
    assert isinstance(result, Accepted)
    assert result.message == "would put sheet(s) 1, 2 back to pending with a fresh budget"
    assert [c for c in commands if isinstance(c, Persist)] == []
    other = EngineHarness()
    other.submit(make_plan(sheets=2))
    other.pause()
    result = answer(other.recover(from_sheet=2))
    assert isinstance(result, Accepted)
    assert result.message == "nothing to reset: no sheet from sheet 2 on has finished"


def test_what_recover_refuses() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    h.submit(plan)
    running = answer(h.recover())
    assert (
        isinstance(running, Rejected) and "is running; recover works on a failed" in running.reason
    )
    unknown = answer(h.recover("nobody"))
    assert isinstance(unknown, Rejected) and unknown.code == "not_found"
    h.run_sheet("job", 1)
    h.run_sheet("job", 2)
    completed = answer(h.recover(stored=stored(h, plan)))
    assert isinstance(completed, Rejected) and "has completed" in completed.reason
    failed, plan = EngineHarness(), make_plan(sheets=2)
    job = failed_last_sheet(failed, plan)
    for sheets, from_sheet, words in (
        ([5], None, "there is no sheet 5: job 'job' has sheets 1 to 2"),
        ([], 9, "there is no sheet 9"),
        ([1], None, "sheet 1 of job 'job' is completed"),
    ):
        commands = failed.recover(stored=job, sheets=sheets, from_sheet=from_sheet)
        result = answer(commands)
        assert isinstance(result, Rejected) and words in result.reason
        assert failed.engine.view(JobId("job")) is None


def test_a_job_going_on_with_a_new_score_is_not_recovered() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    h.modify(make_plan(sheets=3))  # sheet 1 is still in flight
    result = answer(h.recover())
    assert isinstance(result, Rejected) and "going on with a new score" in result.reason


def test_a_recheck_does_not_take_the_score_from_the_job_running_it() -> None:
    h, plan = EngineHarness(), make_plan(sheets=1)
    h.submit(plan, "old", score_path="/s/x.yaml")
    h.exit("old", 1, code=1)
    h.submit(plan, "new", score_path="/s/x.yaml")
    h.recover("old", stored=stored(h, plan, "old"))
    h.rechecked("old", 1, (False,))
    assert h.engine.job_running("/s/x.yaml") == JobId("new")


def test_results_of_a_recheck_no_longer_awaited_change_nothing() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    h.recover(stored=failed_last_sheet(h, plan))
    h.rechecked("job", 2)
    assert h.rechecked("job", 2) == []


def test_a_cancelled_job_whose_every_sheet_passes_is_completed() -> None:
    h, plan = EngineHarness(), make_plan(sheets=1)
    h.submit(plan)
    h.cancel()
    h.exit("job", 1, signal=15)
    h.recover(stored=stored(h, plan), sheets=[1])
    h.rechecked("job", 1)
    assert job_record(h).status is JobStatus.COMPLETED


def test_resume_force_runs_a_completed_job_again_from_its_first_sheet() -> None:
    h, plan = EngineHarness(), make_plan(sheets=2)
    h.submit(plan)
    h.run_sheet("job", 1)
    h.run_sheet("job", 2)
    refused = answer(h.resume(stored=stored(h, plan)))
    assert isinstance(refused, Rejected) and "'podium resume job --force'" in refused.reason
    commands = h.resume(stored=stored(h, plan), force=True)
    [launch] = launches(commands)
    assert (launch.sheet, launch.attempt) == (1, 2)
    assert h.statuses() == {1: "running", 2: "pending"}


def test_modify_without_resume_leaves_a_paused_job_paused_until_resumed() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    h.pause()
    h.run_sheet("job", 1)
    result = answer(h.modify(make_plan(sheets=3), resume=False))
    assert result == Accepted(
        JobId("job"), "modified; it stays paused: 'podium resume job' goes on with it"
    )
    assert job_record(h).status is JobStatus.PAUSED
    commands = h.resume()
    assert launched(commands) == [("job", 2)]
    view = h.engine.view(JobId("job"))
    assert view is not None and view.job.total_sheets == 3


def test_resume_on_a_score_another_job_runs_is_refused() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), "a", score_path="/s/a.yaml")
    h.submit(make_plan(sheets=1), "b", score_path="/s/b.yaml")
    h.pause("a")
    result = answer(h.resume("a", plan=make_plan(sheets=1), score_path="/s/b.yaml"))
    assert isinstance(result, Rejected) and "job 'b' is already running /s/b.yaml" in result.reason
