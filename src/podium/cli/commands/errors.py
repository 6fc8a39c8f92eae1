"""`podium errors JOB`: a job's failed attempts, by sheet: class, code, message; with
--verbose, the failed checks and the end of each attempt's output."""

from __future__ import annotations

import argparse
import json

from podium.cli import exits
from podium.cli.arguments import sheet_option
from podium.cli.attempt_view import (
    JSON_TAIL_LINES,
    TYPE_COLORS,
    exit_text,
    group_by_sheet,
    tail_lines,
)
from podium.cli.connect import client
from podium.cli.job_view import failed_checks
from podium.cli.output import paint, status_text, use_color, when
from podium.ipc.methods import JOB_ERRORS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import AttemptDetailInfo, AttemptsResult, ErrorsParams

VERBOSE_TAIL_LINES = 10
"""Lines of each stream shown under a failed attempt with --verbose."""


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    sheet_option(p)
    p.add_argument(
        "--type",
        "-t",
        choices=("transient", "rate_limit", "permanent"),
        help="only this kind: transient (tried again within the retry budget: timeouts, "
        "crashes, failed runs, failed checks E2xx, an instrument that could not start), "
        "rate_limit (E1xx), permanent (never tried again on that instrument: authentication)",
    )
    p.add_argument("--code", "-c", metavar="CODE", help="only this error code (E001, E204…)")
    p.add_argument(
        "--verbose",
        "-V",
        action="store_true",
        help="also the failed checks (expected, found, fix) and the end of stdout and stderr",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
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
