"""Lessons from previous sheets: a short digest of how this job's earlier attempts failed,
given to the attempts that follow (the prompt's sixth layer), so that an agent does not walk
into the same wall twice.

A lesson is an attempt that ended badly for a reason the work itself can avoid: its checks
failed, it failed or crashed, timed out, went stale. Waits (rate limits, spent quotas),
authentication and capacity problems, and attempts stopped or interrupted from outside teach
nothing about the work and are left out. The digest is bounded (the newest first, at most
`MAX_LESSONS`, each line cut) and masked.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from podium.domain.outcome import AttemptOutcome
from podium.domain.records import AttemptRecord

MAX_LESSONS = 5
"""The most lessons one prompt carries: the newest."""
MAX_LINE_CHARS = 300
"""Each error, expectation or finding is cut to this."""
MAX_CHECKS = 3
"""The failed checks shown per lesson."""

TEACHING = frozenset(
    {
        AttemptOutcome.VALIDATION_FAILED,
        AttemptOutcome.FAILED,
        AttemptOutcome.TIMED_OUT,
        AttemptOutcome.CRASHED,
        AttemptOutcome.STALE,
        AttemptOutcome.LAUNCH_FAILED,
    }
)
"""The outcomes whose attempts teach something about the work."""


@dataclass(frozen=True, slots=True)
class Lesson:
    sheet: int
    attempt: int
    code: str | None
    error: str
    failed_checks: tuple[tuple[str, str], ...] = ()
    """(what was expected, what was found) of each check that failed."""


def lessons_from(
    records: Sequence[AttemptRecord], mask: Callable[[str], str] = str
) -> tuple[Lesson, ...]:
    """The lessons among a job's attempts, newest first, at most MAX_LESSONS; their text
    masked with `mask` (a secret an agent printed stays out of the next prompt)."""
    found = []
    for record in sorted(records, key=lambda r: (r.started_at, r.sheet, r.attempt), reverse=True):
        if record.outcome not in TEACHING:
            continue
        checks = tuple(
            (mask(_cut(v.rule.expectation())), mask(_cut(v.detail or "failed")))
            for v in record.validations
            if v.checked and not v.passed
        )
        # The failed checks say what went wrong better than the error, which repeats one.
        error = (
            f"{len(checks)} check(s) failed"
            if checks
            else mask(_cut(record.error or record.outcome.value.replace("_", " ")))
        )
        found.append(
            Lesson(int(record.sheet), record.attempt, record.error_code, error, checks[:MAX_CHECKS])
        )
        if len(found) == MAX_LESSONS:
            break
    return tuple(found)


def lessons_text(lessons: Sequence[Lesson]) -> str:
    """The layer: a heading and one entry per lesson; empty without lessons."""
    if not lessons:
        return ""
    entries = []
    for lesson in lessons:
        code = f" [{lesson.code}]" if lesson.code else ""
        lines = [f"- Sheet {lesson.sheet}, attempt {lesson.attempt}{code}: {lesson.error}"]
        lines += [
            f"  - expected {expected}; found {found}" for expected, found in lesson.failed_checks
        ]
        entries.append("\n".join(lines))
    return (
        "## Lessons from previous sheets\n\n"
        "Earlier attempts in this job failed as follows; avoid repeating these mistakes.\n\n"
        + "\n".join(entries)
    )


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"
