"""From a score's execution blocks to the engine's `JobPolicy` and `ErrorPatterns`."""

from pathlib import Path

from podium.domain.classify import ErrorPatterns
from podium.domain.policy import (
    BreakerPolicy,
    ConcertPolicy,
    CostPolicy,
    Hook,
    JobPolicy,
    ParallelPolicy,
    RateLimitPolicy,
    RetryPolicy,
)
from podium.score.model import ScoreModel


def job_policy(score: ScoreModel, folder: Path) -> JobPolicy:
    """`folder` is the score's: hooks' `job_path`s and `job_workspace`s are relative to it."""
    retry, parallel, rate = score.retry, score.parallel, score.rate_limit
    breaker, cost, concert = score.circuit_breaker, score.cost_limits, score.concert
    return JobPolicy(
        retry=RetryPolicy(
            max_retries=retry.max_retries,
            base_delay_seconds=retry.base_delay_seconds,
            max_delay_seconds=retry.max_delay_seconds,
            exponential_base=retry.exponential_base,
            jitter=retry.jitter,
            max_completion_attempts=retry.max_completion_attempts,
            completion_delay_seconds=retry.completion_delay_seconds,
            completion_threshold_percent=retry.completion_threshold_percent,
        ),
        parallel=ParallelPolicy(
            enabled=parallel.enabled,
            max_concurrent=parallel.max_concurrent,
            fail_fast=parallel.fail_fast,
            stagger_delay_ms=parallel.stagger_delay_ms,
        ),
        rate_limit=RateLimitPolicy(
            wait_minutes=rate.wait_minutes,
            max_waits=rate.max_waits,
            max_quota_waits=rate.max_quota_waits,
        ),
        breaker=BreakerPolicy(
            enabled=breaker.enabled,
            failure_threshold=breaker.failure_threshold,
            recovery_timeout_seconds=breaker.recovery_timeout_seconds,
        ),
        cost=CostPolicy(
            max_cost_per_sheet=cost.max_cost_per_sheet if cost.enabled else None,
            max_cost_per_job=cost.max_cost_per_job if cost.enabled else None,
            warn_at_percent=cost.warn_at_percent,
            ask=cost.on_exceed == "ask",
        ),
        pause_between_sheets_seconds=score.pause_between_sheets_seconds,
        hooks=tuple(
            Hook(
                type=h.type,
                job_path=str((folder / h.job_path).resolve()) if h.job_path else None,
                job_workspace=(
                    str((folder / h.job_workspace).resolve()) if h.job_workspace else None
                ),
                command=h.command,
                working_directory=h.working_directory,
                description=h.description,
                on_failure=h.on_failure,
                timeout_seconds=h.timeout_seconds,
                fresh=h.fresh,
                pause_before_chain=h.pause_before_chain,
            )
            for h in score.on_success
        ),
        concert=ConcertPolicy(
            enabled=concert.enabled,
            max_chain_depth=concert.max_chain_depth,
            cooldown_between_jobs_seconds=concert.cooldown_between_jobs_seconds,
            inherit_workspace=concert.inherit_workspace,
            abort_on_hook_failure=concert.abort_concert_on_hook_failure,
            log_path=concert.concert_log_path,
        ),
        idle_timeout_seconds=(
            score.stale_detection.idle_timeout_seconds if score.stale_detection.enabled else None
        ),
    )


def error_patterns(score: ScoreModel) -> ErrorPatterns:
    """The score's own rate-limit patterns, when it sets them. Marianne's defaults ("429",
    "quota", "capacity", …) are not applied on their own: on a script's output they would
    turn ordinary failures into hour-long waits. The instrument's profile supplies its own."""
    if "detection_patterns" not in score.rate_limit.model_fields_set:
        return ErrorPatterns()
    return ErrorPatterns(rate_limit=tuple(score.rate_limit.detection_patterns))
