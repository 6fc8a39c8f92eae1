"""The tools on jobs: each asks the conductor one thing through the typed client and answers
with what the CLI shows for it (its own views, without colour) and the conductor's answer."""

from __future__ import annotations

import io
import time

from podium.cli.commands.approvals import describe
from podium.cli.commands.errors import render_errors
from podium.cli.commands.logs import LogPrinter
from podium.cli.connect import client
from podium.cli.follow import STOPS
from podium.cli.job_view import render_job
from podium.cli.overview import jobs_table
from podium.ipc.methods import (
    APPROVALS_ANSWER,
    APPROVALS_LIST,
    JOB_CANCEL,
    JOB_ERRORS,
    JOB_LIST,
    JOB_LOGS,
    JOB_PAUSE,
    JOB_RESUME,
    JOB_STATUS,
)
from podium.mcp_server.answers import Answer, clip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.methods import Call, P
    from podium.ipc.schema import (
        ControlResult,
        ErrorsParams,
        JobStatusResult,
        LogsParams,
        LogsResult,
        ResumeParams,
        SubscribeParams,
    )
    from podium.mcp_server.inputs import (
        AnswerInput,
        ApprovalsInput,
        ErrorsInput,
        JobInput,
        ListInput,
        LogsInput,
        PauseInput,
        ResumeInput,
        WaitInput,
    )

DEFAULT_WAIT_SECONDS = 60.0
"""How long `wait_job` waits without `timeout_seconds`."""
DEFAULT_TAIL = 50
"""Lines of each stream `job_logs` shows without `tail`."""
ERROR_TAIL_LINES = 10
"""Lines of each failed attempt's output `job_errors` shows without `tail_lines`."""
OUTPUT_LINES = 200
"""Lines of a sheet's latest output its resource holds."""


def list_jobs(given: ListInput) -> Answer:
    """The active jobs (every job with `all`, or those of some `statuses`), as `podium list`."""
    with client() as conductor:
        found = conductor.request(JOB_LIST(given))
    jobs = found["jobs"]
    if not jobs:
        if given.get("all") or given.get("statuses"):
            return Answer("no jobs", found)
        return Answer("no active jobs (all=true lists finished ones too)", found)
    text = jobs_table(jobs, False, time.time())
    if found["total"] > len(jobs):
        text += f"\n({len(jobs)} of {found['total']}; a larger limit shows more)"
    return Answer(clip(text, "give a smaller limit or some statuses"), found)


def job_status(given: JobInput) -> Answer:
    """The job as `podium status JOB` shows it: progress, sheets, waits, errors, next steps."""
    with client() as conductor:
        job = conductor.request(JOB_STATUS({"job_id": given["job_id"]}))
    return Answer(status_text(job), job)


def status_text(job: JobStatusResult) -> str:
    more = f"'podium status {job['job_id']} --json' has every sheet; job_errors what failed"
    return clip(render_job(job, False, time.time()), more)


def wait_job(given: WaitInput) -> Answer:
    """Wait until the job completes, fails, is cancelled or paused, or a sheet of it waits
    for a person (or `timeout_seconds` pass), on the conductor's event stream; then its view."""
    from podium.cli.changes import Changes  # noqa: PLC0415 - the stream, for this tool only

    job_id, timeout = given["job_id"], given.get("timeout_seconds", DEFAULT_WAIT_SECONDS)
    deadline = time.monotonic() + timeout
    interest: SubscribeParams = {"job_ids": [job_id], "kinds": ["job", "sheet"]}
    with client() as conductor, Changes(conductor.socket_path, interest) as changes:
        while True:
            job = conductor.request(JOB_STATUS({"job_id": job_id}))
            if _settled(job):
                return Answer(status_text(job), job)
            left = deadline - time.monotonic()
            if left <= 0:
                note = (
                    f"job {job_id} is still {job['status']} after {timeout:g}s; "
                    "wait_job again waits longer"
                )
                return Answer(f"{note}\n\n{status_text(job)}", job)
            changes.wait(left)


def _settled(job: JobStatusResult) -> bool:
    """Whether nothing more happens to the job without someone's word."""
    if job["status"] in STOPS and not job["resume_when_idle"]:
        return True
    return any(s["status"] == "awaiting_approval" for s in job["sheets"])


