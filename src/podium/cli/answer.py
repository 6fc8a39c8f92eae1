"""What `podium approve|reject|skip JOB SHEET` share: their arguments and the one call."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client
from podium.domain.errors import UserError
from podium.ipc.methods import APPROVALS_ANSWER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from podium.ipc.approval_schema import AnswerParams

    AnswerWord = Literal["approve", "reject", "skip"]


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument("sheet", type=int, help="the sheet waiting for an answer")
    p.add_argument("--note", help="why (kept with the answer, shown in status and history)")
    p.add_argument(
        "--input",
        metavar="JSON|@FILE",
        help="what the question asks you to supply (JSON, checked against the score's "
        "schema; @FILE: a file's JSON); with approve it goes to the sheet's next attempt",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def send(args: argparse.Namespace, answer: AnswerWord, prompt: str | None = None) -> int:
    """Send the answer; print the conductor's word on it."""
    params: AnswerParams = {"job_id": args.job, "sheet": args.sheet, "answer": answer}
    if args.note:
        params["note"] = args.note
    if args.input is not None:
        params["input"] = prompt_text(args.input, "input")
    if prompt is not None:
        params["prompt"] = prompt
        params["replace_prompt"] = bool(getattr(args, "replace", False))
    with client() as conductor:
        done = conductor.request(APPROVALS_ANSWER(params))
    print(json.dumps(done) if args.json else f"job {done['job_id']}: {done['message']}")
    return exits.OK


def prompt_text(value: str, what: str = "prompt") -> str:
    """`--prompt TEXT`, or `--prompt @FILE` for a file's text (the same for `--input`)."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read the {what} file {path}: {exc.strerror}") from None
