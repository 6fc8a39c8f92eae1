"""Each scheduling rule of the engine, through its harness, on an explicit clock."""

import dataclasses

import pytest

from podium.domain.commands import (
    Accepted,
    Command,
    JobEnded,
    Persist,
    Rejected,
    RunHook,
    RunSkipCheck,
    SwapScore,
)
from podium.domain.engine import Limits
from podium.domain.events import Recovered, RecoveredJob, SkipChecked
from podium.domain.ids import JobId
from podium.domain.outcome import AttemptOutcome
from podium.domain.plan import JobPlan
from podium.domain.policy import (
    ConcertPolicy,
    CostPolicy,
    Hook,
    JobPolicy,
    ParallelPolicy,
    RateLimitPolicy,
    RetryPolicy,
)
from podium.domain.records import AttemptRecord, JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import (
    EngineHarness,
    killed,
    launched,
    launches,
    make_plan,
    persisted,
    replies,
    wakes,
)

NO_DELAYS = RetryPolicy(
    max_retries=2, base_delay_seconds=10.0, jitter=False, max_completion_attempts=0
)


def policy(**changes: object) -> JobPolicy:
    """A policy with retries after 10 s, 20 s…, no pacing, and the given changes."""
    return dataclasses.replace(JobPolicy(retry=NO_DELAYS), **changes)  # type: ignore[arg-type]


def notes(h: EngineHarness) -> list[str]:
    return [n.text for c in h.commands if isinstance(c, Persist) for n in c.notes]


def job_record(h: EngineHarness, job: str = "job") -> JobRecord:
    found = [r for c in h.commands if isinstance(c, Persist) for r in c.jobs if r.job_id == job]
    return found[-1]


def reply_of(commands: list[Command]) -> Accepted | Rejected:
    [reply] = replies(commands)
    return reply.result


# ---- limits -----------------------------------------------------------------------------


def test_jobs_beyond_the_job_limit_wait_queued_and_start_in_order() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan(sheets=1), job_id="a")
    assert launched(h.submit(make_plan(sheets=1), job_id="b")) == []
    assert job_record(h, "b").status is JobStatus.QUEUED
    assert launched(h.run_sheet("a", 1)) == [("b", 1)]


def test_a_paused_job_gives_its_job_slot_to_a_queued_one() -> None:
    h = EngineHarness(Limits(max_concurrent_jobs=1))
    h.submit(make_plan(sheets=2), job_id="a")
    h.submit(make_plan(sheets=1), job_id="b")
    h.run_sheet("a", 1)  # a's sheet 2 is running now
    commands = h.pause("a")
    assert launched(commands) == [("b", 1)]
    assert job_record(h, "b").status is JobStatus.RUNNING
    assert h.engine.running_jobs == 1


def test_an_instrument_never_runs_more_than_its_cap() -> None:
    h = EngineHarness(Limits(instrument_caps={"slow": 2}))
    commands = h.submit(make_plan({1: [], 2: [], 3: [], 4: []}, instrument="slow", parallel=4))
    assert launched(commands) == [("job", 1), ("job", 2)]
    assert launched(h.run_sheet("job", 1)) == [("job", 3)]


def test_a_model_with_its_own_cap_is_counted_apart_from_its_instrument() -> None:
    limits = Limits(instrument_caps={"agent": 1}, model_caps={("agent", "big"): 2})
    h = EngineHarness(limits)
    h.submit(make_plan({1: [], 2: [], 3: []}, instrument="agent", model="big", parallel=3))
    assert launched(h.commands) == [("job", 1), ("job", 2)]
    h.submit(make_plan({1: []}, instrument="agent"), job_id="small")
    assert ("small", 1) in launched(h.commands)


def test_a_job_runs_one_sheet_at_a_time_unless_parallel_is_enabled() -> None:
    h = EngineHarness()
    assert launched(h.submit(make_plan({1: [], 2: [], 3: []}))) == [("job", 1)]
    h2 = EngineHarness()
    assert len(launched(h2.submit(make_plan({1: [], 2: [], 3: []}, parallel=2)))) == 2


def test_stagger_spaces_the_starts_of_a_job() -> None:
    plan = make_plan(
        {1: [], 2: [], 3: []},
        policy=policy(
            parallel=ParallelPolicy(enabled=True, max_concurrent=3, stagger_delay_ms=500)
        ),
    )
    h = EngineHarness()
    commands = h.submit(plan)
    assert launched(commands) == [("job", 1)]
    assert wakes(commands) == [h.clock.now() + 0.5]
    assert launched(h.advance(0.4)) == []
    assert launched(h.advance(0.1)) == [("job", 2)]


def test_pacing_waits_between_sheets_once_the_job_is_idle() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, policy=policy(pause_between_sheets_seconds=2.0)))
    assert launched(h.run_sheet("job", 1)) == []
    assert launched(h.advance(1.0)) == []
    assert launched(h.advance(1.0)) == [("job", 2)]


# ---- dependencies and failure ----------------------------------------------------------


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


def test_without_fail_fast_independent_branches_go_on() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: [2]}, parallel=2, fail_fast=False))
    h.exit("job", 1, code=1)
    assert launched(h.run_sheet("job", 2)) == [("job", 3)]


