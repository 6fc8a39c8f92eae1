"""Building a check's finding: a located diagnostic with a code and a severity."""

from podium.score.compiled import CompiledScore
from podium.score.diagnostics import Diagnostic, Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def finding(
    score: CompiledScore,
    path: tuple[str | int, ...],
    message: str,
    code: str,
    severity: Severity,
    *,
    key: bool = False,
) -> Diagnostic:
    return score.source.diagnostic(path, message, key=key, code=code, severity=severity)


def listed(nums: list[int], noun: str = "sheet") -> str:
    """'sheet 3', 'sheets 1, 2, 4 and 6 more'."""
    shown = ", ".join(str(n) for n in nums[:5])
    more = f" and {len(nums) - 5} more" if len(nums) > 5 else ""
    return f"{noun} {shown}" if len(nums) == 1 else f"{noun}s {shown}{more}"
