"""Every tool `podium mcp` offers: its name, what it does, what it takes (a TypedDict of
`podium.mcp_server.inputs`, whose JSON Schema the agent sees), whether it only reads, and the
function that does it. `--readonly` offers only those that read.

A call is checked against its input type, then run; whatever goes wrong that the agent can act
on (no such job, no conductor, a bad score, a bad argument) comes back as the tool's error
with the message a person would read, never as a failure of the server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from podium.domain.errors import PodiumError
from podium.ipc.client import ConductorUnavailable, RemoteError
from podium.mcp_server import jobs, scores
from podium.mcp_server.answers import Answer, ToolRefused
from podium.mcp_server.inputs import (
    AnswerInput,
    ApprovalsInput,
    ErrorsInput,
    JobInput,
    ListInput,
    LogsInput,
    PauseInput,
    ResumeInput,
    RunInput,
    ScoreInput,
    WaitInput,
)

Given = TypeVar("Given", bound=Mapping[str, Any])
"""A tool's input: a TypedDict."""

JOB_ID = "the job's id (its score file's stem: hello.yaml → hello; list_jobs lists them)"
SHEET = "a sheet's number (job_status lists them)"
ARGUMENTS: Mapping[str, str] = {
    "job_id": JOB_ID,
    "sheet": SHEET,
    "no_reload": "go on with the score the job was submitted with, not the file as it is now",
    "all": "include finished jobs, newest first",
    "limit": "at most this many",
    "statuses": "only jobs with one of these statuses: queued, running, paused, "
    "paused_at_chain, completed, failed, cancelled",
    "tail_lines": "the last lines of each failed attempt's stdout and stderr (10; at most 200)",
    "type": "only this kind of error: transient, rate_limit or permanent",
    "code": "only this error code (E001, E204…)",
    "tail": "the last lines of each stream (50)",
    "timeout_seconds": "wait at most this long (60; at most 600)",
    "answer": "approve (the sheet goes on), reject (it fails) or skip (the sheets after it run)",
    "note": "why (kept with the answer, shown in status and history)",
    "prompt": "with approve: instructions added after the sheet's prompt for its next attempt",
    "replace_prompt": "with prompt: it replaces the sheet's prompt instead",
    "input": "what the question asks to be supplied (JSON text, checked against its schema)",
    "path": "the score file, absolute or relative to the folder podium mcp was started in",
    "dry_run": "show the plan (sheets, instruments, dependencies) and submit nothing",
    "start_sheet": "skip the sheets before this one (they count as done for dependencies)",
    "workspace": "run in this folder instead of the score's workspace",
    "fresh": "archive the workspace's previous contents first (workspace_lifecycle)",
}
"""What each argument means, for the agent: the same words for the same field in every tool."""


