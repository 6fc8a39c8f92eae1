"""What a person asks of a job (submit, pause, resume, modify, cancel), and what is refused."""

import dataclasses

import pytest

from podium.domain.commands import Accepted, Rejected
from podium.domain.events import RestoredJob
from podium.domain.ids import JobId
from podium.domain.outcome import AttemptOutcome
from podium.domain.plan import JobPlan
from podium.domain.policy import ConcertPolicy, Hook
from podium.testing.harness import (
    EngineHarness,
    killed,
    launched,
    launches,
    make_plan,
    persisted,
)
from tests.unit.domain.engine.helpers import job_record, notes, policy, reply_of

CHAIN = Hook(type="run_job", job_path="/s/next.yaml")


def hooks_plan(*hooks: Hook, depth: int = 5) -> JobPlan:
    return make_plan(
        sheets=1, policy=policy(hooks=hooks, concert=ConcertPolicy(max_chain_depth=depth))
    )


def test_a_start_sheet_past_the_end_is_refused() -> None:
    h = EngineHarness()
    result = reply_of(h.submit(make_plan(sheets=2), start_sheet=3))
    assert isinstance(result, Rejected) and "no sheet 3" in result.reason


def test_pause_lets_attempts_in_flight_finish_and_starts_nothing_new() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    result = reply_of(h.pause())
    assert result == Accepted(
        JobId("job"), "paused; 1 attempt(s) in flight will finish and be recorded"
    )
    assert launched(h.run_sheet("job", 1)) == []
    assert h.statuses() == {1: "completed", 2: "ready"}
    assert launched(h.resume()) == [("job", 2)]


def test_a_forced_pause_stops_attempts_and_they_run_again_without_spending_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    commands = h.pause(force=True)
    assert killed(commands) == [("job", 1)]
    commands = h.exit("job", 1, signal=15)
    attempt = persisted(commands)[0].attempts[0]
    assert attempt.outcome is AttemptOutcome.STOPPED
    assert h.statuses() == {1: "ready"}
    [launch] = launches(h.resume())
    assert launch.attempt == 2  # max_retries 0: a spent budget would have failed it


def test_a_person_stops_one_attempt_and_its_sheet_runs_again_with_its_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    commands = h.kill("job", 1)
    assert killed(commands) == [("job", 1)]
    assert reply_of(commands) == Accepted(
        JobId("job"), "stopping attempt 1 of sheet 1; the sheet runs again, its retries untouched"
    )
    assert "attempt 1 of sheet 1 stopped by a person" in notes(h)
    again = reply_of(h.kill("job", 1))
    assert isinstance(again, Rejected) and "already being stopped" in again.reason
    commands = h.exit("job", 1, signal=15)
    attempt = persisted(commands)[0].attempts[0]
    assert attempt.outcome is AttemptOutcome.STOPPED
    assert attempt.error == "stopped by a person; the sheet runs again, its retries untouched"
    # max_retries 0: a spent budget would have failed it
    assert [(launch.sheet, launch.attempt) for launch in launches(commands)] == [(1, 2)]
    assert h.statuses() == {1: "running"}


def test_an_attempt_of_a_paused_job_stopped_by_a_person_runs_again_on_resume() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.pause()
    result = reply_of(h.kill("job", 1))
    assert isinstance(result, Accepted) and "runs again on resume" in result.message
    assert launches(h.exit("job", 1, signal=15)) == []
    assert h.statuses() == {1: "ready"}


@pytest.mark.parametrize(
    ("job", "sheet", "why"),
    [
        ("nobody", 1, "job 'nobody' is not active"),
        ("job", 9, "job 'job' has no sheet 9"),
        ("job", 2, "sheet 2 of job 'job' has no attempt running to stop (it is pending)"),
    ],
)
def test_stopping_an_attempt_that_is_not_running_is_refused(job: str, sheet: int, why: str) -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    result = reply_of(h.kill(job, sheet))
    assert isinstance(result, Rejected) and result.reason == why


def test_a_completed_job_cannot_be_resumed() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.run_sheet("job", 1)
    stored = RestoredJob(job_record(h), make_plan(sheets=1), ())
    result = reply_of(h.resume(stored=stored))
    assert isinstance(result, Rejected) and "completed" in result.reason
    result = reply_of(h.modify(make_plan(sheets=2), stored=stored))
    assert isinstance(result, Rejected) and "only a paused, failed or cancelled" in result.reason


@pytest.mark.parametrize("verb", ["pause", "cancel"])
def test_control_of_an_unknown_job_is_refused(verb: str) -> None:
    h = EngineHarness()
    result = reply_of(getattr(h, verb)("nobody"))
    assert isinstance(result, Rejected) and "not active" in result.reason


def test_a_job_id_already_active_is_a_bug_not_a_second_job() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="a", score_path="/s/one.yaml")
    with pytest.raises(ValueError, match="already active"):
        h.submit(make_plan(sheets=1), job_id="a", score_path="/s/two.yaml")


def test_what_cannot_be_done_to_a_job_holding_its_chain_is_refused() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(dataclasses.replace(CHAIN, pause_before_chain=True)))
    h.run_sheet("job", 1)
    for commands in (h.pause(), h.modify(make_plan(sheets=2))):
        result = reply_of(commands)
        assert isinstance(result, Rejected) and "holds its chain" in result.reason


def test_modify_and_resume_refuse_a_score_another_job_is_running() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="a", score_path="/s/a.yaml")
    h.submit(make_plan(sheets=1), job_id="b", score_path="/s/b.yaml")
    result = reply_of(h.modify(make_plan(sheets=1), "a", score_path="/s/b.yaml"))
    assert isinstance(result, Rejected) and "job 'b' is already running /s/b.yaml" in result.reason
    h.exit("a", 1, code=1)  # a fails and leaves
    h.submit(make_plan(sheets=1), job_id="c", score_path="/s/a.yaml")
    stored = RestoredJob(job_record(h, "a"), make_plan(sheets=1), ())
    result = reply_of(h.resume("a", stored=stored))
    assert isinstance(result, Rejected) and "job 'c' is already running /s/a.yaml" in result.reason
    result = reply_of(h.resume("gone"))
    assert isinstance(result, Rejected) and result.code == "not_found"


def test_a_running_job_cannot_be_resumed() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    result = reply_of(h.resume())
    assert isinstance(result, Rejected) and "is running" in result.reason


def test_the_view_of_a_job_names_it() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="named")
    view = h.engine.view(JobId("named"))
    assert view is not None and view.job_id == "named"


def test_a_submission_may_carry_the_first_line_of_its_history() -> None:
    from podium.domain.events import JobSubmitted

    h = EngineHarness()
    event = JobSubmitted(1, JobId("job"), make_plan(sheets=1), "/s/a.yaml", "/w", "", note="hi")
    h.feed(event)
    assert notes(h) == ["hi"]
    assert h.engine.job_running("/s/a.yaml") == "job"
    assert h.engine.job_running("/s/b.yaml") is None
