"""Error codes: one stable code per way an attempt can end badly, for `errors --code` and
scripts. They follow Marianne's numbering, so users' filters keep working.

| code | meaning |
| --- | --- |
| E001 | timed out (the sheet's timeout) |
| E002 | stopped on purpose (cancel, forced pause) |
| E003 | crashed (killed by a signal) |
| E004 | interrupted (the conductor stopped while it ran) |
| E006 | stale (no output for the idle timeout) |
| E009 | failed (a non-zero exit nothing else explains) |
| E102 | rate limited by the instrument |
| E103 | the provider is overloaded or out of capacity |
| E104 | a quota or budget is spent |
| E201 | validation: a file that should exist does not |
| E202 | validation: a file was not modified |
| E203 | validation: a file lacks the text or pattern |
| E204 | validation: a command failed |
| E205 | grounding: a file's checksum is not the one expected |
| E206 | an AI review scored the work below `ai_review.min_score` |
| E209 | validation: a rule was not checked |
| E502 | authentication failed |
| E601 | the instrument could not be started |

Each code has a type (`error_type`) that says what Podium does about it: rate_limit (E1xx: it
waits, or tries again later), permanent (E502: never tried again on that instrument) and
transient (every other code: tried again within the sheet's retry budget). Failed checks (E2xx)
are transient, as in Marianne: the agent may well write what was expected on a completion
attempt or a retry.
"""

from collections.abc import Sequence

from podium.domain.outcome import AttemptOutcome
from podium.domain.validation import ValidationKind, ValidationResult

_BY_OUTCOME = {
    AttemptOutcome.TIMED_OUT: "E001",
    AttemptOutcome.STOPPED: "E002",
    AttemptOutcome.CRASHED: "E003",
    AttemptOutcome.INTERRUPTED: "E004",
    AttemptOutcome.STALE: "E006",
    AttemptOutcome.FAILED: "E009",
    AttemptOutcome.RATE_LIMITED: "E102",
    AttemptOutcome.CAPACITY: "E103",
    AttemptOutcome.AUTH_FAILED: "E502",
    AttemptOutcome.LAUNCH_FAILED: "E601",
}

_BY_RULE = {
    ValidationKind.FILE_EXISTS: "E201",
    ValidationKind.FILE_MODIFIED: "E202",
    ValidationKind.CONTENT_CONTAINS: "E203",
    ValidationKind.CONTENT_REGEX: "E203",
    ValidationKind.COMMAND_SUCCEEDS: "E204",
    ValidationKind.FILE_CHECKSUM: "E205",
    ValidationKind.AI_REVIEW: "E206",
}

QUOTA = "E104"


def error_code(
    outcome: AttemptOutcome,
    *,
    quota: bool = False,
    validations: Sequence[ValidationResult] = (),
) -> str | None:
    """The code of an attempt that ended with `outcome`; None when it did not end badly."""
    if outcome is AttemptOutcome.VALIDATION_FAILED:
        failed = next((r for r in validations if r.checked and not r.passed), None)
        return _BY_RULE[failed.rule.kind] if failed else "E209"
    if outcome is AttemptOutcome.RATE_LIMITED and quota:
        return QUOTA
    return _BY_OUTCOME.get(outcome)


TRANSIENT, RATE_LIMIT, PERMANENT = "transient", "rate_limit", "permanent"
ERROR_TYPES = (TRANSIENT, RATE_LIMIT, PERMANENT)
NOT_RETRIED = frozenset({_BY_OUTCOME[AttemptOutcome.AUTH_FAILED]})
"""The codes whose attempts are never tried again on the same instrument (`decide`)."""


def error_type(code: str) -> str:
    """What kind of failure a code is, for `errors --type`, by what Podium does about it:
    rate_limit (the provider said wait: E1xx), permanent (trying again cannot help:
    authentication; the sheet moves to its next instrument or fails) or transient (anything
    else: a timeout, a crash, a failed run or failed checks, an instrument that could not
    start; tried again within the retry budget, since the next attempt may pass)."""
    if code in NOT_RETRIED:
        return PERMANENT
    return RATE_LIMIT if code.startswith("E1") else TRANSIENT


def codes_of_type(kind: str) -> tuple[str, ...]:
    """Every known code of one kind (see `error_type`)."""
    known = (*_BY_OUTCOME.values(), *_BY_RULE.values(), QUOTA, "E209")
    return tuple(sorted({c for c in known if error_type(c) == kind}))
