"""What `podium top`'s action keys do: which request a key sends for the selected job or
sheet, the question asked before it is sent, or why it is refused. The requests are those
the CLI sends (`podium pause|resume|cancel|kill|recover`)."""

from __future__ import annotations

from dataclasses import dataclass

from podium.cli.commands.recover import RECHECK_TIMEOUT_SECONDS
from podium.ipc.methods import (
    APPROVALS_ANSWER,
    JOB_CANCEL,
    JOB_KILL,
    JOB_PAUSE,
    JOB_RECOVER,
    JOB_RESUME,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    from podium.ipc.client import ConductorClient

ACTION_KEYS = {
    "p": "pause",
    "r": "resume",
    "c": "cancel",
    "R": "retry",
    "x": "kill",
    "a": "approve",
    "d": "reject",
    "S": "skip",
}
"""Each action key and the action's name."""
FINISHED = ("completed", "failed", "cancelled")
ANSWERS = ("approve", "reject", "skip")
"""The answers to a question a sheet waits on (`podium approve|reject|skip`)."""


@dataclass(frozen=True, slots=True)
class Selection:
    """What the cursor is on: a job, or one of its sheets (a process row selects its sheet)."""

    job_id: str
    job_status: str
    sheet: int | None = None
    sheet_status: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """A request to send once the user says yes."""

    name: str
    question: str
    send: Callable[[ConductorClient], str]
    """Sends it; what the conductor answered."""


def plan(key: str, selection: Selection | None, *, readonly: bool) -> Action | str:
    """The action `key` asks for on `selection`, or why there is none."""
    name = ACTION_KEYS[key]
    if readonly:
        return f"read-only (--readonly): {name} is disabled"
    if selection is None:
        return f"select a job first ({name})"
    if name == "kill":
        return _kill(selection)
    if name == "retry":
        return _retry(selection)
    if name in ANSWERS:
        return _answer(name, selection)
    return _control(name, selection)


def _control(name: str, selection: Selection) -> Action | str:
    job_id, status = selection.job_id, selection.job_status
    if name == "pause" and status not in ("queued", "running"):
        return f"job {job_id} is {status}: only a queued or running job pauses"
    if name == "resume" and status not in ("paused", "paused_at_chain", "failed", "cancelled"):
        return f"job {job_id} is {status}: only a paused, failed or cancelled job resumes"
    if name == "cancel" and status in FINISHED:
        return f"job {job_id} is {status} already"
    return Action(name, f"{name.capitalize()} job {job_id}?", _sender(name, job_id))


def _sender(name: str, job_id: str) -> Callable[[ConductorClient], str]:
    def send(conductor: ConductorClient) -> str:
        if name == "pause":
            done = conductor.request(JOB_PAUSE({"job_id": job_id}))
        elif name == "resume":
            done = conductor.request(JOB_RESUME({"job_id": job_id}))
        else:
            done = conductor.request(JOB_CANCEL({"job_id": job_id}))
        return f"job {done['job_id']}: {done['message']}"

    return send


def _retry(selection: Selection) -> Action | str:
    sheet = selection.sheet
    if sheet is None:
        return "select a failed sheet to retry (Enter shows a job's sheets)"
    if selection.sheet_status not in ("failed", "cancelled", "skipped"):
        return f"sheet {sheet} is {selection.sheet_status}: only a failed sheet is retried"
    job_id = selection.job_id

    def send(conductor: ConductorClient) -> str:
        call = JOB_RECOVER({"job_id": job_id, "sheets": [sheet]})
        done = conductor.request(call, timeout=RECHECK_TIMEOUT_SECONDS)
        return f"job {done['job_id']}: {done['message']}"

    question = f"Recover sheet {sheet} of job {job_id} (check it again, as 'podium recover')?"
    return Action("retry", question, send)


def _kill(selection: Selection) -> Action | str:
    sheet = selection.sheet
    if sheet is None:
        return "select a running sheet (or one of its processes) to kill its attempt"
    if selection.sheet_status != "running":
        return f"sheet {sheet} is {selection.sheet_status}: only a running attempt is killed"
    job_id = selection.job_id

    def send(conductor: ConductorClient) -> str:
        done = conductor.request(JOB_KILL({"job_id": job_id, "sheet": sheet}))
        return f"job {done['job_id']}: {done['message']}"

    question = (
        f"Kill the running attempt of sheet {sheet} of job {job_id} (it runs again, its "
        "retries untouched)?"
    )
    return Action("kill", question, send)


def _answer(name: str, selection: Selection) -> Action | str:
    sheet = selection.sheet
    if sheet is None or selection.sheet_status != "awaiting_approval":
        return f"select a sheet awaiting approval to {name} it"
    job_id = selection.job_id
    answer: Literal["approve", "reject", "skip"] = (
        "approve" if name == "approve" else "reject" if name == "reject" else "skip"
    )

    def send(conductor: ConductorClient) -> str:
        done = conductor.request(
            APPROVALS_ANSWER({"job_id": job_id, "sheet": sheet, "answer": answer})
        )
        return f"job {done['job_id']}: {done['message']}"

    return Action(name, f"{name.capitalize()} sheet {sheet} of job {job_id}?", send)
