"""Reading an attempt's ending: its outcome by pattern priority, its detail, and when a rate
limit ends, with a fixed `now` and a fixed local time zone (Tokyo)."""

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from podium.domain.classify import Classified, ErrorPatterns, classify, reset_time
from podium.domain.outcome import AttemptOutcome, ExitStatus

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()
"""Friday 27 November 2026, noon in UTC, 13:00 in Berlin, 21:00 in Tokyo."""
LOCAL = ZoneInfo("Asia/Tokyo")

PATTERNS = ErrorPatterns(
    rate_limit=(r"rate limit", r"\b429\b"),
    auth=(r"unauthori[sz]ed", r"invalid api key"),
    capacity=(r"overloaded",),
    timeout=(r"deadline exceeded",),
    crash=(r"segmentation fault", r"panic"),
    stale=(r"no progress",),
)
FAILED = ExitStatus(exit_code=1)


class Zones:
    """Time zones by name, as the runtime finds them, with Tokyo as the local zone ('');
    remembers the names it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, name: str) -> tzinfo | None:
        self.asked.append(name)
        if name == "":
            return LOCAL
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:
            return None


def utc(text: str) -> float:
    """The timestamp of an ISO time written in UTC: '2026-11-27T12:02:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def classified(status: ExitStatus, output: str, patterns: ErrorPatterns = PATTERNS) -> Classified:
    return classify(status, output, patterns, NOW, Zones())


# --- outcomes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "outcome"),
    [
        pytest.param("no progress; panic; deadline exceeded; overloaded; unauthorized; rate limit", AttemptOutcome.RATE_LIMITED, id="rate limit first"),
        pytest.param("no progress; panic; deadline exceeded; overloaded; unauthorized", AttemptOutcome.AUTH_FAILED, id="then auth"),
        pytest.param("no progress; panic; deadline exceeded; overloaded", AttemptOutcome.CAPACITY, id="then capacity"),
        pytest.param("no progress; panic; deadline exceeded", AttemptOutcome.TIMED_OUT, id="then timeout"),
        pytest.param("no progress; panic", AttemptOutcome.CRASHED, id="then crash"),
        pytest.param("no progress", AttemptOutcome.STALE, id="then stale"),
        pytest.param("something else went wrong", AttemptOutcome.FAILED, id="nothing matches"),
    ],
)  # fmt: skip
def test_patterns_are_tried_in_priority_order_wherever_they_appear_in_the_output(
    output: str, outcome: AttemptOutcome
) -> None:
    assert classified(FAILED, output).outcome is outcome


@pytest.mark.parametrize(
    ("patterns", "output"),
    [
        pytest.param(ErrorPatterns(rate_limit=("rate limit",)), "RATE LIMIT EXCEEDED", id="upper text"),
        pytest.param(ErrorPatterns(rate_limit=("RATE LIMIT",)), "rate limit exceeded", id="upper pattern"),
        pytest.param(ErrorPatterns(rate_limit=("Rate Limit",)), "rAtE lImIt", id="mixed case"),
    ],
)  # fmt: skip
def test_patterns_match_regardless_of_case(patterns: ErrorPatterns, output: str) -> None:
    assert classified(FAILED, output, patterns).outcome is AttemptOutcome.RATE_LIMITED


def test_any_pattern_of_a_kind_matches_and_anywhere_in_the_output() -> None:
    result = classified(FAILED, "HTTP 429 Too Many Requests\nretrying is up to you\n")
    assert result == Classified(
        AttemptOutcome.RATE_LIMITED, "exit code 1: HTTP 429 Too Many Requests"
    )


def test_a_successful_exit_is_never_reclassified_though_its_output_says_rate_limit() -> None:
    output = "rate limit reached, try again in 20 minutes\nunauthorized\npanic\n"
    assert classified(ExitStatus(exit_code=0), output) == Classified(AttemptOutcome.SUCCEEDED, "")