@pytest.mark.parametrize(
    ("dependencies", "failing", "skipped"),
    [
        # 4 is reached from failed 1 twice, through 2 and through 3.
        ({1: [], 2: [1], 3: [1], 4: [2, 3]}, (1,), {2: 1, 3: 1, 4: 1}),
        # 3 was skipped for 1 already when 2 fails: it keeps 1 as its reason.
        ({1: [], 2: [], 3: [1, 2]}, (1, 2), {3: 1}),
    ],
    ids=["diamond-below-one-failure", "fan-in-of-two-failures"],
)
def test_a_sheet_cut_off_along_several_paths_is_skipped_once_and_keeps_the_first_reason(
    dependencies: dict[int, list[int]], failing: tuple[int, ...], skipped: dict[int, int]
) -> None:
    h = EngineHarness()
    h.submit(make_plan(dependencies, parallel=len(failing), fail_fast=False))
    for num in failing:
        h.exit("job", num, code=1)
    last = {s.num: s for c in persisted(h.commands) for s in c.sheets}
    skips = {n: (s.blocked_by, s.error) for n, s in last.items() if s.status is SheetStatus.SKIPPED}
    assert skips == {n: (by, f"not run: sheet {by} failed") for n, by in skipped.items()}
    record = job_record(h)
    assert record.status is JobStatus.FAILED
    assert f"{len(skipped)} sheet(s) not run because a sheet failed" in (record.error or "")


def test_start_sheet_skips_earlier_sheets_on_purpose_and_the_job_can_complete() -> None:
    h = EngineHarness()
    commands = h.submit(make_plan(sheets=3), start_sheet=3)
    assert launched(commands) == [("job", 3)]
    assert h.statuses() == {1: "skipped", 2: "skipped", 3: "running"}
    commands = h.run_sheet("job", 3)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.COMPLETED


def test_a_start_sheet_past_the_end_is_refused() -> None:
    h = EngineHarness()
    result = reply_of(h.submit(make_plan(sheets=2), start_sheet=3))
    assert isinstance(result, Rejected) and "no sheet 3" in result.reason


# ---- retries ----------------------------------------------------------------------------


def test_a_retry_waits_its_backoff_then_runs() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    commands = h.exit("job", 1, code=1)
    assert launched(commands) == [] and wakes(commands) == [h.clock.now() + 10.0]
    assert h.statuses() == {1: "waiting"}
    assert launched(h.advance(9.9)) == []
    assert launched(h.advance(0.1)) == [("job", 1)]
    h.exit("job", 1, code=1)
    assert launched(h.advance(19.9)) == []
    assert launched(h.advance(0.1)) == [("job", 1)]


def test_jittered_delays_are_the_same_for_the_same_attempt() -> None:
    plan = make_plan(sheets=1, policy=policy(retry=RetryPolicy(base_delay_seconds=10.0)))
    due = []
    for _ in range(2):
        h = EngineHarness()
        h.submit(plan)
        due.append(wakes(h.exit("job", 1, code=1)))
    assert due[0] == due[1]
    assert 1_800_000_005.0 <= due[0][0] <= 1_800_000_010.0


def test_partly_passed_validations_lead_to_a_completion_attempt_naming_the_failed_checks() -> None:
    retry = RetryPolicy(
        max_retries=0, max_completion_attempts=1, completion_delay_seconds=5.0, jitter=False
    )
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(retry=retry)))
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])
    assert launched(commands) == []
    [launch] = launches(h.advance(5.0))
    assert launch.completion_of == ("file_exists /workspace/out.txt: file not found",)
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])  # no completion left, no retry left
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED


def test_a_pass_rate_below_the_threshold_is_an_ordinary_failure() -> None:
    retry = RetryPolicy(
        max_retries=0, max_completion_attempts=3, completion_threshold_percent=60, jitter=False
    )
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(retry=retry)))
    h.exit("job", 1)
    commands = h.validated("job", 1, passed=[True, False])
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED


# ---- fallbacks and the circuit breaker --------------------------------------------------


def test_an_auth_failure_moves_the_sheet_to_its_fallback_with_a_fresh_budget() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="gemini", fallbacks=("claude",), policy=policy()))
    commands = h.exit("job", 1, code=1, outcome=AttemptOutcome.AUTH_FAILED)
    [launch] = launches(commands)
    assert (launch.instrument, launch.attempt) == ("claude", 2)
    assert "sheet 1 moves from gemini to claude: authentication failed" in notes(h)
    sheet = persisted(commands)[0].sheets[-1]
    assert (sheet.fallback, sheet.failures) == (1, 0)


def test_an_auth_failure_without_a_fallback_fails_the_sheet_at_once() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    commands = h.exit("job", 1, code=1, outcome=AttemptOutcome.AUTH_FAILED)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED


def test_a_spent_budget_moves_to_the_fallback_and_the_fallback_runs_without_a_model() -> None:
    plan = make_plan(
        sheets=1, instrument="a", model="big", fallbacks=("b",), policy=policy(retry=NO_DELAYS)
    )
    h = EngineHarness()
    h.submit(plan)
    for _ in range(2):
        h.exit("job", 1, code=1)
        h.advance(100)
    [launch] = launches(h.exit("job", 1, code=1))
    assert (launch.instrument, launch.model) == ("b", None)
    assert "the instrument failed after 3 attempts" in notes(h)[-1]


