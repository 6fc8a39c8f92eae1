"""`podium history JOB`: every attempt of a job: when, what ran it, how it ended, its checks
and the end of its output; then the job's hooks."""

from __future__ import annotations

import argparse
import json
import time

from podium.cli import exits
from podium.cli.arguments import sheet_option
from podium.cli.attempt_view import (
    JSON_TAIL_LINES,
    TYPE_COLORS,
    exit_text,
    feedback_text,
    review_text,
    tail_lines,
)
from podium.cli.connect import client
from podium.cli.job_view import failed_checks, hooks_block
from podium.cli.output import duration, paint, status_text, use_color, when
from podium.domain.errors import UserError
from podium.ipc.methods import JOB_HISTORY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import AttemptDetailInfo, AttemptsResult, HistoryParams

TEXT_TAIL_LINES = 3
"""Lines of each stream shown under an attempt."""


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    sheet_option(p)
    p.add_argument("--limit", "-n", type=int, default=50, help="the latest N attempts (default 50)")
    p.add_argument(
        "--json", action="store_true", help="print JSON (with the last 20 lines of each stream)"
    )


def run(args: argparse.Namespace) -> int:
    params: HistoryParams = {
        "job_id": args.job,
        "limit": _positive("--limit", args.limit),
        "tail_lines": JSON_TAIL_LINES if args.json else TEXT_TAIL_LINES,
    }
    if args.sheet is not None:
        params["sheet"] = args.sheet
    with client() as conductor:
        found = conductor.request(JOB_HISTORY(params))
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print(render_history(found, use_color()))
    return exits.OK


def _positive(flag: str, value: int) -> int:
    if value < 1:
        raise UserError(f"{flag} must be at least 1, got {value}")
    return value


def render_history(found: AttemptsResult, color: bool) -> str:
    """Each attempt (latest last): when, sheet, outcome and code, what ran it, how it ended,
    what it used, its checks, and the end of its output; then the job's hooks."""
    attempts = found["attempts"][::-1]
    hooks = hooks_block(found.get("hooks") or [], color, time.time())
    if not attempts:
        return "\n".join([f"job {found['job_id']} ({found['status']}) has no attempts yet", *hooks])
    lines = [f"{paint(found['job_id'], 'bold', color)}  {status_text(found['status'], color)}"]
    for attempt in attempts:
        lines += ["", *attempt_block(attempt, color)]
    if found["total"] > len(attempts):
        lines += [
            "",
            f"(the latest {len(attempts)} of {found['total']} attempts; --limit shows more)",
        ]
    return "\n".join([*lines, *hooks])


def attempt_block(attempt: AttemptDetailInfo, color: bool, *, checks: str = "all") -> list[str]:
    """An attempt in a few lines. `checks`: 'all' shows every check's mark, 'failed' shows the
    failed ones with what they expected, found, and what would fix them."""
    lines = [_title(attempt, color), f"  {' · '.join(_facts(attempt))}"]
    if attempt["error"]:
        lines.append(f"  {paint('error', 'red', color)}  {attempt['error']}")
    if "feedback" in attempt:
        lines.append(f"  feedback  {feedback_text(attempt['feedback'])}")
    if "review" in attempt:
        lines.append(f"  review    {review_text(attempt['review'])}")
    if checks == "all" and attempt["checks"]:
        marks = [
            f"{'✓' if c['passed'] else '✗' if c['checked'] else '-'} {c['check']}"
            for c in attempt["checks"]
        ]
        lines.append(f"  checks  {'   '.join(marks)}")
    elif checks == "failed":
        lines += failed_checks(attempt["checks"])
    lines += tail_lines("stdout", attempt["stdout_tail"]) + tail_lines(
        "stderr", attempt["stderr_tail"]
    )
    return lines


def _title(attempt: AttemptDetailInfo, color: bool) -> str:
    outcome = attempt["outcome"]
    shown = (
        status_text(outcome, color)
        if outcome in ("running", "validating")
        else paint(outcome, "green" if outcome == "succeeded" else "red", color)
    )
    title = f"{when(attempt['started_at'])}  sheet {attempt['sheet']}  attempt {attempt['attempt']}"
    title += f"  {shown}"
    if attempt["mode"] != "normal":
        title += f" ({attempt['mode']})"
    if attempt["error_code"]:
        kind = attempt["error_type"]
        tint = TYPE_COLORS.get(kind) if kind else None
        title += "  " + paint(f"{attempt['error_code']} {kind}", tint, color)
    return title


def _facts(attempt: AttemptDetailInfo) -> list[str]:
    """'cli (default model)', 'exit code 1', 'took 0.4s', '120 in / 30 out tokens', '$0.01'."""
    facts = [f"{attempt['instrument'] or '?'} ({attempt['model'] or 'default model'})"]
    ending = exit_text(attempt)
    if ending:
        facts.append(ending)
    end = attempt["ended_at"] or attempt["exited_at"]
    if end is not None:
        facts.append(f"took {duration(max(0.0, end - attempt['started_at']))}")
    elif attempt["outcome"] in ("running", "validating"):
        facts.append(f"running for {duration(max(0.0, time.time() - attempt['started_at']))}")
    if attempt["input_tokens"] is not None or attempt["output_tokens"] is not None:
        facts.append(
            f"{attempt['input_tokens'] or 0:,} in / {attempt['output_tokens'] or 0:,} out tokens"
        )
    if attempt["cost"] is not None:
        estimated = " (estimated)" if attempt["cost_estimated"] else ""
        facts.append(f"${attempt['cost']:.4f}{estimated}")
    return facts