@pytest.mark.parametrize(
    ("status", "output", "expected"),
    [
        pytest.param(FAILED, "boom", Classified(AttemptOutcome.FAILED, "exit code 1: boom"), id="exit code"),
        pytest.param(ExitStatus(None, signal=9), "", Classified(AttemptOutcome.CRASHED, "killed by SIGKILL"), id="signal"),
        pytest.param(ExitStatus(None, signal=200), "", Classified(AttemptOutcome.CRASHED, "killed by signal 200"), id="unknown signal"),
        pytest.param(ExitStatus(None, signal=15, timed_out=True, timeout_seconds=30.0), "still working", Classified(AttemptOutcome.TIMED_OUT, "timed out after 30s: still working"), id="timed out"),
        pytest.param(ExitStatus(None, signal=15, stale=True, timeout_seconds=600.0), "thinking", Classified(AttemptOutcome.STALE, "stopped after 600s without output: thinking"), id="stale"),
        pytest.param(ExitStatus(exit_code=2, stale=True, timeout_seconds=600.0), "", Classified(AttemptOutcome.STALE, "stopped after 600s without output"), id="stale, exit code"),
    ],
)  # fmt: skip
def test_without_a_matching_pattern_the_exit_alone_decides(
    status: ExitStatus, output: str, expected: Classified
) -> None:
    assert classified(status, output) == expected


def test_a_stale_exit_is_stale_even_when_its_output_matches_a_pattern() -> None:
    status = ExitStatus(None, signal=15, stale=True, timeout_seconds=600.0)
    result = classified(status, "rate limit: try again in 20 minutes")
    assert result == Classified(
        AttemptOutcome.STALE,
        "stopped after 600s without output: rate limit: try again in 20 minutes",
    )


def test_a_stale_exit_is_stale_even_when_the_stopped_process_exits_0() -> None:
    status = ExitStatus(exit_code=0, stale=True, timeout_seconds=600.0)
    assert classified(status, "thinking").outcome is AttemptOutcome.STALE


def test_a_timed_out_attempt_whose_output_shows_a_rate_limit_is_a_rate_limit() -> None:
    status = ExitStatus(None, signal=15, timed_out=True, timeout_seconds=30.0)
    result = classified(status, "rate limit hit; try again in 20 minutes")
    assert result == Classified(
        AttemptOutcome.RATE_LIMITED,
        "timed out after 30s: rate limit hit; try again in 20 minutes",
        NOW + 1200,
    )


# --- detail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "detail"),
    [
        pytest.param("", "exit code 1", id="no output"),
        pytest.param(" \n\t\n", "exit code 1", id="only blanks"),
        pytest.param("first\nsecond\nlast words\n\n\n", "exit code 1: last words", id="last line"),
        pytest.param("  padded  \n", "exit code 1: padded", id="trimmed"),
        pytest.param("first\n" + "x" * 400 + "\n", "exit code 1: " + "x" * 300, id="long line cut to 300"),
        pytest.param("y" * 300, "exit code 1: " + "y" * 300, id="300 kept whole"),
    ],
)  # fmt: skip
def test_the_detail_is_the_exit_and_the_last_line_of_output_cut_to_300_characters(
    output: str, detail: str
) -> None:
    assert classified(FAILED, output).detail == detail


