"""A circuit breaker per instrument: after repeated failures, stop sending it work for a while.

closed → (failure_threshold failures in a row) → open → (recovery timeout) → half-open: one
probe attempt; its success closes the breaker, its failure opens it again for twice as long
(capped at an hour). A rate limit is not a failure of the instrument.
"""

from dataclasses import dataclass

from podium.domain.policy import BreakerPolicy

MAX_RECOVERY_SECONDS = 3600.0


@dataclass(slots=True)
class Breaker:
    failures: int = 0
    open_until: float | None = None
    opened: int = 0
    probing: bool = False

    def allows(self, now: float) -> bool:
        """Whether an attempt may start now (a half-open breaker lets one probe through)."""
        if self.open_until is None:
            return True
        return now >= self.open_until and not self.probing

    def started(self, now: float) -> None:
        if self.open_until is not None and now >= self.open_until:
            self.probing = True

    def succeeded(self) -> None:
        self.failures, self.open_until, self.opened, self.probing = 0, None, 0, False

    def failed(self, now: float, policy: BreakerPolicy) -> None:
        if not policy.enabled:
            self.abandoned()  # its job does not judge the instrument; a probe it ran is free
            return
        if self.open_until is not None and not self.probing:
            return  # it started before the breaker opened: that news is already in
        self.failures += 1
        if self.probing or self.failures >= policy.failure_threshold:
            self.opened += 1
            wait = min(
                policy.recovery_timeout_seconds * 2 ** (self.opened - 1), MAX_RECOVERY_SECONDS
            )
            self.open_until = now + wait
            self.probing = False

    def abandoned(self) -> None:
        """The probe ended without a verdict (stopped, rate limited): allow another."""
        self.probing = False
