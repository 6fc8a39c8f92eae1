"""Running a sheet's AI review (`ai_review`) once its checks passed: the reviewer's command,
on the sheet's workspace, with its prompt; its score made a check (`podium.domain.review`),
and what it cost kept with the attempt.

A reviewer that cannot start, runs past its timeout or answers without a score does not judge
the work: its check fails without failing the attempt (`advisory`), and says why.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from podium.domain.commands import RunValidations
from podium.domain.errors import UserError
from podium.domain.review import read_verdict, review_result
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.domain.work import ReviewRequest
from podium.runtime.checks.command import last_line
from podium.runtime.context import WorkerContext
from podium.runtime.executors.output import (
    RESULT_FILE,
    STDOUT_READ_LIMIT,
    read_end,
    write_prompt,
)
from podium.runtime.ports import CompiledJob
from podium.runtime.process import spawn, wait_within

TASK_READ_LIMIT = 256 * 1024
"""How much of the end of the attempt's (masked) prompt the review reads."""


@dataclass(frozen=True, slots=True)
class Reviewed:
    result: ValidationResult
    record: str | None
    """The review as kept with the attempt (JSON: score, instrument, model, tokens, cost)."""
    cost: float | None


async def review(
    job: CompiledJob,
    cmd: RunValidations,
    results: Sequence[ValidationResult],
    *,
    attempt_file: Callable[[str], Path],
    context: WorkerContext,
) -> Reviewed | None:
    """The review of the attempt's work, or None when the score asks for none."""
    prompt_file = attempt_file("review.input")
    request = ReviewRequest(
        cmd.attempt,
        prompt_file,
        read_end(attempt_file("prompt"), TASK_READ_LIMIT),
        read_end(attempt_file(RESULT_FILE), STDOUT_READ_LIMIT),
        tuple(results),
    )
    try:
        found = job.review(cmd.sheet, request)
    except UserError as exc:
        return _not_judged(f"the review could not start: {exc}")
    if found is None:
        return None
    work = found.work
    write_prompt(prompt_file, work.prompt)
    stdout, stderr = attempt_file("review.stdout.log"), attempt_file("review.stderr.log")
    try:
        child = spawn(
            work.argv,
            cwd=Path(work.cwd),
            stdout=stdout,
            stderr=stderr,
            stdin=prompt_file if work.prompt_on_stdin else None,
            env=dict(work.env),
        )
    except OSError as exc:
        return _not_judged(f"the review could not start: {exc}", found.rule)
    code = await wait_within(child, found.timeout_seconds, context.kill_grace_seconds)
    reading = work.read_output(read_end(stdout, STDOUT_READ_LIMIT))
    said = context.redact(reading.result or "")
    verdict = read_verdict(said)
    if code is None:
        result = _failed(found.rule, f"the review ran past {found.timeout_seconds:g}s")
    elif verdict.score is None and code != 0:
        why = context.redact(last_line(stderr) or last_line(stdout))
        result = _failed(found.rule, f"the review failed (exit code {code}): {why}")
    else:
        result = review_result(found.rule, verdict, found.target, said)
    usage = reading.usage
    record = {
        "score": verdict.score,
        "reason": verdict.reason,
        "instrument": found.instrument,
        "model": found.model,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cost": usage.cost if usage else None,
        "cost_estimated": usage.cost_estimated if usage else False,
    }
    return Reviewed(result, json.dumps(record), usage.cost if usage else None)


def _failed(rule: ValidationRule, detail: str) -> ValidationResult:
    return ValidationResult(replace(rule, advisory=True, fatal=False), False, detail)


def _not_judged(detail: str, rule: ValidationRule | None = None) -> Reviewed:
    rule = rule or ValidationRule(ValidationKind.AI_REVIEW, description="AI review")
    return Reviewed(_failed(rule, detail), None, None)
