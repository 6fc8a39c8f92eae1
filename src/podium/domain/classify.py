"""What an attempt's ending means, read from its exit and its output.

Patterns are tried in a fixed priority: rate limit, authentication, capacity, timeout, crash,
stale; a rate limit carries the reset time found in the message when there is one. A run that
succeeded is never reclassified, even if its output mentions "rate limit".
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from podium.domain.codes import error_code
from podium.domain.outcome import AttemptOutcome, ExitStatus, classify_exit, describe_exit

TimezoneLookup = Callable[[str], tzinfo | None]
"""Finds a time zone by name ('Europe/Berlin'; '' for the local zone). The caller supplies it:
it reads files."""


@dataclass(frozen=True, slots=True)
class ErrorPatterns:
    """Regular expressions (case-insensitive, `^` and `$` at line ends) that say what a failed
    attempt ran into."""

    rate_limit: tuple[str, ...] = ()
    auth: tuple[str, ...] = ()
    capacity: tuple[str, ...] = ()
    timeout: tuple[str, ...] = ()
    crash: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    quota: tuple[str, ...] = ()
    """A spent quota or budget: waited out like a rate limit, but recorded as such (E104)."""
    failure: tuple[str, ...] = ()
    """Output that marks a run as failed even though it exited with a success code (an agent
    CLI that exits 0 on API errors, say). Only these are read on a successful exit."""

    def merged(self, other: "ErrorPatterns") -> "ErrorPatterns":
        """Both sets of patterns; `self`'s are tried first."""
        return ErrorPatterns(
            *(getattr(self, f) + getattr(other, f) for f in ErrorPatterns.__dataclass_fields__)
        )


@dataclass(frozen=True, slots=True)
class Classified:
    outcome: AttemptOutcome
    detail: str
    reset_at: float | None = None
    """For a rate limit: when it ends, if the message said."""
    quota: bool = False
    """For a rate limit: it was a spent quota or budget."""

    @property
    def code(self) -> str | None:
        return error_code(self.outcome, quota=self.quota)


_ORDER = (
    ("quota", AttemptOutcome.RATE_LIMITED),
    ("rate_limit", AttemptOutcome.RATE_LIMITED),
    ("auth", AttemptOutcome.AUTH_FAILED),
    ("capacity", AttemptOutcome.CAPACITY),
    ("timeout", AttemptOutcome.TIMED_OUT),
    ("crash", AttemptOutcome.CRASHED),
    ("stale", AttemptOutcome.STALE),
)
_DETAIL_CHARS = 300


def classify(
    status: ExitStatus,
    output: str,
    patterns: ErrorPatterns,
    now: float,
    zones: TimezoneLookup,
    *,
    success_codes: frozenset[int] = frozenset({0}),
    said: str | None = None,
) -> Classified:
    """The outcome of an attempt that ended with `status` and printed `output`.

    A run that exited with a success code is a success whatever its output mentions, unless
    a `failure` pattern says otherwise (an agent that exits 0 on API errors); it is then
    classified like any failed run. `said` is the error message the instrument itself
    reported (where its profile's `error_path` points): when there is one, the detail quotes
    it rather than the raw line of output that told the outcome.
    """
    plain = classify_exit(status, success_codes)
    message = _said(said)
    if plain is AttemptOutcome.SUCCEEDED:
        found = _search(patterns.failure, output)
        if found is None:
            return Classified(plain, "")
        reported = message or _line_of(found)
        detail = f"{describe_exit(status)} but the output reports an error: {reported}"
        return _by_patterns(output, patterns, now, zones, detail) or Classified(
            AttemptOutcome.FAILED, detail
        )
    detail = describe_exit(status)
    if message:
        detail = f"{detail}: {message}"
    if status.stale:
        return Classified(AttemptOutcome.STALE, _with_last_line(detail, output))
    return _by_patterns(output, patterns, now, zones, detail) or Classified(
        plain, _with_last_line(detail, output)
    )


