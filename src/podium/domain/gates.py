"""Approval gates: a person answers before a sheet starts or after its checks pass.

A score's `checkpoints` (or `approvals`) triggers become one `GatePlan` per gated sheet; when
the engine reaches the gate it opens a `GateRecord`, the durable question, and the sheet waits
in `awaiting_approval` until the first answer (a person's, or its deadline's `on_timeout`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from podium.domain.ids import JobId, SheetNum
from podium.domain.validation import ValidationResult, failure_summary


class GateWhen(StrEnum):
    BEFORE = "before"
    """Before the sheet's first attempt starts."""
    AFTER_CHECKS = "after_checks"
    """Once an attempt's validations passed, before the sheet counts as completed."""


class Answer(StrEnum):
    APPROVE = "approve"
    """Marianne's `proceed` (with a prompt: `modify_prompt`)."""
    REJECT = "reject"
    """Marianne's `abort`: the sheet fails."""
    SKIP = "skip"
    """The sheet is skipped; the sheets after it run."""


class OnTimeout(StrEnum):
    PAUSE = "pause"
    """The job pauses; the question stays open."""
    APPROVE = "approve"
    REJECT = "reject"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class GatePlan:
    """The gate a sheet passes, as the score's trigger set it."""

    name: str
    message: str = ""
    when: GateWhen = GateWhen.BEFORE
    confirm: bool = True
    """False (`requires_confirmation: false`): a notice is recorded and the sheet goes on."""
    min_retry: int | None = None
    """Marianne's `min_retry_count`: asked only once the sheet failed this many times."""
    cost_over: float | None = None
    """Asked only once the sheet's cost (or, with `job`, the job's) passed this."""
    cost_of_job: bool = False
    timeout_seconds: float | None = None
    on_timeout: OnTimeout = OnTimeout.PAUSE
    input_schema: str | None = None
    """A JSON Schema (as JSON text) for what the person supplies, shown with the question."""


@dataclass(frozen=True, slots=True)
class GateRecord:
    """One question about one sheet, and its answer once given: one row per sheet, replaced
    when the sheet is asked again (after a reset)."""

    job_id: JobId
    sheet: SheetNum
    name: str
    message: str
    point: GateWhen
    """When it is asked: before the sheet runs, or after its checks passed."""
    asked_at: float
    deadline: float | None = None
    on_timeout: OnTimeout = OnTimeout.PAUSE
    context: str = ""
    """What the person should know: the sheet, its cost so far, its checks."""
    input_schema: str | None = None
    answer: Answer | None = None
    answered_at: float | None = None
    answered_by: str | None = None
    """'a person', or 'its deadline' for an `on_timeout` answer."""
    note: str | None = None
    prompt: str | None = None
    """The person's text for the sheet's next attempt (Marianne's `modify_prompt`)."""
    replace_prompt: bool = False
    """True: `prompt` replaces the sheet's prompt; False: it is appended to it."""
    expired: bool = False
    """Its deadline passed with `on_timeout: pause`: the job paused, the question stays."""

    @property
    def is_open(self) -> bool:
        return self.answer is None

    def answered(
        self,
        answer: Answer,
        at: float,
        by: str,
        *,
        note: str | None = None,
        prompt: str | None = None,
        replace_prompt: bool = False,
    ) -> "GateRecord":
        """The record with its answer."""
        return replace(
            self,
            answer=answer,
            answered_at=at,
            answered_by=by,
            note=note,
            prompt=prompt,
            replace_prompt=replace_prompt,
        )


COST_GATE = "cost_limits"
"""The name of the question a sheet asks when its job is over a cost limit (`on_exceed:
ask`)."""
GROUNDING_GATE = "grounding"
"""The question a sheet asks when its grounding checks failed with `escalate_on_failure`."""


def grounding_gate(failed: Sequence[ValidationResult]) -> GatePlan | None:
    """After the sheet's own checks passed and grounding checks that escalate did not: the
    question for a person, who accepts the work as it is or fails the sheet."""
    escalated = [r for r in failed if r.rule.escalate]
    if not escalated:
        return None
    return GatePlan(
        GROUNDING_GATE,
        f"grounding failed: {failure_summary(escalated)}; approve to accept the sheet's work "
        "as it is, reject to fail the sheet",
        GateWhen.AFTER_CHECKS,
    )


BY_PERSON = "a person"
BY_DEADLINE = "its deadline"


def answer_command(job_id: str, sheet: int) -> str:
    """The command a person types to approve the sheet (reject and skip are alike)."""
    return f"podium approve {job_id} {sheet}"


def waiting_detail(job_id: str, sheets: Sequence[int]) -> str:
    """What a running job whose sheets wait for a person says it waits for."""
    first = min(sheets)
    which = f"sheet {first}" if len(sheets) == 1 else f"sheets {', '.join(map(str, sheets))}"
    return (
        f"waiting for a person to approve {which}: {answer_command(job_id, first)} "
        "(or reject, skip)"
    )
