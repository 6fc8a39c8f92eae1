"""What each tool takes: TypedDicts built on the conductor's own params (`podium.ipc.schema`),
so that a field renamed there is renamed here, and the tool's JSON Schema is derived from them.

Each one is closed (`extra="forbid"`): an agent that misspells an argument is told so instead
of having it ignored."""

from typing import Annotated, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from podium.ipc.approval_schema import AnswerParams, ApprovalsParams
from podium.ipc.schema import ErrorsParams, JobParams, ListParams, PauseParams

CLOSED = ConfigDict(extra="forbid")


@with_config(CLOSED)
class JobInput(JobParams):
    """A job, by its id."""


@with_config(CLOSED)
class ListInput(ListParams):
    """`job.list`'s filters."""


@with_config(CLOSED)
class PauseInput(PauseParams):
    """`job.pause`'s params."""


@with_config(CLOSED)
class ErrorsInput(ErrorsParams):
    """`job.errors`'s params."""


@with_config(CLOSED)
class ApprovalsInput(ApprovalsParams):
    """`approvals.list`'s params."""


@with_config(CLOSED)
class AnswerInput(AnswerParams):
    """`approvals.answer`'s params."""


@with_config(CLOSED)
class ResumeInput(TypedDict):
    """`job.resume`'s params that an agent may give (a new score goes through the CLI)."""

    job_id: str
    force: NotRequired[bool]
    no_reload: NotRequired[bool]


@with_config(CLOSED)
class LogsInput(TypedDict):
    """`job.logs` without following: the last lines of each stream."""

    job_id: str
    sheet: NotRequired[int]
    tail: NotRequired[int]


MAX_WAIT_SECONDS = 600.0
"""The longest `wait_job` waits in one call (agent CLIs give up on a tool call sooner or later)."""


@with_config(CLOSED)
class WaitInput(TypedDict):
    """A job to wait for, and for how long at most."""

    job_id: str
    timeout_seconds: NotRequired[Annotated[float, Field(gt=0, le=MAX_WAIT_SECONDS)]]


@with_config(CLOSED)
class ScoreInput(TypedDict):
    """A score file, relative to the server's working directory."""

    path: str


@with_config(CLOSED)
class RunInput(TypedDict):
    """`job.submit`'s params an agent gives, or a dry run of the score."""

    path: str
    dry_run: NotRequired[bool]
    start_sheet: NotRequired[int]
    workspace: NotRequired[str]
    fresh: NotRequired[bool]