def test_the_breaker_opens_after_repeated_failures_and_sheets_move_to_a_fallback() -> None:
    h = EngineHarness()
    retry = RetryPolicy(max_retries=10, base_delay_seconds=1.0, exponential_base=1.0, jitter=False)
    h.submit(make_plan(sheets=1, instrument="agent", policy=policy(retry=retry)), job_id="a")
    for _ in range(5):
        h.exit("a", 1, code=1, outcome=AttemptOutcome.CAPACITY)
        h.advance(1.0)
    assert any("circuit breaker of agent opened" in n for n in notes(h))
    plan = make_plan(sheets=1, instrument="agent", fallbacks=("other",))
    [launch] = launches(h.submit(plan, job_id="b"))
    assert launch.instrument == "other"
    assert launched(h.advance(1.0)) == []  # a waits for the breaker's recovery time


def test_a_scripts_own_failures_never_open_the_breaker() -> None:
    h = EngineHarness()
    retry = RetryPolicy(max_retries=10, base_delay_seconds=1.0, exponential_base=1.0, jitter=False)
    h.submit(make_plan(sheets=1, policy=policy(retry=retry)))
    for _ in range(8):
        h.exit("job", 1, code=1)
        assert launched(h.advance(1.0)) == [("job", 1)]


# ---- rate limits ------------------------------------------------------------------------


def test_a_rate_limit_spends_no_budget_and_holds_the_instrument_until_its_reset() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, instrument="agent", parallel=2, policy=None))
    reset = h.clock.now() + 120
    commands = h.rate_limited("job", 1, reset_at=reset)
    window = persisted(commands)[0].rate_limits[0]
    assert (window.instrument, window.model, window.until) == ("agent", None, reset)
    sheet = persisted(commands)[0].sheets[-1]
    assert (sheet.status, sheet.failures, sheet.rate_waits) == (SheetStatus.WAITING, 0, 1)
    h.run_sheet("job", 2)
    h.submit(make_plan(sheets=1, instrument="agent"), job_id="other")
    assert launched(h.advance(119)) == []
    assert sorted(launched(h.advance(1))) == [("job", 1), ("other", 1)]
    assert h.engine.rate_limits() == []


def test_a_rate_limit_does_not_hold_other_instruments_or_other_models() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent", model="big"), job_id="a")
    h.rate_limited("a", 1)
    assert launched(h.submit(make_plan(sheets=1, instrument="agent"), job_id="b")) == [("b", 1)]
    assert launched(h.submit(make_plan(sheets=1, instrument="cli"), job_id="c")) == [("c", 1)]
    held = h.submit(make_plan(sheets=1, instrument="agent", model="big"), job_id="d")
    assert launched(held) == []


def test_without_a_reset_time_the_wait_is_the_scores_wait_minutes() -> None:
    h = EngineHarness()
    plan = make_plan(sheets=1, policy=policy(rate_limit=RateLimitPolicy(wait_minutes=5)))
    h.submit(plan)
    commands = h.rate_limited("job", 1)
    assert persisted(commands)[0].rate_limits[0].until == h.clock.now() + 300
    assert any("no reset time given" in n for n in notes(h))


def test_a_sheet_rate_limited_more_than_max_waits_fails() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(rate_limit=RateLimitPolicy(max_waits=2))))
    for _ in range(2):
        h.rate_limited("job", 1, reset_at=h.clock.now() + 10)
        h.advance(10)
    commands = h.rate_limited("job", 1, reset_at=h.clock.now() + 10)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED
    assert "rate limited 3 times (max_waits)" in notes(h)[-1]


def test_a_rate_limited_sheet_with_a_fallback_moves_instead_of_waiting() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent", fallbacks=("other",)))
    [launch] = launches(h.rate_limited("job", 1, reset_at=h.clock.now() + 3600))
    assert launch.instrument == "other"


@pytest.mark.parametrize(
    ("model", "held"),
    [(None, "agent"), ("big", "agent (big)")],
)
def test_a_sheet_with_a_fallback_skips_an_instrument_already_rate_limited(
    model: str | None, held: str
) -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent", model=model), job_id="first")
    h.rate_limited("first", 1, reset_at=h.clock.now() + 3600)
    plan = make_plan(sheets=1, instrument="agent", model=model, fallbacks=("other",))
    [launch] = launches(h.submit(plan, job_id="second"))
    assert (launch.job_id, launch.instrument, launch.model, launch.attempt) == (
        "second",
        "other",
        None,
        1,
    )
    assert notes(h)[-1] == (
        f"sheet 1 moves from agent to other: {held} is rate limited until 2027-01-15 09:00:00 UTC"
    )
    [row] = [s for c in h.commands if isinstance(c, Persist) for s in c.sheets if s.fallback]
    assert (row.job_id, row.num, row.fallback) == ("second", 1, 1)
    assert h.statuses("first") == {1: "waiting"}  # no fallback: it waits out the window


def test_clearing_rate_limits_wakes_the_waiting_sheets() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent"))
    h.rate_limited("job", 1, reset_at=h.clock.now() + 3600)
    commands = h.clear_rate_limits("agent")
    assert launched(commands) == [("job", 1)]
    assert persisted(commands)[0].rate_limits_cleared == (("agent", None),)
    assert reply_of(commands) == Accepted(
        None, "cleared 1 rate limit(s); 1 waiting sheet(s) may run now"
    )


def test_a_window_survives_a_restart() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent"))
    window = persisted(h.rate_limited("job", 1, reset_at=h.clock.now() + 60))[0].rate_limits[0]
    after = EngineHarness(clock=h.clock)
    after.submit(make_plan(sheets=1, instrument="agent"), job_id="b")
    assert launched(after.commands) == [("b", 1)]
    fresh = EngineHarness(clock=h.clock)
    fresh.feed(Recovered((), (window,)))
    assert launched(fresh.submit(make_plan(sheets=1, instrument="agent"), job_id="b")) == []
    assert launched(fresh.advance(60)) == [("b", 1)]


