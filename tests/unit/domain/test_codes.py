"""Error codes and their types."""

import pytest

from podium.domain.codes import (
    ERROR_TYPES,
    PERMANENT,
    RATE_LIMIT,
    TRANSIENT,
    codes_of_type,
    error_code,
    error_type,
)
from podium.domain.decide import Action, Budget, Ended, decide
from podium.domain.outcome import AttemptOutcome
from podium.domain.policy import RateLimitPolicy, RetryPolicy
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("E001", TRANSIENT),
        ("E003", TRANSIENT),
        ("E009", TRANSIENT),
        ("E102", RATE_LIMIT),
        ("E104", RATE_LIMIT),
        ("E201", TRANSIENT),
        ("E203", TRANSIENT),
        ("E209", TRANSIENT),
        ("E502", PERMANENT),
        ("E601", TRANSIENT),
    ],
)
def test_each_code_has_one_type(code: str, kind: str) -> None:
    assert error_type(code) == kind


def test_the_codes_of_the_types_cover_every_code_once() -> None:
    by_type = {kind: codes_of_type(kind) for kind in ERROR_TYPES}
    assert by_type[RATE_LIMIT] == ("E102", "E103", "E104")
    assert by_type[PERMANENT] == ("E502",)
    assert "E203" in by_type[TRANSIENT] and "E001" in by_type[TRANSIENT]
    every = [c for codes in by_type.values() for c in codes]
    assert len(every) == len(set(every))


RETRY = RetryPolicy(max_retries=3, max_completion_attempts=0, base_delay_seconds=1.0)


@pytest.mark.parametrize(
    "outcome", [o for o in AttemptOutcome if error_code(o, validations=()) is not None]
)
def test_a_code_is_permanent_exactly_when_its_attempt_is_not_tried_again(
    outcome: AttemptOutcome,
) -> None:
    """The label says what the engine does: with budget left and no other instrument, an
    attempt of a transient code is tried again, a rate limit waits, a permanent one ends."""
    code = error_code(outcome, validations=())
    assert code is not None
    decision = decide(
        Ended(outcome, at=0.0, seed="x"),
        Budget(),
        has_fallback=False,
        retry=RETRY,
        rate_limit=RateLimitPolicy(),
    )
    expected = {
        TRANSIENT: {Action.RETRY},
        RATE_LIMIT: {Action.WAIT_RATE_LIMIT, Action.RETRY},  # capacity (E103) backs off
        PERMANENT: {Action.FAIL},
    }[error_type(code)]
    assert decision.action in expected, code


def test_failed_checks_of_every_kind_are_tried_again() -> None:
    for kind in ValidationKind:
        rule = ValidationRule(kind, path="/x", command="x", pattern="x")
        failed = ValidationResult(rule, False, "")
        code = error_code(AttemptOutcome.VALIDATION_FAILED, validations=(failed,))
        assert code is not None
        assert error_type(code) == TRANSIENT, code
        decision = decide(
            Ended(AttemptOutcome.VALIDATION_FAILED, at=0.0, seed="x"),
            Budget(),
            has_fallback=False,
            retry=RETRY,
            rate_limit=RateLimitPolicy(),
        )
        assert decision.action is Action.RETRY
