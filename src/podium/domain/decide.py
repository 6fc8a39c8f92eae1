"""What happens to a sheet after an attempt that did not succeed: the rules, as one function.

In priority order:
- A rate limit never spends the retry budget. The sheet moves to its next instrument when it
  has one, and otherwise waits for the window to end; after `rate_limit.max_waits` waits it is
  treated as out of budget. A spent quota (E104) is waited out the same way, counted apart,
  against `rate_limit.max_quota_waits`.
- An authentication failure cannot be retried away: next instrument, or the sheet fails.
- Validations that passed in part (at least `completion_threshold_percent`) lead to a
  completion attempt, told which checks failed, after `completion_delay_seconds`; these have
  a budget of their own (`max_completion_attempts`).
- Anything else spends one retry, after an exponential, jittered delay.
- Out of budget: next instrument with a fresh budget, or the sheet fails.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import RateLimitPolicy, RetryPolicy

MIN_RATE_LIMIT_WAIT = 5.0
"""A window is never shorter than this, so a "retry after 0s" cannot make a busy loop."""
MAX_RATE_LIMIT_WAIT = 24 * 3600.0
"""Nor longer than this: a reset time days away is more likely misread than real."""


class Action(StrEnum):
    RETRY = "retry"
    COMPLETE = "completion"
    """A completion attempt: the work is partly there, finish it."""
    WAIT_RATE_LIMIT = "rate_limit"
    FALL_BACK = "fall_back"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Budget:
    """What a sheet has used on its current instrument."""

    failures: int = 0
    completions: int = 0
    rate_waits: int = 0
    quota_waits: int = 0
    """Waits for a spent quota (E104), counted apart from rate limits' (`max_quota_waits`)."""


@dataclass(frozen=True, slots=True)
class Ended:
    """An attempt that ended without success, as the decision needs it."""

    outcome: AttemptOutcome
    at: float
    seed: str
    """Identifies the attempt: the jitter of its retry delay is drawn from it."""
    pass_rate: float = 0.0
    """For failed validations: the share of the checks that passed, 0 to 1."""
    reset_at: float | None = None
    """For a rate limit: when it ends, when the message said."""
    quota: bool = False
    """For a rate limit: it was a spent quota or budget (E104), not a request rate."""
    final: bool = False
    """Trying again cannot help (the attempt could be placed nowhere; an AI review's low score
    with `on_low_score: fail`): never retried on this instrument."""


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    budget: Budget
    """The budget after this attempt (a fresh one after a fall-back)."""
    at: float | None = None
    """When the sheet may run again (RETRY, COMPLETE, WAIT_RATE_LIMIT)."""
    reason: str = ""
    """Why the sheet falls back or fails, for its history."""


def rate_limit_end(ended: Ended, policy: RateLimitPolicy) -> float:
    """When a rate-limit window opened by `ended` closes: the reset time the message gave, or
    `wait_minutes`; never less than MIN_RATE_LIMIT_WAIT, nor more than MAX_RATE_LIMIT_WAIT."""
    until = ended.reset_at if ended.reset_at is not None else ended.at + policy.wait_minutes * 60
    return min(max(until, ended.at + MIN_RATE_LIMIT_WAIT), ended.at + MAX_RATE_LIMIT_WAIT)


def decide(
    ended: Ended,
    budget: Budget,
    *,
    has_fallback: bool,
    retry: RetryPolicy,
    rate_limit: RateLimitPolicy,
) -> Decision:
    """What the sheet does next. See the module docstring for the rules."""
    if ended.outcome is AttemptOutcome.RATE_LIMITED:
        if ended.quota:
            used = replace(budget, quota_waits=budget.quota_waits + 1)
            what, waits = "quota spent", used.quota_waits
            most, limit = "max_quota_waits", rate_limit.max_quota_waits
        else:
            used = replace(budget, rate_waits=budget.rate_waits + 1)
            what, waits = "rate limited", used.rate_waits
            most, limit = "max_waits", rate_limit.max_waits
        if waits > limit:
            return _exhausted(used, has_fallback, f"{what} {waits} times ({most})")
        if has_fallback:
            return Decision(Action.FALL_BACK, Budget(), reason=what)
        return Decision(Action.WAIT_RATE_LIMIT, used, at=rate_limit_end(ended, rate_limit))
    if ended.outcome is AttemptOutcome.AUTH_FAILED:
        return _exhausted(budget, has_fallback, "authentication failed")
    if ended.final:
        return _exhausted(budget, has_fallback, _EXHAUSTED[ended.outcome])
    if (
        ended.outcome is AttemptOutcome.VALIDATION_FAILED
        and ended.pass_rate * 100 >= retry.completion_threshold_percent
        and budget.completions < retry.max_completion_attempts
    ):
        used = replace(budget, completions=budget.completions + 1)
        return Decision(Action.COMPLETE, used, at=ended.at + retry.completion_delay_seconds)
    used = replace(budget, failures=budget.failures + 1)
    if used.failures <= retry.max_retries:
        delay = retry.delay(used.failures, ended.seed)
        return Decision(Action.RETRY, used, at=ended.at + delay)
    tries = "1 attempt" if used.failures == 1 else f"{used.failures} attempts"
    return _exhausted(used, has_fallback, f"{_EXHAUSTED[ended.outcome]} after {tries}")


def _exhausted(budget: Budget, has_fallback: bool, reason: str) -> Decision:
    if has_fallback:
        return Decision(Action.FALL_BACK, Budget(), reason=reason)
    return Decision(Action.FAIL, budget, reason=reason)


_EXHAUSTED = {
    AttemptOutcome.VALIDATION_FAILED: "validations failed",
    AttemptOutcome.FAILED: "the instrument failed",
    AttemptOutcome.TIMED_OUT: "timed out",
    AttemptOutcome.CRASHED: "crashed",
    AttemptOutcome.STALE: "went silent",
    AttemptOutcome.CAPACITY: "the instrument was overloaded",
    AttemptOutcome.LAUNCH_FAILED: "could not start",
    AttemptOutcome.INTERRUPTED: "interrupted",
}