def _said(message: str | None) -> str:
    """The instrument's own error message on one line, at most `_DETAIL_CHARS` long."""
    text = " ".join((message or "").split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def _by_patterns(
    output: str, patterns: ErrorPatterns, now: float, zones: TimezoneLookup, detail: str
) -> Classified | None:
    """The first family of patterns (in priority order) that matches, with the line that
    matched in the detail."""
    for field, outcome in _ORDER:
        found = _search(getattr(patterns, field), output)
        if found is None:
            continue
        text = detail if ": " in detail else f"{detail}: {_line_of(found)}"
        if outcome is AttemptOutcome.RATE_LIMITED:
            return Classified(outcome, text, reset_time(output, now, zones), quota=field == "quota")
        return Classified(outcome, text)
    return None


def _line_of(found: re.Match[str]) -> str:
    text = found.string
    start = text.rfind("\n", 0, found.start()) + 1
    end = text.find("\n", found.end())
    line = text[start : end if end >= 0 else len(text)].strip()
    if len(line) <= _DETAIL_CHARS:
        return line
    # A long line (a JSON object): the part around the match.
    begin = max(found.start() - start - _DETAIL_CHARS // 3, 0)
    return "…" + line[begin : begin + _DETAIL_CHARS] + "…"


def _with_last_line(detail: str, output: str) -> str:
    if ": " in detail:
        return detail  # already says what the instrument reported
    last = output.strip().splitlines()[-1][:_DETAIL_CHARS] if output.strip() else ""
    return f"{detail}: {last}" if last else detail


def _search(patterns: Sequence[str], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
        if found is not None:
            return found
    return None


_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RETRY_AFTER = re.compile(
    r"retry[- ]after[\"']?\s*[:=]\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?)?(?![\d:.-])\b",
    re.IGNORECASE,
)
"""The header form, `Retry-After: 120`: seconds. "retry after 2 minutes" is read by _IN."""
_IN = re.compile(
    r"(?:try again|retry|reset|resets|available again|wait)\w*\s+(?:in|after)\s+"
    r"(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b",
    re.IGNORECASE,
)
_AT = re.compile(
    r"(?:reset|resets|try again|available again)\w*\s+(?:at\s+)?"
    r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?(?:\s*\(([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+|UTC)\))?",
    re.IGNORECASE,
)
_EPOCH = re.compile(
    r"(?:reset|resets|retry)\w*[^0-9\n]{0,20}(1[6-9]\d{8})(?:\.\d+)?\b", re.IGNORECASE
)
_ISO = re.compile(
    r"(?:reset|resets|until|after)\w*\s+(?:at\s+)?"
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)",
    re.IGNORECASE,
)


def reset_time(text: str, now: float, zones: TimezoneLookup) -> float | None:
    """When a rate limit ends, from its message: Retry-After, "try again in 20 minutes",
    "resets at 3pm (Europe/Berlin)", "resets 10:30", an epoch timestamp, an ISO time."""
    for parse in (_retry_after, _relative, _epoch, _iso):
        found = parse(text, now)
        if found is not None:
            return found
    return _clock_time(text, now, zones)


def _retry_after(text: str, now: float) -> float | None:
    found = _RETRY_AFTER.search(text)
    return now + float(found.group(1)) if found else None


def _relative(text: str, now: float) -> float | None:
    found = _IN.search(text)
    if found is None:
        return None
    unit = found.group(2).lower().rstrip("s") or "s"
    seconds = _UNITS.get(unit, _UNITS.get(unit[:3], _UNITS.get(unit[:1], 1)))
    return now + float(found.group(1)) * seconds


def _epoch(text: str, now: float) -> float | None:
    found = _EPOCH.search(text)
    if found is None:
        return None
    value = float(found.group(1))
    return value if value > now else None


def _iso(text: str, now: float) -> float | None:
    found = _ISO.search(text)
    if found is None:
        return None
    raw = found.group(1).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = moment.timestamp()
    return value if value > now else None


def _clock_time(text: str, now: float, zones: TimezoneLookup) -> float | None:
    """'resets at 3pm (Europe/Berlin)', 'resets 10:30': the next such time, in that zone
    (the local zone when none is named: that is how agent CLIs print it)."""
    for found in _AT.finditer(text):
        hour, minute, meridiem, zone_name = found.groups()
        if minute is None and meridiem is None:
            continue  # a bare number is not a time of day
        hour_value = (
            int(hour) % 12 + (12 if (meridiem or "").lower() == "pm" else 0)
            if meridiem
            else int(hour)
        )
        if hour_value > 23 or int(minute or 0) > 59:
            continue
        zone = UTC if (zone_name or "").upper() == "UTC" else (zones(zone_name or "") or UTC)
        today = datetime.fromtimestamp(now, zone)
        moment = datetime.combine(today.date(), time(hour_value, int(minute or 0)), zone)
        if moment.timestamp() <= now:
            moment += timedelta(days=1)
        return moment.timestamp()
    return None