# ---- conditions, costs, timeouts ----------------------------------------------------------


def test_skip_when_skips_on_purpose_and_dependents_go_on() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3, skip_when={2: "sheets[1].completed and job.failed_sheets == 0"}))
    assert launched(h.run_sheet("job", 1)) == [("job", 3)]
    assert h.statuses()[2] == "skipped"
    assert persisted(h.run_sheet("job", 3))[0].jobs[-1].status is JobStatus.COMPLETED


def test_a_skip_when_that_cannot_be_evaluated_runs_the_sheet_and_says_why() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, skip_when={2: "sheets[9].completed"}))
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert any("sheet 2 runs: its skip_when failed" in n for n in notes(h))


def test_skip_when_command_is_asked_before_the_sheet_may_run() -> None:
    h = EngineHarness()
    commands = h.submit(make_plan({1: [], 2: []}, parallel=2, skip_when_command={1: "true"}))
    assert launched(commands) == [("job", 2)]
    assert [c.sheet for c in commands if isinstance(c, RunSkipCheck)] == [1]
    h.skip_checked("job", 1, skip=True)
    assert h.statuses()[1] == "skipped"
    h2 = EngineHarness()
    h2.submit(make_plan(sheets=1, skip_when_command={1: "false"}))
    assert launched(h2.skip_checked("job", 1, skip=False)) == [("job", 1)]


def test_reaching_the_job_cost_limit_pauses_the_job_with_the_reason() -> None:
    h = EngineHarness()
    cost = CostPolicy(max_cost_per_job=1.0, warn_at_percent=50)
    h.submit(make_plan(sheets=3, policy=policy(cost=cost)))
    h.exit("job", 1, cost=0.6)
    assert any("past 50% of the job's limit" in n for n in notes(h))
    h.validated("job", 1)
    h.exit("job", 2, cost=0.5)
    commands = h.validated("job", 2)
    assert launched(commands) == []
    record = job_record(h)
    assert record.status is JobStatus.PAUSED
    assert record.detail == "cost limit reached: $1.10 of $1.00 (cost_limits.max_cost_per_job)"


def test_a_job_running_past_the_conductors_timeout_fails_and_its_attempts_are_stopped() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    commands = h.advance(100)
    assert killed(commands) == [("job", 1)]
    record = job_record(h)
    assert record.status is JobStatus.FAILED
    assert "job_timeout_seconds (100s)" in (record.error or "")
    assert JobEnded(JobId("job")) in commands


# ---- job control ------------------------------------------------------------------------


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


def test_resume_gives_failed_sheets_a_fresh_budget_and_never_reruns_completed_ones() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3))
    h.run_sheet("job", 1)
    commands = h.exit("job", 2, code=1)
    assert persisted(commands)[0].jobs[-1].status is JobStatus.FAILED
    stored = RecoveredJob(
        job_record(h),
        make_plan(sheets=3),
        (
            SheetRecord(JobId("job"), 1, SheetStatus.COMPLETED, 1.0, attempts=1),  # type: ignore[arg-type]
            SheetRecord(JobId("job"), 2, SheetStatus.FAILED, 1.0, attempts=1, failures=1),  # type: ignore[arg-type]
            SheetRecord(JobId("job"), 3, SheetStatus.SKIPPED, 1.0, blocked_by=2),  # type: ignore[arg-type]
        ),
    )
    commands = h.resume(stored=stored)
    [launch] = launches(commands)
    assert (launch.sheet, launch.attempt) == (2, 2)
    assert h.statuses() == {1: "completed", 2: "running", 3: "pending"}


def test_a_completed_job_cannot_be_resumed() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.run_sheet("job", 1)
    stored = RecoveredJob(job_record(h), make_plan(sheets=1), ())
    result = reply_of(h.resume(stored=stored))
    assert isinstance(result, Rejected) and "completed" in result.reason
    result = reply_of(h.modify(make_plan(sheets=2), stored=stored))
    assert isinstance(result, Rejected) and "only a paused, failed or cancelled" in result.reason


def test_cancel_stops_everything_and_nothing_revives_the_job() -> None:
    h = EngineHarness()
    two_at_once = ParallelPolicy(enabled=True, max_concurrent=2, fail_fast=False)
    h.submit(make_plan({1: [], 2: []}, policy=policy(parallel=two_at_once)))
    h.exit("job", 2, code=1)  # waiting for a retry in 10 s
    commands = h.cancel()
    assert killed(commands) == [("job", 1)]
    assert job_record(h).status is JobStatus.CANCELLED
    assert launched(h.advance(3600)) == []
    assert h.engine.in_flight == 1  # until the killed process has gone
    h.exit("job", 1, signal=15)
    assert h.engine.in_flight == 0


def test_modify_waits_for_attempts_in_flight_then_runs_the_new_score() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    h.run_sheet("job", 1)  # sheet 2 is running
    commands = h.modify(make_plan(sheets=3))
    assert launched(commands) == []
    assert job_record(h).status is JobStatus.PAUSED
    assert [s.plan.total_sheets for c in commands if isinstance(c, Persist) for s in c.specs] == [3]
    commands = h.run_sheet("job", 2)  # finishes under the old score
    assert [c.job_id for c in commands if isinstance(c, SwapScore)] == ["job"]
    assert launched(commands) == [("job", 3)]
    assert h.statuses() == {1: "completed", 2: "completed", 3: "running"}
    assert any("now runs its new score: 2 → 3 sheets, 2 already done kept" in n for n in notes(h))


