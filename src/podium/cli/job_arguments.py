"""Job arguments read before the conductor is asked, so that a typo is caught here: job statuses
(`list` and `clear`, --status) and ages (`clear`, --older-than)."""

import re

from podium.domain.errors import UserError
from podium.domain.status import JobStatus

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")


def job_statuses(values: list[str]) -> list[str]:
    """Status names from repeated or comma-separated options, checked here so that a typo is
    caught without asking the conductor."""
    found: list[str] = []
    for name in (n.strip().lower() for value in values for n in value.split(",")):
        if not name:
            continue
        if name not in {s.value for s in JobStatus}:
            valid = ", ".join(s.value for s in JobStatus)
            raise UserError(
                f"--status {name}: there is no such job status; the statuses are {valid}"
            )
        if name not in found:
            found.append(name)
    return found


def seconds(text: str) -> float:
    """'3600', '90s', '30m', '12h', '7d', '2w' in seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise UserError(
            f"--older-than {text}: give seconds (3600) or a duration such as 30m, 12h or 7d"
        )
    return float(match[1]) * _UNITS[match[2] or "s"]