# --- reset times: only rate limits carry one ------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        pytest.param("rate limit exceeded\ntry again in 20 minutes", Classified(AttemptOutcome.RATE_LIMITED, "exit code 1: rate limit exceeded", NOW + 1200), id="rate limit with a time"),
        pytest.param("rate limit exceeded", Classified(AttemptOutcome.RATE_LIMITED, "exit code 1: rate limit exceeded", None), id="rate limit without"),
        pytest.param("unauthorized; try again in 20 minutes", Classified(AttemptOutcome.AUTH_FAILED, "exit code 1: unauthorized; try again in 20 minutes", None), id="auth"),
        pytest.param("overloaded; try again in 20 minutes", Classified(AttemptOutcome.CAPACITY, "exit code 1: overloaded; try again in 20 minutes", None), id="capacity"),
        pytest.param("try again in 20 minutes", Classified(AttemptOutcome.FAILED, "exit code 1: try again in 20 minutes", None), id="plain failure"),
    ],
)  # fmt: skip
def test_only_a_rate_limit_carries_its_reset_time(output: str, expected: Classified) -> None:
    assert classified(FAILED, output) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Retry-After, in seconds
        pytest.param("Retry-After: 120", "2026-11-27T12:02:00", id="retry-after header"),
        pytest.param("retry-after=30", "2026-11-27T12:00:30", id="retry-after="),
        pytest.param("retry after 2 seconds", "2026-11-27T12:00:02", id="retry after 2 seconds"),
        pytest.param("RETRY AFTER 2s", "2026-11-27T12:00:02", id="retry after 2s"),
        # relative
        pytest.param("try again in 20 minutes", "2026-11-27T12:20:00", id="in minutes"),
        pytest.param("try again in 2 hours", "2026-11-27T14:00:00", id="in hours"),
        pytest.param("Try again in 1.5 hours", "2026-11-27T13:30:00", id="in fractional hours"),
        pytest.param("try again in 1 day", "2026-11-28T12:00:00", id="in a day"),
        pytest.param("resets in 90s", "2026-11-27T12:01:30", id="resets in s"),
        pytest.param("resets in 90 sec", "2026-11-27T12:01:30", id="resets in sec"),
        pytest.param("quota resets in 5 mins", "2026-11-27T12:05:00", id="mins"),
        pytest.param("please retry in 10m", "2026-11-27T12:10:00", id="m"),
        pytest.param("retry in 3 hrs", "2026-11-27T15:00:00", id="hrs"),
        pytest.param("available again in 2h", "2026-11-27T14:00:00", id="available again"),
        # epoch seconds
        pytest.param("usage limit reached|resets 1796000000", "2026-11-30T00:53:20", id="epoch"),
        pytest.param("limit reset at: 1796000000", "2026-11-30T00:53:20", id="epoch after colon"),
        # ISO times
        pytest.param("resets at 2026-11-28T15:00:00Z", "2026-11-28T15:00:00", id="iso Z"),
        pytest.param("resets at 2026-11-28T15:00:00+02:00", "2026-11-28T13:00:00", id="iso offset"),
        pytest.param("resets 2026-11-28T15:00-0500", "2026-11-28T20:00:00", id="iso compact offset"),
        pytest.param("blocked until 2026-11-28T15:00:00", "2026-11-28T15:00:00", id="iso without zone is UTC"),
        # clock times
        pytest.param("resets at 3pm (Europe/Berlin)", "2026-11-27T14:00:00", id="3pm Berlin"),
        pytest.param("Your limit will reset at 9pm (America/New_York)", "2026-11-28T02:00:00", id="9pm New York"),
        pytest.param("resets 3pm (UTC)", "2026-11-27T15:00:00", id="3pm UTC"),
        pytest.param("resets 3 pm (utc)", "2026-11-27T15:00:00", id="3 pm utc"),
        pytest.param("resets at 15:00 (UTC)", "2026-11-27T15:00:00", id="15:00 UTC"),
        pytest.param("resets 11am (UTC)", "2026-11-28T11:00:00", id="past today: tomorrow"),
        pytest.param("resets 12pm (UTC)", "2026-11-28T12:00:00", id="now exactly: tomorrow"),
        pytest.param("resets 12am (UTC)", "2026-11-28T00:00:00", id="12am is midnight"),
        pytest.param("resets 10:30", "2026-11-28T01:30:00", id="local, past today in Tokyo"),
        pytest.param("resets 11:30pm", "2026-11-27T14:30:00", id="local, later today in Tokyo"),
        pytest.param("resets 3pm", "2026-11-28T06:00:00", id="local 3pm"),
        pytest.param("resets at 3pm (Mars/Olympus)", "2026-11-27T15:00:00", id="unknown zone is UTC"),
        # when several forms appear, Retry-After wins
        pytest.param("Retry-After: 120; resets at 3pm (UTC)", "2026-11-27T12:02:00", id="first form wins"),
    ],
)  # fmt: skip
def test_reset_time_reads_each_supported_form(text: str, expected: str) -> None:
    assert reset_time(text, NOW, Zones()) == utc(expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("rate limit exceeded", id="no time"),
        pytest.param("resets 5", id="bare number"),
        pytest.param("limit resets at 14 (UTC)", id="bare hour with zone"),
        pytest.param("resets at 25:00 (UTC)", id="hour out of range"),
        pytest.param("resets 10:75", id="minute out of range"),
        pytest.param("resets 1700000000", id="epoch in the past"),
        pytest.param("resets at 2026-11-26T15:00:00Z", id="iso in the past"),
        pytest.param("resets at 2026-13-28T15:00:00Z", id="impossible iso date"),
        pytest.param("please wait a while", id="no number"),
    ],
)
def test_reset_time_is_none_when_the_text_gives_no_future_time(text: str) -> None:
    assert reset_time(text, NOW, Zones()) is None


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        pytest.param("resets 10:30", [""], id="no zone: local"),
        pytest.param("resets at 3pm (Europe/Berlin)", ["Europe/Berlin"], id="named zone"),
        pytest.param("resets 3pm (UTC)", [], id="UTC needs no lookup"),
        pytest.param("Retry-After: 120", [], id="not a clock time"),
    ],
)
def test_clock_times_are_read_in_the_zone_they_name_or_the_local_one(
    text: str, asked: list[str]
) -> None:
    zones = Zones()
    reset_time(text, NOW, zones)
    assert zones.asked == asked