def test_a_paused_job_stays_paused_across_a_restart() -> None:
    record = JobRecord(
        JobId("job"),
        "plan",
        "/s/job.yaml",
        "/w",
        JobStatus.PAUSED,
        1.0,
        1,
        detail="paused by the user",
    )
    h = EngineHarness()
    commands = h.feed(Recovered((RecoveredJob(record, make_plan(sheets=1), ()),)))
    assert launched(commands) == []
    view = h.engine.view(JobId("job"))
    assert view is not None and view.status is JobStatus.PAUSED


# ---- hooks --------------------------------------------------------------------------------

CHAIN = Hook(type="run_job", job_path="/s/next.yaml")


def hooks_plan(*hooks: Hook, depth: int = 5) -> JobPlan:
    return make_plan(
        sheets=1, policy=policy(hooks=hooks, concert=ConcertPolicy(max_chain_depth=depth))
    )


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


@pytest.mark.parametrize("verb", ["pause", "cancel"])
def test_control_of_an_unknown_job_is_refused(verb: str) -> None:
    h = EngineHarness()
    result = reply_of(getattr(h, verb)("nobody"))
    assert isinstance(result, Rejected) and "not active" in result.reason


# ---- edges ------------------------------------------------------------------------------


def test_results_of_attempts_that_are_no_longer_current_change_nothing() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, max_retries=1))
    assert h.validated("job", 1, attempt=1) == []  # it is running, not validating
    h.exit("job", 1, code=1)
    h.exit("job", 1)  # attempt 2 exits: validating
    assert h.not_launched("job", 1) == []  # not running any more
    assert h.skip_checked("job", 1, skip=True) == []  # nothing asked


def test_a_job_id_already_active_is_a_bug_not_a_second_job() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="a", score_path="/s/one.yaml")
    with pytest.raises(ValueError, match="already active"):
        h.submit(make_plan(sheets=1), job_id="a", score_path="/s/two.yaml")


def test_a_window_that_ended_while_the_conductor_was_down_is_cleared() -> None:
    from podium.domain.records import RateLimitRecord

    h = EngineHarness()
    old = RateLimitRecord("agent", None, h.clock.now() - 1, "429")
    commands = h.feed(Recovered((), (old,)))
    assert persisted(commands)[0].rate_limits_cleared == (("agent", None),)
    assert h.engine.rate_limits() == []


def test_a_shorter_window_does_not_shorten_a_longer_one() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, instrument="agent", parallel=2))
    h.rate_limited("job", 1, reset_at=h.clock.now() + 600)
    h.rate_limited("job", 2, reset_at=h.clock.now() + 60)
    [window] = h.engine.rate_limits()
    assert window.until == h.clock.now() + 600


def test_a_recovered_job_that_cannot_run_is_cancelled_when_it_was_paused() -> None:
    record = JobRecord(JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.PAUSED, 1.0, 1)
    h = EngineHarness()
    commands = h.feed(
        Recovered((RecoveredJob(record, make_plan(sheets=1), (), problem="bad score"),))
    )
    assert persisted(commands)[0].jobs[-1].status is JobStatus.CANCELLED
    queued = dataclasses.replace(record, status=JobStatus.QUEUED)
    h.feed(Recovered((RecoveredJob(queued, make_plan(sheets=1), (), problem="bad score"),)))
    assert job_record(h).status is JobStatus.FAILED


def test_sheet_records_of_a_score_before_a_modify_are_left_out() -> None:
    record = JobRecord(JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.RUNNING, 1.0, 1)
    gone = SheetRecord(JobId("job"), 7, SheetStatus.COMPLETED, 1.0)  # type: ignore[arg-type]
    h = EngineHarness()
    h.feed(Recovered((RecoveredJob(record, make_plan(sheets=1), (gone,)),)))
    assert h.statuses() == {1: "running"}


@pytest.mark.parametrize(
    "second",
    [
        SheetRecord(JobId("job"), 2, SheetStatus.READY, 1.0),  # type: ignore[arg-type]
        SheetRecord(
            JobId("job"),
            2,  # type: ignore[arg-type]
            SheetStatus.WAITING,
            1.0,
            attempts=1,
            failures=1,
            error="exit code 1",
            due=1_800_000_010.0,
            wait="retry",
        ),
    ],
    ids=["ready", "waiting"],
)
def test_after_a_restart_a_modify_that_had_not_taken_effect_holds_back_sheets_it_made_dependent(
    second: SheetRecord,
) -> None:
    """Sheets 1 and 2 ran side by side; the modify waiting for sheet 1 makes 2 depend on 1.
    The store holds the new plan with the sheets as the old one left them."""
    record = JobRecord(
        JobId("job"),
        "plan",
        "/s/job.yaml",
        "/w",
        JobStatus.PAUSED,
        1.0,
        2,
        started_at=1.0,
        detail="modified: waits for 1 attempt(s) in flight to end",
        resume_when_idle=True,
    )
    first = SheetRecord(JobId("job"), 1, SheetStatus.RUNNING, 1.0, attempts=1)  # type: ignore[arg-type]
    running = AttemptRecord(JobId("job"), 1, 1, 1.0, AttemptOutcome.RUNNING)  # type: ignore[arg-type]
    new_plan = make_plan({1: [], 2: [1]}, parallel=2)
    h = EngineHarness()
    commands = h.feed(Recovered((RecoveredJob(record, new_plan, (first, second), (running,)),)))
    assert launched(commands) == [("job", 1)]  # interrupted, it runs again; 2 waits for it
    ended = [(a.sheet, a.attempt, a.outcome) for c in persisted(commands) for a in c.attempts]
    assert ended[0] == (1, 1, AttemptOutcome.INTERRUPTED)
    assert h.statuses() == {1: "running", 2: "pending"}
    rows = [s for c in persisted(commands) for s in c.sheets if s.num == 2]
    assert [(s.status, s.due, s.wait) for s in rows][-1] == (SheetStatus.PENDING, None, None)
    assert job_record(h).status is JobStatus.RUNNING
    assert launched(h.advance(10)) == []  # a retry alarm of the old score wakes nothing
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert h.current_attempt("job", 2) == second.attempts + 1


