"""What a sheet does after an attempt that did not succeed, and how long a retry waits."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.decide import (
    Action,
    Budget,
    Decision,
    Ended,
    decide,
    rate_limit_end,
)
from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import RateLimitPolicy, RetryPolicy

AT = 1000.0
RETRY = RetryPolicy(
    max_retries=2,
    base_delay_seconds=10.0,
    max_delay_seconds=3600.0,
    exponential_base=2.0,
    jitter=False,
    max_completion_attempts=2,
    completion_delay_seconds=5.0,
    completion_threshold_percent=50.0,
)
RATE_LIMIT = RateLimitPolicy(wait_minutes=60, max_waits=3, max_quota_waits=2)


def after(
    outcome: AttemptOutcome,
    budget: Budget | None = None,
    *,
    has_fallback: bool = False,
    pass_rate: float = 0.0,
    reset_at: float | None = None,
    retry: RetryPolicy = RETRY,
    rate_limit: RateLimitPolicy = RATE_LIMIT,
    quota: bool = False,
) -> Decision:
    """The decision after an attempt that ended at AT with `outcome`."""
    ended = Ended(outcome, AT, "job/1/1", pass_rate=pass_rate, reset_at=reset_at, quota=quota)
    return decide(
        ended, budget or Budget(), has_fallback=has_fallback, retry=retry, rate_limit=rate_limit
    )


# --- rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "reset_at", "expected"),
    [
        pytest.param(Budget(), None, Decision(Action.WAIT_RATE_LIMIT, Budget(rate_waits=1), at=AT + 3600), id="wait_minutes"),
        pytest.param(Budget(), AT + 600, Decision(Action.WAIT_RATE_LIMIT, Budget(rate_waits=1), at=AT + 600), id="reset_at"),
        pytest.param(Budget(failures=2, completions=1, rate_waits=1), None, Decision(Action.WAIT_RATE_LIMIT, Budget(failures=2, completions=1, rate_waits=2), at=AT + 3600), id="failures untouched"),
        pytest.param(Budget(rate_waits=2), None, Decision(Action.WAIT_RATE_LIMIT, Budget(rate_waits=3), at=AT + 3600), id="max_waits-th wait"),
        pytest.param(Budget(rate_waits=3), None, Decision(Action.FAIL, Budget(rate_waits=4), reason="rate limited 4 times (max_waits)"), id="one wait too many"),
    ],
)  # fmt: skip
def test_a_rate_limit_waits_for_its_window_without_spending_retries(
    budget: Budget, reset_at: float | None, expected: Decision
) -> None:
    assert after(AttemptOutcome.RATE_LIMITED, budget, reset_at=reset_at) == expected


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        pytest.param(Budget(failures=1, rate_waits=1), Decision(Action.FALL_BACK, Budget(), reason="rate limited"), id="at once"),
        pytest.param(Budget(rate_waits=3), Decision(Action.FALL_BACK, Budget(), reason="rate limited 4 times (max_waits)"), id="past max_waits"),
    ],
)  # fmt: skip
def test_a_rate_limited_sheet_with_a_fallback_falls_back_with_a_fresh_budget(
    budget: Budget, expected: Decision
) -> None:
    assert (
        after(AttemptOutcome.RATE_LIMITED, budget, has_fallback=True, reset_at=AT + 600) == expected
    )


@pytest.mark.parametrize(
    ("budget", "has_fallback", "expected"),
    [
        pytest.param(Budget(), False, Decision(Action.WAIT_RATE_LIMIT, Budget(quota_waits=1), at=AT + 3600), id="first wait"),
        pytest.param(Budget(rate_waits=3, failures=1), False, Decision(Action.WAIT_RATE_LIMIT, Budget(failures=1, rate_waits=3, quota_waits=1), at=AT + 3600), id="rate waits apart"),
        pytest.param(Budget(quota_waits=1), False, Decision(Action.WAIT_RATE_LIMIT, Budget(quota_waits=2), at=AT + 3600), id="max_quota_waits-th wait"),
        pytest.param(Budget(quota_waits=2), False, Decision(Action.FAIL, Budget(quota_waits=3), reason="quota spent 3 times (max_quota_waits)"), id="one wait too many"),
        pytest.param(Budget(), True, Decision(Action.FALL_BACK, Budget(), reason="quota spent"), id="fallback at once"),
        pytest.param(Budget(quota_waits=2), True, Decision(Action.FALL_BACK, Budget(), reason="quota spent 3 times (max_quota_waits)"), id="fallback past the limit"),
    ],
)  # fmt: skip
def test_a_spent_quota_is_waited_out_and_counted_apart_against_max_quota_waits(
    budget: Budget, has_fallback: bool, expected: Decision
) -> None:
    decision = after(AttemptOutcome.RATE_LIMITED, budget, has_fallback=has_fallback, quota=True)
    assert decision == expected


def test_a_rate_limit_after_quota_waits_counts_against_max_waits_only() -> None:
    decision = after(AttemptOutcome.RATE_LIMITED, Budget(quota_waits=2, rate_waits=2))
    assert decision == Decision(
        Action.WAIT_RATE_LIMIT, Budget(quota_waits=2, rate_waits=3), at=AT + 3600
    )


@pytest.mark.parametrize(
    ("wait_minutes", "reset_at", "end"),
    [
        pytest.param(60, None, AT + 3600, id="wait_minutes"),
        pytest.param(60, AT + 120, AT + 120, id="reset_at wins"),
        pytest.param(60, AT - 100, AT + 5.0, id="reset in the past"),
        pytest.param(60, AT + 1, AT + 5.0, id="reset too soon"),
        pytest.param(60, AT + 3 * 86400, AT + 86400.0, id="reset days away"),
        pytest.param(0, None, AT + 5.0, id="no wait_minutes"),
        pytest.param(2000, None, AT + 86400.0, id="wait_minutes past a day"),
    ],
)
def test_a_rate_limit_window_is_clamped_between_the_shortest_and_longest_wait(
    wait_minutes: int, reset_at: float | None, end: float
) -> None:
    ended = Ended(AttemptOutcome.RATE_LIMITED, AT, "job/1/1", reset_at=reset_at)
    assert rate_limit_end(ended, RateLimitPolicy(wait_minutes=wait_minutes)) == end


# --- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("has_fallback", "expected"),
    [
        (True, Decision(Action.FALL_BACK, Budget(), reason="authentication failed")),
        (False, Decision(Action.FAIL, Budget(completions=1), reason="authentication failed")),
    ],
)
def test_an_authentication_failure_is_never_retried(has_fallback: bool, expected: Decision) -> None:
    assert (
        after(AttemptOutcome.AUTH_FAILED, Budget(completions=1), has_fallback=has_fallback)
        == expected
    )


@pytest.mark.parametrize(
    ("has_fallback", "expected"),
    [
        (True, Decision(Action.FALL_BACK, Budget(), reason="could not start")),
        (False, Decision(Action.FAIL, Budget(failures=1), reason="could not start")),
    ],
)
def test_an_attempt_that_could_be_placed_nowhere_is_never_retried(
    has_fallback: bool, expected: Decision
) -> None:
    ended = Ended(AttemptOutcome.LAUNCH_FAILED, AT, "job/1/1", final=True)
    decision = decide(
        ended, Budget(failures=1), has_fallback=has_fallback, retry=RETRY, rate_limit=RATE_LIMIT
    )
    assert decision == expected
    assert after(AttemptOutcome.LAUNCH_FAILED).action is Action.RETRY  # one that may start later


# --- completion attempts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pass_rate", "budget", "expected"),
    [
        pytest.param(0.5, Budget(), Decision(Action.COMPLETE, Budget(completions=1), at=AT + 5), id="at threshold"),
        pytest.param(0.9, Budget(failures=2, completions=1), Decision(Action.COMPLETE, Budget(failures=2, completions=2), at=AT + 5), id="last completion, no retries left"),
        pytest.param(0.49, Budget(), Decision(Action.RETRY, Budget(failures=1), at=AT + 10), id="below threshold"),
        pytest.param(0.9, Budget(completions=2), Decision(Action.RETRY, Budget(failures=1, completions=2), at=AT + 10), id="completions used up"),
        pytest.param(0.9, Budget(failures=2, completions=2), Decision(Action.FAIL, Budget(failures=3, completions=2), reason="validations failed after 3 attempts"), id="all used up"),
    ],
)  # fmt: skip
def test_validations_that_passed_in_part_lead_to_a_completion_attempt_while_any_are_left(
    pass_rate: float, budget: Budget, expected: Decision
) -> None:
    assert after(AttemptOutcome.VALIDATION_FAILED, budget, pass_rate=pass_rate) == expected


@pytest.mark.parametrize(
    "outcome", [AttemptOutcome.FAILED, AttemptOutcome.CRASHED, AttemptOutcome.TIMED_OUT]
)
def test_only_failed_validations_lead_to_a_completion_attempt(outcome: AttemptOutcome) -> None:
    assert after(outcome, pass_rate=1.0).action is Action.RETRY


# --- retries and running out of them -------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        pytest.param(Budget(), Decision(Action.RETRY, Budget(failures=1), at=AT + 10), id="first retry"),
        pytest.param(Budget(failures=1, rate_waits=2), Decision(Action.RETRY, Budget(failures=2, rate_waits=2), at=AT + 20), id="second retry"),
        pytest.param(Budget(failures=2), Decision(Action.FAIL, Budget(failures=3), reason="the instrument failed after 3 attempts"), id="exhausted"),
    ],
)  # fmt: skip
def test_a_failure_spends_one_retry_after_a_growing_delay(
    budget: Budget, expected: Decision
) -> None:
    assert after(AttemptOutcome.FAILED, budget) == expected


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (AttemptOutcome.VALIDATION_FAILED, "validations failed after 3 attempts"),
        (AttemptOutcome.FAILED, "the instrument failed after 3 attempts"),
        (AttemptOutcome.TIMED_OUT, "timed out after 3 attempts"),
        (AttemptOutcome.CRASHED, "crashed after 3 attempts"),
        (AttemptOutcome.STALE, "went silent after 3 attempts"),
        (AttemptOutcome.CAPACITY, "the instrument was overloaded after 3 attempts"),
        (AttemptOutcome.LAUNCH_FAILED, "could not start after 3 attempts"),
        (AttemptOutcome.INTERRUPTED, "interrupted after 3 attempts"),
    ],
)
def test_out_of_retries_a_sheet_falls_back_with_a_fresh_budget_saying_why(
    outcome: AttemptOutcome, reason: str
) -> None:
    spent = Budget(failures=2, completions=2, rate_waits=1)
    assert after(outcome, spent, has_fallback=True) == Decision(
        Action.FALL_BACK, Budget(), reason=reason
    )
    assert after(outcome, spent) == Decision(
        Action.FAIL, Budget(failures=3, completions=2, rate_waits=1), reason=reason
    )


def test_a_sheet_without_retries_fails_after_one_attempt() -> None:
    assert after(AttemptOutcome.CRASHED, retry=replace(RETRY, max_retries=0)) == Decision(
        Action.FAIL, Budget(failures=1), reason="crashed after 1 attempt"
    )


def test_a_retry_waits_the_jittered_delay_drawn_from_the_attempt() -> None:
    jittered = replace(RETRY, jitter=True)
    decision = after(AttemptOutcome.FAILED, Budget(failures=1), retry=jittered)
    assert decision.at == AT + jittered.delay(2, "job/1/1")
    assert decision.at is not None
    assert AT + 10 <= decision.at < AT + 20


# --- retry delays --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "failures", "delay"),
    [
        pytest.param(RETRY, 1, 10.0, id="first retry: base"),
        pytest.param(RETRY, 2, 20.0, id="doubles"),
        pytest.param(RETRY, 3, 40.0, id="doubles again"),
        pytest.param(RETRY, 9, 2560.0, id="below the cap"),
        pytest.param(RETRY, 10, 3600.0, id="capped"),
        pytest.param(replace(RETRY, exponential_base=3.0), 3, 90.0, id="base 3"),
        pytest.param(replace(RETRY, max_delay_seconds=25.0), 3, 25.0, id="low cap"),
        pytest.param(replace(RETRY, base_delay_seconds=0.0), 5, 0.0, id="no delay"),
    ],
)
def test_retry_delays_grow_exponentially_up_to_the_cap(
    policy: RetryPolicy, failures: int, delay: float
) -> None:
    assert policy.delay(failures, "job/1/1") == delay


def test_jitter_is_the_same_for_the_same_seed_and_differs_between_seeds() -> None:
    policy = replace(RETRY, jitter=True)
    assert policy.delay(3, "job/1/3") == policy.delay(3, "job/1/3")
    assert policy.delay(3, "job/1/3") != policy.delay(3, "job/2/3")


@given(
    failures=st.integers(1, 30),
    seed=st.text(max_size=20),
    base=st.floats(0.0, 1000.0),
    exponential_base=st.floats(1.0, 4.0),
    cap=st.floats(0.0, 100_000.0),
)
def test_jitter_keeps_a_delay_between_half_and_all_of_the_plain_one(
    failures: int, seed: str, base: float, exponential_base: float, cap: float
) -> None:
    plain = RetryPolicy(
        base_delay_seconds=base,
        exponential_base=exponential_base,
        max_delay_seconds=cap,
        jitter=False,
    )
    jittered = replace(plain, jitter=True)
    delay = jittered.delay(failures, seed)
    assert 0.5 * plain.delay(failures, seed) <= delay <= plain.delay(failures, seed)
    assert plain.delay(failures, seed) <= cap
    assert delay == jittered.delay(failures, seed)


def test_a_final_failure_fails_the_sheet_without_a_retry() -> None:
    ended = Ended(AttemptOutcome.VALIDATION_FAILED, AT, "job/1/1", final=True)
    decision = decide(ended, Budget(), has_fallback=False, retry=RETRY, rate_limit=RATE_LIMIT)
    assert decision == Decision(Action.FAIL, Budget(), reason="validations failed")