def job_errors(given: ErrorsInput) -> Answer:
    """The job's failed attempts by sheet, with their failed checks and the end of their
    output (`podium errors JOB --verbose`)."""
    params: ErrorsParams = {"tail_lines": ERROR_TAIL_LINES, **given}
    with client() as conductor:
        found = conductor.request(JOB_ERRORS(params))
    more = "ask for one sheet (sheet=N), fewer attempts (limit) or fewer lines (tail_lines)"
    return Answer(clip(render_errors(found, False, verbose=True), more), found)


def job_logs(given: LogsInput) -> Answer:
    """The last lines of the output of each sheet's latest attempt (or of one sheet's)."""
    params: LogsParams = {"job_id": given["job_id"], "lines": given.get("tail", DEFAULT_TAIL)}
    if "sheet" in given:
        params["sheet"] = given["sheet"]
    with client() as conductor:
        found = conductor.request(JOB_LOGS(params))
    more = "ask for one sheet (sheet=N) or fewer lines (tail=N)"
    return Answer(clip(logs_text(found), more, keep="tail"), _logs_data(found))


def logs_text(found: LogsResult) -> str:
    """The answer of `job.logs` as `podium logs JOB` prints it."""
    if not found["sheets"]:
        return f"job {found['job_id']} ({found['status']}): no attempt has written output yet"
    out = io.StringIO()
    LogPrinter(out, as_json=False).show(found, listing=True)
    return out.getvalue()


def _logs_data(found: LogsResult) -> dict[str, object]:
    """Where each stream's output lies, without the text (the text answer has it)."""
    sheets = [
        {
            "sheet": s["sheet"],
            "attempt": s["attempt"],
            "status": s["status"],
            "stdout": s["stdout"]["path"],
            "stderr": s["stderr"]["path"],
        }
        for s in found["sheets"]
    ]
    return {"job_id": found["job_id"], "status": found["status"], "sheets": sheets}


def pause_job(given: PauseInput) -> Answer:
    """Nothing new of the job starts; attempts in flight finish (or stop, with `force`)."""
    return _control(JOB_PAUSE(given))


def resume_job(given: ResumeInput) -> Answer:
    """A paused, failed or cancelled job goes on (a completed one runs again with `force`)."""
    params: ResumeParams = {"job_id": given["job_id"]}
    if "force" in given:
        params["force"] = given["force"]
    if "no_reload" in given:
        params["no_reload"] = given["no_reload"]
    return _control(JOB_RESUME(params))


def cancel_job(given: JobInput) -> Answer:
    """The job is cancelled; its running attempts are stopped."""
    return _control(JOB_CANCEL({"job_id": given["job_id"]}))


def list_approvals(given: ApprovalsInput) -> Answer:
    """Every question a sheet waits on (of one job, when named), oldest first."""
    with client() as conductor:
        found = conductor.request(APPROVALS_LIST(given))
    questions = found["approvals"]
    if not questions:
        return Answer("no sheet waits for an answer", found)
    text = "\n\n".join("\n".join(describe(q)) for q in questions)
    text += "\n\nanswer one with answer_approval (job_id, sheet, answer: approve, reject or skip)"
    return Answer(clip(text, "name one job (job_id)"), found)


def answer_approval(given: AnswerInput) -> Answer:
    """Approve, reject or skip a sheet that waits for a person; the first answer wins."""
    return _control(APPROVALS_ANSWER(given))


def _control(call: Call[P, ControlResult]) -> Answer:
    with client() as conductor:
        done = conductor.request(call)
    return Answer(f"job {done['job_id']}: {done['message']}", done)


def sheet_output(job_id: str, sheet: int) -> str:
    """The end of the output of the sheet's latest attempt (a resource's text)."""
    with client() as conductor:
        found = conductor.request(
            JOB_LOGS({"job_id": job_id, "sheet": sheet, "lines": OUTPUT_LINES})
        )
    more = f"job_logs with sheet={sheet} and a smaller tail reads less"
    return clip(logs_text(found), more, keep="tail")


def job_text(job_id: str) -> str:
    """The job's view (a resource's text)."""
    with client() as conductor:
        return status_text(conductor.request(JOB_STATUS({"job_id": job_id})))