def test_a_validation_going_on_after_a_restart_holds_the_instrument_it_ran_on() -> None:
    """A modify moved the sheet from `old` to `new` while its attempt was being validated."""
    record = JobRecord(
        JobId("job"), "plan", "/s/job.yaml", "/w", JobStatus.RUNNING, 1.0, 1, started_at=1.0
    )
    sheet = SheetRecord(JobId("job"), 1, SheetStatus.VALIDATING, 1.0, attempts=1)  # type: ignore[arg-type]
    attempt = AttemptRecord(
        JobId("job"),
        1,  # type: ignore[arg-type]
        1,
        1.0,
        AttemptOutcome.VALIDATING,
        exit_code=0,
        instrument="old",
    )
    h = EngineHarness(Limits(instrument_caps={"old": 1, "new": 1}))
    h.feed(
        Recovered(
            (RecoveredJob(record, make_plan(sheets=1, instrument="new"), (sheet,), (attempt,)),)
        )
    )
    assert launched(h.submit(make_plan(sheets=1, instrument="new"), job_id="on-new")) == [
        ("on-new", 1)
    ]
    assert launched(h.submit(make_plan(sheets=1, instrument="old"), job_id="on-old")) == []
    assert launched(h.validated("job", 1, attempt=1)) == [("on-old", 1)]
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_job_queued_when_the_conductor_stopped_starts_once_a_job_slot_is_free() -> None:
    def queued(job_id: str, submitted: float) -> RecoveredJob:
        record = JobRecord(
            JobId(job_id), "plan", f"/s/{job_id}.yaml", "/w", JobStatus.QUEUED, submitted, 1
        )
        return RecoveredJob(record, make_plan(sheets=1), ())

    h = EngineHarness(Limits(max_concurrent_jobs=1))
    commands = h.feed(Recovered((queued("a", 1.0), queued("b", 2.0))))
    assert launched(commands) == [("a", 1)]
    assert (job_record(h, "a").status, job_record(h, "b").status) == (
        JobStatus.RUNNING,
        JobStatus.QUEUED,
    )
    assert launched(h.run_sheet("a", 1)) == [("b", 1)]
    assert job_record(h, "b").status is JobStatus.RUNNING


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
    stored = RecoveredJob(job_record(h, "a"), make_plan(sheets=1), ())
    result = reply_of(h.resume("a", stored=stored))
    assert isinstance(result, Rejected) and "job 'c' is already running /s/a.yaml" in result.reason
    result = reply_of(h.resume("gone"))
    assert isinstance(result, Rejected) and result.code == "not_found"


def test_a_running_job_cannot_be_resumed() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    result = reply_of(h.resume())
    assert isinstance(result, Rejected) and "is running" in result.reason


def test_a_resume_over_the_cost_limit_pauses_again_and_says_why() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, policy=policy(cost=CostPolicy(max_cost_per_job=1.0))))
    h.exit("job", 1, cost=2.0)
    h.validated("job", 1)
    result = reply_of(h.resume())
    assert isinstance(result, Accepted)
    assert result.message == (
        "resumed, but it is paused again: cost limit reached: $2.00 of $1.00 "
        "(cost_limits.max_cost_per_job)"
    )


def test_reaching_a_sheets_cost_limit_pauses_the_job() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, policy=policy(cost=CostPolicy(max_cost_per_sheet=0.5))))
    h.exit("job", 1, code=1, cost=0.7)
    record = job_record(h)
    assert record.status is JobStatus.PAUSED
    assert record.detail == (
        "cost limit reached: sheet 1 cost $0.70 of $0.50 (cost_limits.max_cost_per_sheet)"
    )


def test_the_job_timeout_counts_from_the_latest_resume() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.advance(50)
    h.pause()
    h.run_sheet("job", 1)
    h.advance(200)
    h.resume()
    assert job_record(h).status is JobStatus.RUNNING
    h.advance(60)  # 310 s after submission, 60 s after the resume: the first alarm re-arms
    assert job_record(h).status is JobStatus.RUNNING
    h.advance(40)
    assert job_record(h).status is JobStatus.FAILED


def test_validations_of_a_cancelled_job_free_their_slot_when_they_end() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.exit("job", 1)  # validating
    h.cancel()
    assert h.engine.in_flight == 1
    h.validated("job", 1, attempt=1)
    assert h.engine.in_flight == 0


