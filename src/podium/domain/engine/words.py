"""How the engine words what it says: instrument names, moments, refusals, failed checks."""

from collections.abc import Iterable
from datetime import UTC, datetime

from podium.domain.commands import Rejected, Reply
from podium.domain.limits import InstrumentKey
from podium.domain.live import Changes
from podium.domain.validation import ValidationResult


def key_name(key: InstrumentKey) -> str:
    """An instrument, with its model when the key has one."""
    return key[0] if key[1] is None else f"{key[0]} ({key[1]})"


def utc_text(at: float) -> str:
    """A moment for a note, in UTC (the engine knows no time zone; `status` shows local time)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def failed_checks(results: Iterable[ValidationResult]) -> tuple[str, ...]:
    """One line per validation that did not pass, with its detail."""
    return tuple(
        f"{r.rule.summary()}: {r.detail}" if r.detail else r.rule.summary()
        for r in results
        if not r.passed
    )


def reject(request: int, reason: str, out: Changes, code: str = "invalid_state") -> None:
    """Answer `request` with a refusal saying why."""
    out.effects.append(Reply(request, Rejected(reason, code)))
