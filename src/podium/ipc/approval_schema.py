"""The parameters and results of the `approvals.*` methods, as TypedDicts (see `schema`), and
an approval question's wire shape (also the data of the stream's `approval` events)."""

from typing import Literal, NotRequired

from typing_extensions import TypedDict


class Approval(TypedDict):
    """One approval question, open or answered."""

    job_id: str
    sheet: int
    name: str
    """The trigger's name."""
    message: str
    point: str
    """before (the sheet has not run), or after_checks (its checks passed)."""
    asked_at: float
    deadline: float | None
    on_timeout: str
    context: str
    input_schema: str | None
    """A JSON Schema (JSON text) for what the person supplies, when the score gives one."""
    answer: str | None
    """approve, reject or skip; None while open."""
    answered_at: float | None
    answered_by: str | None
    note: str | None
    prompt: str | None
    replace_prompt: bool
    expired: bool
    """Its deadline passed with on_timeout: pause (the job paused; it is still open)."""
    command: str
    """The command that approves it (reject and skip take the same arguments)."""
    prompt_shown: NotRequired[str]
    """In `approvals.list`: the sheet's rendered prompt (its first 4,000 characters)."""
    changes: NotRequired[str]
    """In `approvals.list`: the files of the workspace written since the sheet's latest
    attempt started (since the job started, for a question asked before the sheet ran)."""


class ApprovalsParams(TypedDict):
    job_id: NotRequired[str]
    """Only this job's questions."""


class ApprovalsResult(TypedDict):
    approvals: list[Approval]
    """Every open question, oldest first."""


class AnswerParams(TypedDict):
    job_id: str
    sheet: int
    answer: Literal["approve", "reject", "skip"]
    note: NotRequired[str]
    prompt: NotRequired[str]
    """With approve: text for the sheet's next attempt, appended to its prompt."""
    replace_prompt: NotRequired[bool]
    """With prompt: it replaces the sheet's prompt instead."""
    input: NotRequired[str]
    """What the person supplies (JSON text), checked against the question's `input` schema;
    with approve, it goes to the sheet's next attempt after its prompt."""