def test_the_job_timeout_does_not_fire_while_the_job_is_paused() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.pause()
    h.run_sheet("job", 1)
    h.advance(150)
    assert job_record(h).status is JobStatus.PAUSED


def test_an_alarm_of_an_earlier_run_does_not_time_out_a_resumed_job() -> None:
    h = EngineHarness(Limits(job_timeout_seconds=100))
    h.submit(make_plan(sheets=2))
    h.advance(50)
    h.pause()
    h.resume()  # the run restarts its clock at 50 s
    h.advance(60)  # the first run's alarm at 100 s rings
    assert job_record(h).status is JobStatus.RUNNING
    h.advance(40)
    assert job_record(h).status is JobStatus.FAILED


def test_the_view_of_a_job_names_it() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), job_id="named")
    view = h.engine.view(JobId("named"))
    assert view is not None and view.job_id == "named"


def test_a_failure_summary_without_a_failed_sheet_still_says_the_job_did_not_complete() -> None:
    from podium.domain.live import LiveJob, LiveSheet

    plan = make_plan(sheets=1)
    sheet = LiveSheet(plan.sheets[0], SheetStatus.CANCELLED, 1.0, unmet=0)
    job = LiveJob(
        1, JobId("j"), plan, "/s", "/w", 1.0, JobStatus.RUNNING, {sheet.plan.num: sheet}, {}
    )
    assert job.failure_summary() == "the job ended with sheets that did not complete"


def test_resume_without_a_new_score_goes_on_at_once_even_with_attempts_in_flight() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, parallel=2))
    h.pause()
    result = reply_of(h.resume())
    assert result == Accepted(JobId("job"), "resumed")
    assert job_record(h).status is JobStatus.RUNNING


def test_resume_during_a_modify_still_waits_for_the_attempts_in_flight() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2))
    h.modify(make_plan(sheets=3))
    result = reply_of(h.resume())
    assert isinstance(result, Accepted) and "once its 1 attempt(s) in flight" in result.message
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert len(h.statuses()) == 3


def test_resume_with_a_changed_score_waits_for_the_attempts_in_flight_then_runs_it() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2), score_path="/s/old.yaml")
    h.pause()  # sheet 1 goes on running
    commands = h.resume(plan=make_plan(sheets=3), score_path="/s/new.yaml")
    assert reply_of(commands) == Accepted(
        JobId("job"), "resumed; it goes on once its 1 attempt(s) in flight have ended"
    )
    assert launched(commands) == []
    assert [s.plan.total_sheets for c in commands if isinstance(c, Persist) for s in c.specs] == [3]
    record = job_record(h)
    assert (record.status, record.score_path, record.resume_when_idle) == (
        JobStatus.PAUSED,
        "/s/new.yaml",
        True,
    )
    assert record.detail == "resumed: waits for 1 attempt(s) in flight to end"
    commands = h.run_sheet("job", 1)  # finishes under the old score
    assert [c.job_id for c in commands if isinstance(c, SwapScore)] == ["job"]
    assert launched(commands) == [("job", 2)]
    assert h.statuses() == {1: "completed", 2: "running", 3: "pending"}
    assert job_record(h).status is JobStatus.RUNNING
    assert any("now runs its new score: 2 → 3 sheets, 1 already done kept" in n for n in notes(h))


@pytest.mark.parametrize(
    ("rate_limited", "at_once", "now"),
    [(False, [("job", 1)], SheetStatus.RUNNING), (True, [], SheetStatus.READY)],
    ids=["retry-backoff", "rate-limit"],
)
def test_resume_makes_a_waiting_sheet_ready_with_a_fresh_budget(
    rate_limited: bool, at_once: list[tuple[str, int]], now: SheetStatus
) -> None:
    """A retry's backoff is not waited out again; a rate limit's window still holds the
    sheet back, and it runs when the window ends."""
    h = EngineHarness()
    h.submit(make_plan(sheets=1, instrument="agent", policy=policy()))
    if rate_limited:
        h.rate_limited("job", 1, reset_at=h.clock.now() + 600)
    else:
        h.exit("job", 1, code=1)  # its retry is due in 10 s
    assert h.statuses() == {1: "waiting"}
    h.pause()
    commands = h.resume()
    assert launched(commands) == at_once
    rows = [s for c in persisted(commands) for s in c.sheets]
    assert [(s.num, s.status, s.failures, s.rate_waits, s.due, s.wait) for s in rows] == [
        (1, now, 0, 0, None, None)
    ]
    if rate_limited:
        assert h.statuses() == {1: "ready"}
        assert launched(h.advance(599)) == []
        assert launched(h.advance(1)) == [("job", 1)]
    assert h.current_attempt("job", 1) == 2


# ---- found in review ----------------------------------------------------------------------


def test_a_modify_takes_its_new_path_at_once_and_holds_the_old_one_until_it_switches() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), score_path="/s/old.yaml")
    h.modify(make_plan(sheets=2), score_path="/s/new.yaml")
    assert job_record(h).score_path == "/s/new.yaml"  # a restart now keeps the new path
    for path in ("/s/new.yaml", "/s/old.yaml"):
        result = reply_of(h.submit(make_plan(sheets=1), job_id="other", score_path=path))
        assert isinstance(result, Rejected) and result.code == "already_running"
    h.run_sheet("job", 1)  # the switch: the old path is free again
    result = reply_of(h.submit(make_plan(sheets=1), job_id="other", score_path="/s/old.yaml"))
    assert isinstance(result, Accepted)


