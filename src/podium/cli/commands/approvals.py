"""`podium approvals [JOB] [--json]`: every question a sheet waits on, oldest first, with the
command that answers it."""

import argparse
import json

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.output import when
from podium.ipc.methods import APPROVALS_LIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.approval_schema import Approval, ApprovalsParams


PROMPT_LINES = 6
"""The lines of a sheet's prompt a question shows (`--json` has the rest)."""


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", nargs="?", help="only this job's questions")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    params: ApprovalsParams = {} if args.job is None else {"job_id": args.job}
    with client() as conductor:
        found = conductor.request(APPROVALS_LIST(params))["approvals"]
    if args.json:
        print(json.dumps(found))
    elif not found:
        print("no sheet waits for an answer")
    else:
        print("\n\n".join("\n".join(describe(a)) for a in found))
    return exits.OK


def describe(question: "Approval") -> list[str]:
    """A question in a few lines: what, since when, until when, and how to answer."""
    point = "before it runs" if question["point"] == "before" else "its checks passed"
    lines = [
        f"{question['job_id']} sheet {question['sheet']} ({point}): '{question['name']}'"
        + (f": {question['message']}" if question["message"] else ""),
        f"  asked {when(question['asked_at'])}"
        + (
            f"; answered by itself ({question['on_timeout']}) at {when(question['deadline'])}"
            if question["deadline"] is not None and question["on_timeout"] != "pause"
            else ""
        )
        + (
            f"; the job pauses at {when(question['deadline'])}"
            if question["deadline"] is not None
            and question["on_timeout"] == "pause"
            and not question["expired"]
            else ""
        )
        + ("; the job paused: no answer in time" if question["expired"] else ""),
        f"  {question['context']}",
    ]
    if question.get("changes"):
        lines.append(f"  {question['changes']}")
    prompt = question.get("prompt_shown", "").strip().splitlines()
    if prompt:
        more = f" (+{len(prompt) - PROMPT_LINES} more lines)" if len(prompt) > PROMPT_LINES else ""
        lines.append(f"  prompt{more}:")
        lines += [f"    {line}" for line in prompt[:PROMPT_LINES]]
    if question["input_schema"]:
        lines.append(f"  input: {question['input_schema']}")
    command = question["command"]
    rest = command.removeprefix("podium approve ")
    given = " --input JSON" if question["input_schema"] else ""
    lines.append(f"  answer: {command}{given} [--note TEXT] [--prompt @FILE]")
    lines.append(f"          podium reject {rest}   ·   podium skip {rest}")
    return lines
