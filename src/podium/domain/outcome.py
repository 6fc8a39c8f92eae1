"""What happened to an attempt, classified from how its process ended."""

import signal
from dataclasses import dataclass
from enum import StrEnum


class AttemptOutcome(StrEnum):
    RUNNING = "running"
    VALIDATING = "validating"
    SUCCEEDED = "succeeded"
    VALIDATION_FAILED = "validation_failed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"
    STALE = "stale"
    AUTH_FAILED = "auth_failed"
    CAPACITY = "capacity"
    RATE_LIMITED = "rate_limited"
    LAUNCH_FAILED = "launch_failed"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"
    """Stopped on purpose: by a cancel, or a forced pause."""


@dataclass(frozen=True, slots=True)
class ExitStatus:
    """How an attempt's process ended. Exactly one of `exit_code` and `signal` is set."""

    exit_code: int | None
    signal: int | None = None
    timed_out: bool = False
    timeout_seconds: float | None = None
    stale: bool = False
    """Stopped because it wrote nothing for the idle timeout."""


def classify_exit(
    status: ExitStatus, success_codes: frozenset[int] = frozenset({0})
) -> AttemptOutcome:
    """SUCCEEDED means the process ended well: its work is still to be validated."""
    if status.timed_out:
        return AttemptOutcome.TIMED_OUT
    if status.stale:
        return AttemptOutcome.STALE
    if status.signal is not None:
        return AttemptOutcome.CRASHED
    if status.exit_code in success_codes:
        return AttemptOutcome.SUCCEEDED
    return AttemptOutcome.FAILED


def describe_exit(status: ExitStatus) -> str:
    """'exit code 2', 'killed by SIGKILL', 'timed out after 30s'."""
    if status.stale:
        return f"stopped after {status.timeout_seconds:g}s without output"
    if status.timed_out:
        return f"timed out after {status.timeout_seconds:g}s"
    if status.signal is not None:
        try:
            name = signal.Signals(status.signal).name
        except ValueError:
            name = f"signal {status.signal}"
        return f"killed by {name}"
    return f"exit code {status.exit_code}"
