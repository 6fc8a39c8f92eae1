"""Domain read models to the wire shapes of `podium.ipc.schema`."""

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from podium.domain.ids import JobId, SheetNum
from podium.domain.records import AttemptRecord, JobRecord, RateLimitRecord, Usage
from podium.domain.views import JobView
from podium.ipc.schema import (
    AttemptInfo,
    CheckInfo,
    JobInfo,
    JobStatusResult,
    NoteInfo,
    RateLimitInfo,
    SheetInfo,
    UsageInfo,
)

LogsFor = Callable[[JobId, SheetNum], Path]
"""The folder that holds a sheet's attempt files."""


def job_info(job: JobRecord) -> JobInfo:
    return JobInfo(
        job_id=job.job_id,
        name=job.name,
        status=job.status.value,
        score_path=job.score_path,
        workspace=job.workspace,
        submitted_at=job.submitted_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=job.error,
        detail=job.detail,
        resume_when_idle=job.resume_when_idle,
        total_sheets=job.total_sheets,
        completed_sheets=job.completed_sheets,
        chain_depth=job.chain_depth,
        cost=job.cost,
    )


def rate_limit_info(windows: Iterable[RateLimitRecord]) -> list[RateLimitInfo]:
    return [
        RateLimitInfo(instrument=w.instrument, model=w.model, until=w.until, reason=w.reason)
        for w in windows
    ]


def job_status(
    view: JobView,
    logs_for: LogsFor,
    attempts: Mapping[SheetNum, AttemptRecord] | None = None,
    usage: Usage | None = None,
) -> JobStatusResult:
    """`attempts`: the latest attempt of the sheets whose checks are worth showing."""
    attempts = attempts or {}
    usage = usage or Usage()
    sheets = [
        SheetInfo(
            num=s.num,
            status=s.status.value,
            movement=s.movement,
            voice=s.voice,
            instrument=s.instrument,
            depends_on=list(s.depends_on),
            description=s.description,
            attempts=s.attempts,
            max_attempts=s.max_attempts,
            error=s.error,
            blocked_by=s.blocked_by,
            updated_at=s.updated_at,
            due=s.due,
            wait=s.wait,
            cost=s.cost,
            logs=str(logs_for(view.job_id, s.num)) if s.attempts else "",
            last_attempt=attempt_info(attempts[s.num]) if s.num in attempts else None,
        )
        for s in view.sheets
    ]
    return JobStatusResult(
        **job_info(view.job),
        sheets=sheets,
        history=[NoteInfo(at=n.at, text=n.text) for n in view.history],
        rate_limits=rate_limit_info(view.rate_limits),
        usage=UsageInfo(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=usage.cost,
            cost_estimated=usage.cost_estimated,
        ),
    )


def attempt_info(attempt: AttemptRecord) -> AttemptInfo:
    return AttemptInfo(
        attempt=attempt.attempt,
        outcome=attempt.outcome.value,
        error_code=attempt.error_code,
        exit_code=attempt.exit_code,
        instrument=attempt.instrument,
        model=attempt.model,
        input_tokens=attempt.input_tokens,
        output_tokens=attempt.output_tokens,
        cost=attempt.cost,
        cost_estimated=attempt.cost_estimated,
        checks=[
            CheckInfo(
                check=r.rule.summary(),
                passed=r.passed,
                checked=r.checked,
                expected=r.rule.expectation(),
                actual=r.detail or ("as expected" if r.passed else ""),
                fix=r.fix,
            )
            for r in attempt.validations
        ],
    )