def test_a_clock_time_rolled_to_tomorrow_keeps_its_wall_clock_time_across_a_dst_change() -> None:
    # Berlin moves to summer time in the night after 28 March 2026: 3pm is 13:00 UTC then.
    now = utc("2026-03-28T20:00:00")
    assert reset_time("resets 3pm (Europe/Berlin)", now, Zones()) == utc("2026-03-29T13:00:00")


def test_retry_after_with_a_unit_other_than_seconds_uses_that_unit() -> None:
    assert reset_time("retry after 2 minutes", NOW, Zones()) == utc("2026-11-27T12:02:00")


def test_retry_after_an_iso_time_waits_until_that_time() -> None:
    text = "retry after 2026-11-28T15:00:00Z"
    assert reset_time(text, NOW, Zones()) == utc("2026-11-28T15:00:00")


def test_a_clock_time_in_a_three_part_zone_is_read_in_that_zone() -> None:
    text = "resets 3pm (America/Argentina/Buenos_Aires)"
    assert reset_time(text, NOW, Zones()) == utc("2026-11-27T18:00:00")


# --- quota, failure on a success exit, error codes --------------------------------------------

AGENT = ErrorPatterns(
    rate_limit=(r"RateLimitError",),
    auth=(r"AuthenticationError",),
    quota=(r"exceeded your current quota",),
    failure=(r"^litellm\.\w+Error",),
)


def test_a_spent_quota_is_a_rate_limit_with_its_own_code() -> None:
    output = "litellm.RateLimitError: You exceeded your current quota, please check your plan"
    result = classified(FAILED, output, AGENT)
    assert (result.outcome, result.quota, result.code) == (
        AttemptOutcome.RATE_LIMITED,
        True,
        "E104",
    )
    plain = classified(FAILED, "litellm.RateLimitError: slow down", AGENT)
    assert (plain.outcome, plain.quota, plain.code) == (AttemptOutcome.RATE_LIMITED, False, "E102")


def test_an_agent_that_exits_0_on_an_api_error_is_read_from_its_failure_patterns() -> None:
    output = "Hello\nlitellm.AuthenticationError: AuthenticationError: Incorrect API key\nbye\n"
    result = classified(ExitStatus(exit_code=0), output, AGENT)
    assert result.outcome is AttemptOutcome.AUTH_FAILED
    assert result.code == "E502"
    assert result.detail == (
        "exit code 0 but the output reports an error: "
        "litellm.AuthenticationError: AuthenticationError: Incorrect API key"
    )