def test_an_answer_to_a_skip_check_of_the_score_before_a_modify_is_ignored() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, parallel=2, skip_when_command={2: "old"}))
    [old] = [c for c in h.commands if isinstance(c, RunSkipCheck)]
    h.modify(make_plan({1: [], 2: []}, parallel=2, skip_when_command={2: "new"}))
    h.run_sheet("job", 1)  # the switch asks again
    assert h.feed(SkipChecked(JobId("job"), old.sheet, old.check, True, "exited 0")) == []
    assert h.statuses()[2] == "ready"


def test_a_job_whose_last_sheet_crosses_the_cost_limit_still_completes() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy(cost=CostPolicy(max_cost_per_job=1.0))))
    h.exit("job", 1, cost=2.0)
    assert job_record(h).status is JobStatus.PAUSED
    h.validated("job", 1)
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_resume_does_not_drop_a_modify_that_waits() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1))
    h.modify(make_plan(sheets=3))
    h.resume(plan=make_plan(sheets=1))  # the service reloads the old file
    h.run_sheet("job", 1)
    assert len(h.statuses()) == 3


def test_fail_fast_holds_after_a_restart() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: [], 3: []}, parallel=2))
    h.exit("job", 1, code=1)
    record = job_record(h)
    sheets = (
        SheetRecord(JobId("job"), 1, SheetStatus.FAILED, 1.0, attempts=1),  # type: ignore[arg-type]
        SheetRecord(JobId("job"), 2, SheetStatus.COMPLETED, 1.0, attempts=1),  # type: ignore[arg-type]
        SheetRecord(JobId("job"), 3, SheetStatus.READY, 1.0),  # type: ignore[arg-type]
    )
    after = EngineHarness(clock=h.clock)
    commands = after.feed(
        Recovered((RecoveredJob(record, make_plan({1: [], 2: [], 3: []}, parallel=2), sheets),))
    )
    assert launched(commands) == []
    assert job_record(after).status is JobStatus.FAILED


def test_hooks_still_run_when_the_last_sheet_completed_during_a_pause() -> None:
    h = EngineHarness()
    h.submit(hooks_plan(CHAIN))
    h.pause()
    commands = h.run_sheet("job", 1)
    assert RunHook(JobId("job"), 1, CHAIN, 1) in commands
    h.hook_finished(chained_job="next")
    assert job_record(h).status is JobStatus.COMPLETED


def test_a_skip_when_that_raises_anything_runs_the_sheet() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=2, skip_when={2: "int(1e999) > 0"}))
    assert launched(h.run_sheet("job", 1)) == [("job", 2)]
    assert any("OverflowError" in n for n in notes(h))


def test_a_second_modify_frees_the_path_the_first_one_took() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1), score_path="/s/a.yaml")
    h.modify(make_plan(sheets=2), score_path="/s/b.yaml")
    h.modify(make_plan(sheets=2), score_path="/s/c.yaml")
    result = reply_of(h.submit(make_plan(sheets=1), job_id="other", score_path="/s/b.yaml"))
    assert isinstance(result, Accepted)


def test_skip_when_can_look_over_every_sheet() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=3, skip_when={3: "max(sheets) == 3 and len(sheets) == 3"}))
    h.run_sheet("job", 1)
    commands = h.run_sheet("job", 2)
    assert [s.status for s in persisted(commands)[0].sheets if s.num == 3] == [SheetStatus.SKIPPED]
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


def test_a_submission_may_carry_the_first_line_of_its_history() -> None:
    from podium.domain.events import JobSubmitted

    h = EngineHarness()
    event = JobSubmitted(1, JobId("job"), make_plan(sheets=1), "/s/a.yaml", "/w", "", note="hi")
    h.feed(event)
    assert notes(h) == ["hi"]
    assert h.engine.job_running("/s/a.yaml") == "job"
    assert h.engine.job_running("/s/b.yaml") is None


def attempt_rows(commands: list[Command]) -> list[AttemptRecord]:
    return [a for p in persisted(commands) for a in p.attempts]


def test_an_attempts_usage_and_error_code_are_recorded_through_its_validations() -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    exited = attempt_rows(h.exit("job", 1, cost=0.25))
    assert [(a.outcome, a.cost) for a in exited] == [(AttemptOutcome.VALIDATING, 0.25)]
    failed = attempt_rows(h.validated("job", 1, passed=(False,)))[-1]
    assert (failed.outcome, failed.cost, failed.error_code) == (
        AttemptOutcome.VALIDATION_FAILED,
        0.25,
        "E201",
    )


@pytest.mark.parametrize(
    ("outcome", "quota", "code"),
    [
        (AttemptOutcome.RATE_LIMITED, False, "E102"),
        (AttemptOutcome.RATE_LIMITED, True, "E104"),
        (AttemptOutcome.AUTH_FAILED, False, "E502"),
        (AttemptOutcome.CAPACITY, False, "E103"),
        (AttemptOutcome.FAILED, False, "E009"),
    ],
)
def test_each_way_an_attempt_fails_has_its_error_code(
    outcome: AttemptOutcome, quota: bool, code: str
) -> None:
    h = EngineHarness()
    h.submit(make_plan(sheets=1, policy=policy()))
    rows = attempt_rows(h.exit("job", 1, code=1, outcome=outcome, quota=quota))
    assert [a.error_code for a in rows if a.outcome is outcome] == [code]
