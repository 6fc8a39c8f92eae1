"""Rate-limit windows (shared, lengthened, cleared, kept across a restart) and circuit
breakers."""

import pytest

from podium.domain.commands import Accepted, Persist
from podium.domain.events import Restarted
from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import RateLimitPolicy, RetryPolicy
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, launched, launches, make_plan, persisted
from tests.unit.domain.engine.helpers import job_record, notes, policy, reply_of

RATE_LIMITED = AttemptOutcome.RATE_LIMITED


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
    fresh.feed(Restarted((), (window,)))
    assert launched(fresh.submit(make_plan(sheets=1, instrument="agent"), job_id="b")) == []
    assert launched(fresh.advance(60)) == [("b", 1)]


def test_a_window_that_ended_while_the_conductor_was_down_is_cleared() -> None:
    from podium.domain.records import RateLimitRecord

    h = EngineHarness()
    old = RateLimitRecord("agent", None, h.clock.now() - 1, "429")
    commands = h.feed(Restarted((), (old,)))
    assert persisted(commands)[0].rate_limits_cleared == (("agent", None),)
    assert h.engine.rate_limits() == []


def test_a_shorter_window_does_not_shorten_a_longer_one() -> None:
    h = EngineHarness()
    h.submit(make_plan({1: [], 2: []}, instrument="agent", parallel=2))
    h.rate_limited("job", 1, reset_at=h.clock.now() + 600)
    h.rate_limited("job", 2, reset_at=h.clock.now() + 60)
    [window] = h.engine.rate_limits()
    assert window.until == h.clock.now() + 600


def test_a_spent_quota_waits_like_a_rate_limit_but_counts_against_max_quota_waits() -> None:
    h = EngineHarness()
    limits = RateLimitPolicy(wait_minutes=1, max_waits=5, max_quota_waits=1)
    h.submit(make_plan(sheets=1, instrument="agent", policy=policy(rate_limit=limits)))
    commands = h.exit("job", 1, 1, tail="usage quota spent", outcome=RATE_LIMITED, quota=True)
    sheet = persisted(commands)[0].sheets[-1]
    assert (sheet.status, sheet.rate_waits, sheet.quota_waits) == (SheetStatus.WAITING, 0, 1)
    assert launched(h.advance(60)) == [("job", 1)]
    h.rate_limited("job", 1)  # a plain rate limit: max_waits' count, not max_quota_waits'
    assert launched(h.advance(60)) == [("job", 1)]
    commands = h.exit("job", 1, 1, tail="usage quota spent", outcome=RATE_LIMITED, quota=True)
    sheet = persisted(commands)[0].sheets[-1]
    assert (sheet.status, sheet.rate_waits, sheet.quota_waits) == (SheetStatus.FAILED, 1, 2)
    assert "sheet 1 failed: quota spent 2 times (max_quota_waits)" in notes(h)
    assert job_record(h).status is JobStatus.FAILED