def test_a_failure_pattern_without_a_known_kind_is_a_plain_failure() -> None:
    result = classified(ExitStatus(exit_code=0), "litellm.BadRequestError: nope", AGENT)
    assert (result.outcome, result.code) == (AttemptOutcome.FAILED, "E009")


def test_a_success_that_mentions_errors_without_a_failure_pattern_is_a_success() -> None:
    output = "I fixed the RateLimitError handling and the AuthenticationError message."
    assert classified(ExitStatus(exit_code=0), output, AGENT).outcome is AttemptOutcome.SUCCEEDED


def test_the_profile_decides_which_exit_codes_are_success() -> None:
    result = classify(
        ExitStatus(exit_code=3), "", PATTERNS, NOW, Zones(), success_codes=frozenset({0, 3})
    )
    assert result.outcome is AttemptOutcome.SUCCEEDED


def test_a_long_json_line_is_quoted_around_the_match() -> None:
    line = '{"type":"result",' + '"pad":"x",' * 60 + '"api_error_status":429,"result":"denied"}'
    result = classified(FAILED, line, ErrorPatterns(rate_limit=(r'"api_error_status":\s*429',)))
    assert result.outcome is AttemptOutcome.RATE_LIMITED
    assert '"api_error_status":429' in result.detail
    assert len(result.detail) < 400


CLAUDE_401 = (
    '{"type":"result","subtype":"success","is_error":true,"api_error_status":401,'
    '"result":"Invalid API key · Fix external API key"}'
)
CLAUDE = ErrorPatterns(auth=(r'"api_error_status":\s*401',), failure=(r'"is_error":\s*true',))


@pytest.mark.parametrize(
    ("status", "output", "said", "outcome", "detail"),
    [
        pytest.param(FAILED, CLAUDE_401, "Invalid API key · Fix external API key", AttemptOutcome.AUTH_FAILED, "exit code 1: Invalid API key · Fix external API key", id="matched by a pattern"),
        pytest.param(ExitStatus(exit_code=0), CLAUDE_401, "Invalid API key · Fix external API key", AttemptOutcome.AUTH_FAILED, "exit code 0 but the output reports an error: Invalid API key · Fix external API key", id="a success code that reports an error"),
        pytest.param(FAILED, '{"is_error":true}\nlast line', "context window\n  exceeded", AttemptOutcome.FAILED, "exit code 1: context window exceeded", id="no pattern: not the last line, on one line"),
        pytest.param(ExitStatus(None, signal=15, stale=True, timeout_seconds=5), "partial", "stalled", AttemptOutcome.STALE, "stopped after 5s without output: stalled", id="stale"),
        pytest.param(FAILED, CLAUDE_401, "", AttemptOutcome.AUTH_FAILED, "exit code 1: " + CLAUDE_401, id="an empty message: the line"),
        pytest.param(FAILED, "boom", "m" * 400, AttemptOutcome.FAILED, "exit code 1: " + "m" * 299 + "…", id="cut to 300"),
    ],
)  # fmt: skip
def test_the_detail_quotes_the_message_the_instrument_reported_rather_than_its_raw_output(
    status: ExitStatus, output: str, said: str, outcome: AttemptOutcome, detail: str
) -> None:
    result = classify(status, output, CLAUDE, NOW, Zones(), said=said)
    assert (result.outcome, result.detail) == (outcome, detail)


def test_merged_patterns_try_the_first_set_before_the_second() -> None:
    profile = ErrorPatterns(rate_limit=("slow down",), failure=("^Error",))
    score = ErrorPatterns(rate_limit=("quota",))
    merged = profile.merged(score)
    assert merged.rate_limit == ("slow down", "quota")
    assert merged.failure == ("^Error",)
