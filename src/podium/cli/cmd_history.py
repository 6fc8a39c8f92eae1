"""`podium history JOB` and `podium errors JOB`: a job's attempts, and those that went wrong."""

from __future__ import annotations

import argparse
import json
import signal
import time

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.job_view import failed_checks, hooks_block
from podium.cli.output import duration, paint, status_text, use_color, when
from podium.domain.errors import UserError
from podium.ipc.methods import JOB_ERRORS, JOB_HISTORY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import AttemptDetailInfo, AttemptsResult, ErrorsParams, HistoryParams

TEXT_TAIL_LINES = 3
"""Lines of each stream shown under an attempt (`errors --verbose`: VERBOSE_TAIL_LINES)."""
VERBOSE_TAIL_LINES = 10
JSON_TAIL_LINES = 20
TYPE_COLORS = {"transient": "yellow", "rate_limit": "blue", "permanent": "red"}


def history_main(args: argparse.Namespace) -> int:
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


def errors_main(args: argparse.Namespace) -> int:
    params: ErrorsParams = {
        "job_id": args.job,
        "tail_lines": JSON_TAIL_LINES if args.json else VERBOSE_TAIL_LINES if args.verbose else 0,
    }
    if args.sheet is not None:
        params["sheet"] = args.sheet
    if args.type is not None:
        params["type"] = args.type
    if args.code is not None:
        params["code"] = args.code
    with client() as conductor:
        found = conductor.request(JOB_ERRORS(params))
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print(render_errors(found, use_color(), verbose=args.verbose))
    return exits.OK


def _positive(flag: str, value: int) -> int:
    if value < 1:
        raise UserError(f"{flag} must be at least 1, got {value}")
    return value


# ---- history ------------------------------------------------------------------------------


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


def exit_text(attempt: AttemptDetailInfo) -> str | None:
    """'exit code 1', 'killed by SIGKILL'; None while it runs."""
    if attempt["signal"] is not None:
        try:
            return f"killed by {signal.Signals(attempt['signal']).name}"
        except ValueError:
            return f"killed by signal {attempt['signal']}"
    if attempt["exit_code"] is not None:
        return f"exit code {attempt['exit_code']}"
    return None


def tail_lines(stream: str, text: str) -> list[str]:
    rows = text.rstrip("\n").splitlines()
    if not rows:
        return []
    label = f"  {stream}"
    return [f"{label if i == 0 else ' ' * len(label)}  │ {row}" for i, row in enumerate(rows)]


# ---- errors -------------------------------------------------------------------------------


def group_by_sheet(
    attempts: list[AttemptDetailInfo],
) -> list[tuple[int, list[AttemptDetailInfo]]]:
    """Attempts grouped by sheet (in sheet order), each group oldest first."""
    groups: dict[int, list[AttemptDetailInfo]] = {}
    for attempt in sorted(attempts, key=lambda a: (a["sheet"], a["attempt"])):
        groups.setdefault(attempt["sheet"], []).append(attempt)
    return sorted(groups.items())


def render_errors(found: AttemptsResult, color: bool, *, verbose: bool) -> str:
    attempts = found["attempts"]
    if not attempts:
        return f"job {found['job_id']} ({found['status']}): no failed attempts match"
    lines = [
        f"{paint(found['job_id'], 'bold', color)}  {status_text(found['status'], color)}  "
        f"{found['total']} failed attempt(s)"
    ]
    for sheet, group in group_by_sheet(attempts):
        lines += ["", paint(f"sheet {sheet}", "bold", color)]
        for attempt in group:
            lines.append(_error_line(attempt, color))
            if verbose:
                lines += [f"  {row}" for row in failed_checks(attempt["checks"])]
                lines += [
                    f"  {row}"
                    for row in tail_lines("stdout", attempt["stdout_tail"])
                    + tail_lines("stderr", attempt["stderr_tail"])
                ]
    if found["total"] > len(attempts):
        lines += ["", f"(the latest {len(attempts)} of {found['total']} failed attempts)"]
    if not verbose:
        lines += ["", "--verbose shows the failed checks and the end of each attempt's output"]
    return "\n".join(lines)


def _error_line(attempt: AttemptDetailInfo, color: bool) -> str:
    kind = attempt["error_type"] or "?"
    code = paint(f"{attempt['error_code']} {kind:<10}", TYPE_COLORS.get(kind), color)
    return (
        f"  attempt {attempt['attempt']:<3} {when(attempt['started_at'])}  {code} "
        f"{attempt['error'] or ', '.join(filter(None, (attempt['outcome'], exit_text(attempt))))}"
    )
