"""What the engine's tests share: a retry policy without delays, and readers of what the
engine committed and answered."""

import dataclasses

from podium.domain.commands import Accepted, Command, Persist, Rejected
from podium.domain.policy import JobPolicy, RetryPolicy
from podium.domain.records import JobRecord
from podium.testing.harness import EngineHarness, replies

NO_DELAYS = RetryPolicy(
    max_retries=2, base_delay_seconds=10.0, jitter=False, max_completion_attempts=0
)


def policy(**changes: object) -> JobPolicy:
    """A policy with retries after 10 s, 20 s…, no pacing, and the given changes."""
    return dataclasses.replace(JobPolicy(retry=NO_DELAYS), **changes)  # type: ignore[arg-type]


def notes(h: EngineHarness) -> list[str]:
    return [n.text for c in h.commands if isinstance(c, Persist) for n in c.notes]


def job_record(h: EngineHarness, job: str = "job") -> JobRecord:
    found = [r for c in h.commands if isinstance(c, Persist) for r in c.jobs if r.job_id == job]
    return found[-1]


def reply_of(commands: list[Command]) -> Accepted | Rejected:
    [reply] = replies(commands)
    return reply.result
