"""An AI review of a sheet's work (`ai_review`): what the reviewing agent's answer says, and
the check it makes of the attempt.

The reviewer answers with a `SCORE: <0-100>` line and a `REASON:` line (the last of each
counts). Its score passes the check at `min_score` or more; below `target_score` it passes
with a note. A reviewer that gives no score does not judge the work: its check fails without
failing the attempt, so a broken reviewer never costs the sheet its work.
"""

import re
from dataclasses import dataclass, replace

from podium.domain.validation import ValidationResult, ValidationRule

_SCORE = re.compile(r"(?im)^[\s*#>_-]*score[\s*_]*[:=]\s*\**\s*(\d{1,3})\b")
_REASON = re.compile(r"(?im)^[\s*#>_-]*reason[\s*_]*[:=]\s*\**\s*(.+?)\s*$")
REASON_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class Verdict:
    score: int | None
    reason: str = ""


def read_verdict(answer: str) -> Verdict:
    """The score (0 to 100) and reason in a reviewer's answer."""
    scores = _SCORE.findall(answer)
    reasons = _REASON.findall(answer)
    reason = " ".join(reasons[-1].split())[:REASON_MAX_CHARS] if reasons else ""
    if not scores:
        return Verdict(None, reason)
    return Verdict(min(100, int(scores[-1])), reason)


def review_result(
    rule: ValidationRule, verdict: Verdict, target: int, said: str
) -> ValidationResult:
    """The review's check: `rule.pattern` holds the lowest passing score; `said` is what the
    reviewer printed, for when it gave no score."""
    if verdict.score is None:
        shown = " ".join(said.split())[:REASON_MAX_CHARS] or "nothing"
        return ValidationResult(
            replace(rule, advisory=True, fatal=False),
            False,
            f"the review gave no score (it said: {shown})",
        )
    detail = f"scored {verdict.score}/100"
    if verdict.score < target:
        detail += f", below the target of {target}"
    if verdict.reason:
        detail += f": {verdict.reason}"
    return ValidationResult(rule, verdict.score >= int(rule.pattern or 0), detail)
