"""The circuit breaker of an instrument: closed, open, half-open with one probe."""

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.breaker import MAX_RECOVERY_SECONDS, Breaker
from podium.domain.policy import BreakerPolicy

POLICY = BreakerPolicy(failure_threshold=3, recovery_timeout_seconds=100.0)


def opened_at(now: float, policy: BreakerPolicy = POLICY) -> Breaker:
    """A breaker that `failure_threshold` failures in a row opened at `now`."""
    breaker = Breaker()
    for _ in range(policy.failure_threshold):
        breaker.failed(now, policy)
    assert breaker.open_until == now + policy.recovery_timeout_seconds
    return breaker


@pytest.mark.parametrize("threshold", [1, 2, 5])
def test_the_breaker_stays_closed_until_threshold_failures_in_a_row(threshold: int) -> None:
    policy = BreakerPolicy(failure_threshold=threshold, recovery_timeout_seconds=100.0)
    breaker = Breaker()
    for _ in range(threshold - 1):
        breaker.failed(0.0, policy)
    assert (breaker.open_until, breaker.allows(0.0)) == (None, True)
    breaker.failed(0.0, policy)
    assert breaker.open_until == 100.0
    assert not breaker.allows(0.0)


def test_a_success_starts_the_count_of_failures_again() -> None:
    breaker = Breaker()
    breaker.failed(0.0, POLICY)
    breaker.failed(0.0, POLICY)
    breaker.succeeded()
    breaker.failed(1.0, POLICY)
    breaker.failed(1.0, POLICY)
    assert (breaker.failures, breaker.open_until) == (2, None)
    breaker.failed(2.0, POLICY)
    assert breaker.open_until == 102.0


@pytest.mark.parametrize(
    ("now", "allows"),
    [(10.0, False), (50.0, False), (109.9, False), (110.0, True), (500.0, True)],
)
def test_an_open_breaker_lets_nothing_through_until_its_recovery_timeout(
    now: float, allows: bool
) -> None:
    assert opened_at(10.0).allows(now) is allows


def test_a_half_open_breaker_lets_exactly_one_probe_through() -> None:
    breaker = opened_at(0.0)
    assert breaker.allows(100.0)
    breaker.started(100.0)
    assert breaker.probing
    assert not breaker.allows(100.0)
    assert not breaker.allows(1000.0)


@pytest.mark.parametrize(
    ("breaker", "now"),
    [
        pytest.param(Breaker(), 0.0, id="closed"),
        pytest.param(Breaker(failures=3, open_until=100.0, opened=1), 99.0, id="still open"),
    ],
)
def test_starting_an_attempt_is_a_probe_only_once_the_breaker_is_half_open(
    breaker: Breaker, now: float
) -> None:
    breaker.started(now)
    assert not breaker.probing


def test_a_successful_probe_closes_the_breaker() -> None:
    breaker = opened_at(0.0)
    breaker.started(100.0)
    breaker.succeeded()
    assert breaker == Breaker()
    assert breaker.allows(100.0)


def test_an_abandoned_probe_lets_another_probe_through() -> None:
    breaker = opened_at(0.0)
    breaker.started(100.0)
    breaker.abandoned()
    assert breaker == Breaker(failures=3, open_until=100.0, opened=1, probing=False)
    assert breaker.allows(100.0)


@pytest.mark.parametrize(
    ("recovery", "windows"),
    [
        (100.0, [100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 3600.0, 3600.0]),
        (1000.0, [1000.0, 2000.0, 3600.0, 3600.0]),
        (5000.0, [3600.0, 3600.0]),
    ],
)
def test_each_failed_probe_opens_the_breaker_twice_as_long_up_to_an_hour(
    recovery: float, windows: list[float]
) -> None:
    policy = BreakerPolicy(failure_threshold=2, recovery_timeout_seconds=recovery)
    breaker = Breaker()
    breaker.failed(0.0, policy)
    breaker.failed(0.0, policy)
    now, seen = 0.0, []
    for _ in windows:
        assert breaker.open_until is not None
        seen.append(breaker.open_until - now)
        now = breaker.open_until
        breaker.started(now)
        breaker.failed(now, policy)
        assert not breaker.probing
    assert seen == windows


def test_after_a_successful_probe_the_next_opening_is_short_again() -> None:
    breaker = opened_at(0.0)
    breaker.started(100.0)
    breaker.failed(100.0, POLICY)
    assert breaker.open_until == 300.0
    breaker.started(300.0)
    breaker.succeeded()
    for _ in range(3):
        breaker.failed(400.0, POLICY)
    assert breaker.open_until == 500.0


def test_a_disabled_breaker_never_opens() -> None:
    policy = BreakerPolicy(enabled=False, failure_threshold=1)
    breaker = Breaker()
    for now in range(100):
        breaker.failed(float(now), policy)
    assert breaker == Breaker()
    assert breaker.allows(100.0)


def test_a_probe_run_for_a_job_without_a_breaker_frees_the_probe() -> None:
    breaker = opened_at(0.0)
    breaker.started(100.0)  # the recovery time is over: this is the probe
    assert not breaker.allows(100.0)
    breaker.failed(101.0, BreakerPolicy(enabled=False))
    assert breaker.allows(101.0)


def test_a_failure_reported_while_the_breaker_is_open_does_not_extend_it() -> None:
    breaker = opened_at(0.0)
    breaker.failed(10.0, POLICY)
    assert breaker.open_until == 100.0


# --- property --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing that happens to a breaker: an attempt's verdict, a probe, or time passing."""

    kind: str
    seconds: float = 0.0


steps = st.lists(
    st.one_of(
        st.sampled_from([Step("fail"), Step("succeed"), Step("start"), Step("abandon")]),
        st.floats(0.0, 4000.0).map(lambda s: Step("wait", s)),
    ),
    max_size=60,
)
policies = st.builds(
    BreakerPolicy,
    enabled=st.booleans(),
    failure_threshold=st.integers(1, 5),
    recovery_timeout_seconds=st.floats(1.0, 5000.0),
)


def apply(breaker: Breaker, step: Step, now: float, policy: BreakerPolicy) -> float:
    """Apply `step` at `now`; the time after it."""
    match step.kind:
        case "fail":
            breaker.failed(now, policy)
        case "succeed":
            breaker.succeeded()
        case "start":
            if breaker.allows(now):
                breaker.started(now)
        case "abandon":
            breaker.abandoned()
        case "wait":
            return now + step.seconds
    return now


@given(policies, steps)
def test_a_breaker_without_an_open_window_always_allows_an_attempt(
    policy: BreakerPolicy, history: list[Step]
) -> None:
    breaker, now = Breaker(), 0.0
    for step in history:
        now = apply(breaker, step, now, policy)
        if breaker.open_until is None:
            assert breaker.allows(now)


@given(policies, steps)
def test_an_open_window_never_reaches_past_the_maximum_recovery_time(
    policy: BreakerPolicy, history: list[Step]
) -> None:
    breaker, now = Breaker(), 0.0
    for step in history:
        now = apply(breaker, step, now, policy)
        if breaker.open_until is not None:
            assert breaker.open_until - now <= MAX_RECOVERY_SECONDS + 1e-6
