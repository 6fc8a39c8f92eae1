"""How a job wants to be run: retries, parallelism, rate limits, breakers, costs, pacing.

Read from the score (`podium.score` builds them) and frozen into the job's plan.
"""

import random
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay_seconds: float = 10.0
    max_delay_seconds: float = 3600.0
    exponential_base: float = 2.0
    jitter: bool = True
    max_completion_attempts: int = 5
    completion_delay_seconds: float = 5.0
    completion_threshold_percent: float = 50.0

    def delay(self, failures: int, seed: str) -> float:
        """Seconds before retry number `failures` (1 for the first retry).

        Exponential, capped, and with jitter drawn from `seed`, so that the same sheet and
        attempt always wait the same time (tests are deterministic, replays are too) while
        sheets that failed together do not all come back at once.
        """
        delay = min(
            self.base_delay_seconds * self.exponential_base ** (failures - 1),
            self.max_delay_seconds,
        )
        if self.jitter:
            delay *= 0.5 + random.Random(seed).random() / 2  # noqa: S311 - not security
        return delay


@dataclass(frozen=True, slots=True)
class ParallelPolicy:
    enabled: bool = False
    max_concurrent: int = 3
    fail_fast: bool = True
    stagger_delay_ms: int = 0

    @property
    def limit(self) -> int:
        """Sheets of the job that may run at once: one unless parallel is enabled."""
        return self.max_concurrent if self.enabled else 1


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    wait_minutes: int = 60
    max_waits: int = 24
    max_quota_waits: int = 48


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    enabled: bool = True
    failure_threshold: int = 5
    recovery_timeout_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class CostPolicy:
    max_cost_per_sheet: float | None = None
    max_cost_per_job: float | None = None
    warn_at_percent: float = 80.0
    ask: bool = False
    """`on_exceed: ask`: over a limit, each sheet asks a person before it starts."""


HOOK_PLACEHOLDERS = ("workspace", "job_id", "sheet_count")
"""What a `run_command` or `run_script` hook's `{name}` placeholders may name."""

LABEL_WIDTH = 100
"""A hook's label is cut to this many characters."""


@dataclass(frozen=True, slots=True)
class Hook:
    """One `on_success` hook, resolved: run by the runtime when the job completes."""

    type: str
    """run_job, run_command or run_script."""
    job_path: str | None = None
    job_workspace: str | None = None
    command: str | None = None
    working_directory: str | None = None
    description: str | None = None
    on_failure: str = "continue"
    timeout_seconds: float = 300.0
    fresh: bool = False
    pause_before_chain: bool = False

    @property
    def label(self) -> str:
        """'run_command: make deploy', 'run_job: /scores/next.yaml' (long commands cut)."""
        what = self.job_path if self.type == "run_job" else self.command
        text = f"{self.type}: {what}"
        return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"


@dataclass(frozen=True, slots=True)
class ConcertPolicy:
    enabled: bool = False
    max_chain_depth: int = 5
    cooldown_between_jobs_seconds: float = 30.0
    inherit_workspace: bool = True
    abort_on_hook_failure: bool = False
    """Any failed hook fails the job and ends the chain, whatever its `on_failure` says."""
    log_path: str | None = None
    """A file (relative to the workspace) that each job of the chain appends its story to."""


@dataclass(frozen=True, slots=True)
class JobPolicy:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    parallel: ParallelPolicy = field(default_factory=ParallelPolicy)
    rate_limit: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    cost: CostPolicy = field(default_factory=CostPolicy)
    pause_between_sheets_seconds: float = 0.0
    hooks: tuple[Hook, ...] = ()
    concert: ConcertPolicy = field(default_factory=ConcertPolicy)
    idle_timeout_seconds: float | None = None
    """With `stale_detection` on: an attempt silent this long is stopped as stale."""