@dataclass(frozen=True)
class ToolSpec(Generic[Given]):
    """One tool: what it is called, says and takes; whether it only reads or may destroy
    work; the function that does it."""

    name: str
    description: str
    takes: type[Given]
    does: Callable[[Given], Answer]
    reads: bool = False
    destroys: bool = False
    notes: Mapping[str, str] = field(default_factory=dict)
    """Argument descriptions of this tool's own, over `ARGUMENTS`."""

    @cached_property
    def _adapter(self) -> TypeAdapter[Given]:
        return TypeAdapter(self.takes)

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of `takes`, each argument described."""
        schema = self._adapter.json_schema()
        schema.pop("title", None)
        schema.pop("description", None)  # the tool says what it does
        for name, prop in schema.get("properties", {}).items():
            prop.pop("title", None)
            prop["description"] = self.notes.get(name) or ARGUMENTS[name]
        return schema

    def call(self, arguments: Mapping[str, object]) -> Answer:
        """Check `arguments` and run the tool; `ToolRefused` with the message for the agent
        when the arguments are wrong or the conductor refuses."""
        try:
            given = self._adapter.validate_python(dict(arguments))
        except ValidationError as exc:
            raise ToolRefused(_bad_arguments(self.name, exc)) from None
        try:
            return self.does(given)
        except ConductorUnavailable as exc:
            raise ToolRefused(str(exc)) from None
        except RemoteError as exc:
            raise ToolRefused(exc.message) from None
        except PodiumError as exc:
            # User errors (a bad score, a bad argument): their message says what to do.
            raise ToolRefused(str(exc)) from None


def _bad_arguments(tool: str, exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
    ]
    return f"{tool}: bad arguments: " + "; ".join(problems)


TOOLS: tuple[ToolSpec[Any], ...] = (
    ToolSpec(
        "list_jobs",
        "The conductor's jobs: the active ones (all=true: every job, newest first), with "
        "their status, sheets done, when submitted, how long they took, their score.",
        ListInput,
        jobs.list_jobs,
        reads=True,
    ),
    ToolSpec(
        "job_status",
        "One job as `podium status JOB` shows it: its progress, every sheet's status, what "
        "it waits for, recent errors and what to do next.",
        JobInput,
        jobs.job_status,
        reads=True,
    ),
    ToolSpec(
        "wait_job",
        "Wait until a job completes, fails, is cancelled or paused, or one of its sheets "
        "waits for a person (at most timeout_seconds), then show it as job_status does. "
        "Watching a job: call it again while it runs.",
        WaitInput,
        jobs.wait_job,
        reads=True,
    ),
    ToolSpec(
        "job_errors",
        "Why a job's sheets failed: each failed attempt by sheet with its error class, code "
        "and message, its failed checks (expected, found, fix) and the end of its output.",
        ErrorsInput,
        jobs.job_errors,
        reads=True,
        notes={"limit": "at most this many attempts, the newest (50)"},
    ),
    ToolSpec(
        "job_logs",
        "The output of a job's attempts: the last lines of stdout and stderr of each "
        "sheet's latest attempt (or of one sheet's), credentials masked.",
        LogsInput,
        jobs.job_logs,
        reads=True,
    ),
    ToolSpec(
        "list_approvals",
        "The questions sheets wait on (approval gates), oldest first: what is asked, its "
        "context, the sheet's prompt, and until when.",
        ApprovalsInput,
        jobs.list_approvals,
        reads=True,
        notes={"job_id": "only this job's questions"},
    ),
    ToolSpec(
        "validate_score",
        "Check a score file (schema, references, Marianne's checks) without running it: "
        "every finding with its line, and the sheets by movement. Needs no conductor.",
        ScoreInput,
        scores.validate_score,
        reads=True,
    ),
    ToolSpec(
        "run_score",
        "Submit a score to the running conductor (a new job; its id comes back), or with "
        "dry_run=true show its plan and submit nothing (no conductor needed).",
        RunInput,
        scores.run_score,
    ),
    ToolSpec(
        "pause_job",
        "Pause a job: nothing new of it starts; attempts in flight finish (or stop now, "
        "with force). resume_job goes on.",
        PauseInput,
        jobs.pause_job,
        notes={
            "force": "stop the running attempts now (they run again on resume, budget untouched)"
        },
    ),
    ToolSpec(
        "resume_job",
        "Resume a paused, failed or cancelled job: its unfinished sheets run again, "
        "completed ones never (with force, a completed job runs again whole).",
        ResumeInput,
        jobs.resume_job,
        notes={"force": "also resume a completed job: every sheet runs again, with a fresh budget"},
    ),
    ToolSpec(
        "cancel_job",
        "Cancel a job: its running attempts are stopped and no sheet of it starts again "
        "unless it is resumed.",
        JobInput,
        jobs.cancel_job,
        destroys=True,
    ),
    ToolSpec(
        "answer_approval",
        "Answer a sheet that waits for a person (list_approvals lists them): approve, "
        "reject or skip it; the first answer wins.",
        AnswerInput,
        jobs.answer_approval,
    ),
)
"""Every tool, the reading ones first."""


def offered(readonly: bool) -> tuple[ToolSpec[Any], ...]:
    """The tools a server offers: only those that read with `readonly`."""
    return tuple(t for t in TOOLS if t.reads or not readonly)
