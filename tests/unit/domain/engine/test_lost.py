"""An attempt lost with the node that ran it: interrupted, and its sheet runs again without
spending its budget, whatever else was under way (a stop, a pause, a cancel)."""

from podium.domain.events import AttemptLost
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import RetryPolicy
from podium.domain.status import JobStatus
from podium.testing.harness import EngineHarness, launched, launches, make_plan, persisted
from tests.unit.domain.engine.helpers import job_record, notes, policy
from tests.unit.domain.engine.test_outcomes import attempt_rows


def test_a_lost_attempt_is_interrupted_and_runs_again_at_once_with_its_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    commands = h.lost("job", 1, "its Ray actor on node 5f2c died")
    attempt = attempt_rows(commands)[0]
    assert (attempt.attempt, attempt.outcome) == (1, AttemptOutcome.INTERRUPTED)
    assert attempt.error == (
        "lost with the node that ran it: its Ray actor on node 5f2c died; "
        "it runs again, its retries untouched"
    )
    assert [(c.sheet, c.attempt) for c in launches(commands)] == [(1, 2)]
    assert persisted(commands)[0].sheets[-1].failures == 0
    h.run_sheet("job", 1)  # max_retries 0: a spent budget would have failed it
    assert h.engine.view(JobId("job")) is None
    assert job_record(h).status is JobStatus.COMPLETED


def test_an_attempt_lost_while_a_person_stops_it_runs_again_like_a_stopped_one() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    h.kill("job", 1)
    commands = h.lost("job", 1)
    assert attempt_rows(commands)[0].outcome is AttemptOutcome.INTERRUPTED
    assert [(c.sheet, c.attempt) for c in launches(commands)] == [(1, 2)]
    # The stop is over: the new attempt's failure is an ordinary one.
    h.exit("job", 1, code=1)
    assert job_record(h).status is JobStatus.FAILED


def test_an_attempt_of_a_paused_job_lost_meanwhile_runs_again_on_resume() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.pause(force=True)
    assert launches(h.lost("job", 1)) == []
    assert h.statuses() == {1: "ready"}
    assert launched(h.resume()) == [("job", 1)]


def test_an_attempt_of_a_cancelled_job_lost_while_it_stops_only_frees_its_slot() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="first")
    attempt = h.current_attempt("first", 1)
    h.cancel("first")
    commands = h.submit(make_plan(sheets=1), job_id="second")
    assert launched(commands) == [("second", 1)]
    commands = h.lost("first", 1)
    assert attempt_rows(commands) == [] and h.current_attempt("first", 1) == attempt


def test_a_loss_reported_for_an_attempt_that_is_not_current_is_ignored() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    h.lost("job", 1)
    commands = h.feed(AttemptLost(JobId("job"), SheetNum(1), 1, "its node died"))
    assert attempt_rows(commands) == [] and launches(commands) == []
    assert h.statuses() == {1: "running"} and h.current_attempt("job", 1) == 2


def test_a_lost_probe_of_a_half_open_breaker_lets_another_probe_through() -> None:
    h = EngineHarness()
    retry = RetryPolicy(max_retries=10, base_delay_seconds=1.0, exponential_base=1.0, jitter=False)
    h.submit(make_plan(sheets=1, instrument="agent", policy=policy(retry=retry)))
    for _ in range(5):
        h.exit("job", 1, code=1, outcome=AttemptOutcome.CAPACITY)
        h.advance(1.0)
    assert any("circuit breaker of agent opened" in n for n in notes(h))
    assert launched(h.advance(300.0)) == [("job", 1)]  # the probe
    assert launched(h.lost("job", 1)) == [("job", 1)]  # another probe, at once


def test_an_attempt_with_no_node_to_run_it_yet_waits_and_runs_again_with_its_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=0))
    commands = h.not_launched("job", 1, "no live node offers instrument 'cli'", wait_seconds=15)
    attempt = attempt_rows(commands)[0]
    assert attempt.outcome is AttemptOutcome.INTERRUPTED
    assert attempt.error == (
        "not started: no live node offers instrument 'cli'; it tries again in 15s, "
        "its retries untouched"
    )
    assert launches(commands) == [] and h.statuses() == {1: "waiting"}
    assert persisted(commands)[0].sheets[-1].error == attempt.error  # shown while it waits
    assert launches(h.advance(14)) == []
    assert [(c.sheet, c.attempt) for c in launches(h.advance(1))] == [(1, 2)]
    h.run_sheet("job", 1)  # max_retries 0: a spent budget would have failed it
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_paused_job_whose_attempt_waits_for_a_node_runs_it_on_resume() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.pause(force=True)
    assert launches(h.not_launched("job", 1, "no node", wait_seconds=15)) == []
    assert launches(h.advance(60)) == []
    assert launched(h.resume()) == [("job", 1)]
