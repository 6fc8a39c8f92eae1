"""Domain read models to the wire shapes of `podium.ipc.schema`."""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import cast

from podium.domain.codes import error_type
from podium.domain.ids import JobId, SheetNum
from podium.domain.inspection import AttemptDetail, Attempts, Output, StreamText
from podium.domain.isolation import Worktree
from podium.domain.records import (
    AttemptRecord,
    HookRecord,
    JobNote,
    JobRecord,
    RateLimitRecord,
    Usage,
)
from podium.domain.views import JobView
from podium.ipc.schema import (
    AttemptDetailInfo,
    AttemptInfo,
    AttemptsResult,
    CheckInfo,
    DiagnoseResult,
    HookInfo,
    JobFilesInfo,
    JobInfo,
    JobStatusResult,
    LogsResult,
    LogTextInfo,
    NoteInfo,
    RateLimitInfo,
    SheetInfo,
    SheetLogInfo,
    UsageInfo,
    WorktreeInfo,
)

LogsFor = Callable[[JobId, SheetNum], Path]
"""The folder that holds a sheet's attempt files."""


_NOT_IN_JOB_INFO = frozenset({"hook"})
"""`JobRecord` fields kept off the wire: which hook runs shows in `status` with the hooks."""


def job_info(job: JobRecord) -> JobInfo:
    """The record's fields by name (in `JobInfo`'s order, any newer field after them), the
    status as its value."""
    values: dict[str, object] = {
        f.name: getattr(job, f.name) for f in fields(job) if f.name not in _NOT_IN_JOB_INFO
    }
    values["status"] = job.status.value
    ordered = {key: values.pop(key) for key in JobInfo.__annotations__}
    return cast(JobInfo, ordered | values)


def rate_limit_info(windows: Iterable[RateLimitRecord]) -> list[RateLimitInfo]:
    return [
        RateLimitInfo(instrument=w.instrument, model=w.model, until=w.until, reason=w.reason)
        for w in windows
    ]


def hook_info(hooks: Iterable[HookRecord]) -> list[HookInfo]:
    return [
        HookInfo(
            num=h.num,
            type=h.type,
            label=h.label,
            description=h.description,
            outcome=h.outcome.value,
            started_at=h.started_at,
            ended_at=h.ended_at,
            exit_code=h.exit_code,
            error=h.error,
            output=h.output,
            chained_job=h.chained_job,
        )
        for h in hooks
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
            model=s.model,
            voice_count=s.voice_count,
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
        parent=view.parent,
        children=[h.chained_job for h in view.hooks if h.chained_job is not None],
        sheets=sheets,
        history=[NoteInfo(at=n.at, text=n.text) for n in view.history],
        hooks=hook_info(view.hooks),
        rate_limits=rate_limit_info(view.rate_limits),
        usage=UsageInfo(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=usage.cost,
            cost_estimated=usage.cost_estimated,
        ),
        worktree=None,
    )


def worktree_info(worktree: Worktree) -> WorktreeInfo:
    return WorktreeInfo(
        repo=worktree.repo,
        path=worktree.path,
        branch=worktree.branch,
        base_commit=worktree.base_commit,
        removed=worktree.removed_at is not None,
    )


def attempt_info(attempt: AttemptRecord) -> AttemptInfo:
    info = AttemptInfo(
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
        started_at=attempt.started_at,
        ended_at=attempt.ended_at,
    )
    if attempt.feedback is not None:
        info["feedback"] = json.loads(attempt.feedback)
    if attempt.review is not None:
        info["review"] = json.loads(attempt.review)
    return info


def attempt_detail_info(detail: AttemptDetail) -> AttemptDetailInfo:
    record = detail.record
    return AttemptDetailInfo(
        **attempt_info(record),
        sheet=record.sheet,
        exited_at=record.exited_at,
        signal=record.signal,
        error=record.error,
        error_type=error_type(record.error_code) if record.error_code else None,
        mode=record.mode,
        stdout_tail=detail.stdout,
        stderr_tail=detail.stderr,
        logs=str(detail.folder),
    )


def attempts_result(found: Attempts) -> AttemptsResult:
    return AttemptsResult(
        job_id=found.view.job_id,
        status=found.view.status.value,
        attempts=[attempt_detail_info(a) for a in found.attempts],
        total=found.total,
        hooks=hook_info(found.view.hooks),
    )


def logs_result(output: Output) -> LogsResult:
    def text(stream: StreamText) -> LogTextInfo:
        return LogTextInfo(text=stream.text, start=stream.start, end=stream.end, path=stream.path)

    return LogsResult(
        job_id=output.view.job_id,
        status=output.view.status.value,
        resume_when_idle=output.view.job.resume_when_idle,
        sheets=[
            SheetLogInfo(
                sheet=s.sheet.num,
                attempt=s.attempt,
                status=s.sheet.status.value,
                stdout=text(s.stdout),
                stderr=text(s.stderr),
            )
            for s in output.sheets
        ],
    )


def diagnose_result(
    job: JobStatusResult,
    notes: Iterable[JobNote],
    timeline: Attempts,
    errors: Attempts,
    files: JobFilesInfo,
) -> DiagnoseResult:
    return DiagnoseResult(
        job=job,
        notes=[NoteInfo(at=n.at, text=n.text) for n in notes],
        attempts=[attempt_detail_info(a) for a in timeline.attempts],
        total_attempts=timeline.total,
        errors=[attempt_detail_info(a) for a in errors.attempts],
        total_errors=errors.total,
        files=files,
    )
