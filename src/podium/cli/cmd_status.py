"""`podium status [JOB]` and `podium list`."""

from __future__ import annotations

import argparse
import json
import time

from podium.cli import exits
from podium.cli.cmd_control import describe_rate_limits
from podium.cli.connect import client
from podium.cli.follow import waiting_for
from podium.cli.output import duration, paint, status_text, table, use_color, when
from podium.domain.errors import UserError

HISTORY_SHOWN = 8
"""Notes shown under a job (`--json` has the last 50)."""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def main(args: argparse.Namespace) -> int:
    with client() as conductor:
        if args.job:
            job = conductor.call("job.status", {"job_id": args.job})
            print(json.dumps(job, indent=2) if args.json else render_job(job, use_color()))
            return exits.OK
        info = conductor.call("daemon.status")
        active = conductor.call("job.list", {"all": False, "limit": 1000})
        recent = conductor.call("job.list", {"all": True, "limit": 5})
    if args.json:
        print(
            json.dumps(
                {"conductor": info, "active": active["jobs"], "recent": recent["jobs"]}, indent=2
            )
        )
        return exits.OK
    color = use_color()
    print(
        f"conductor: pid {info['pid']}, up {duration(info['uptime_seconds'])}, "
        f"{info['running_jobs']}/{info['max_concurrent_jobs']} job(s) and "
        f"{info['running_sheets']}/{info['max_concurrent_sheets']} sheet(s) running"
    )
    for line in describe_rate_limits(info["rate_limits"]):
        print(f"  {paint(line, 'yellow', color)}")
    print()
    print("active jobs:" if active["jobs"] else "no active jobs")
    if active["jobs"]:
        print(_jobs_table(active["jobs"], color))
    finished = [j for j in recent["jobs"] if j["finished_at"] is not None]
    if finished:
        print()
        print("recently finished:")
        print(_jobs_table(finished, color))
    return exits.OK


def list_main(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, got {args.limit}")
    with client() as conductor:
        found = conductor.call("job.list", {"all": args.all, "limit": args.limit})
    if args.json:
        print(json.dumps(found, indent=2))
        return exits.OK
    jobs = found["jobs"]
    if not jobs:
        print("no jobs" if args.all else "no active jobs (podium list --all shows finished ones)")
        return exits.OK
    print(_jobs_table(jobs, use_color()))
    if found["total"] > len(jobs):
        print(f"({len(jobs)} of {found['total']}; --limit shows more)")
    return exits.OK


def _jobs_table(jobs: list[dict[str, Any]], color: bool) -> str:
    plain = [_job_row(j, False) for j in jobs]
    rows = [_job_row(j, color) for j in jobs] if color else plain
    return table(["JOB", "STATUS", "SHEETS", "SUBMITTED", "TOOK", "SCORE"], rows, plain)


def _job_row(job: dict[str, Any], color: bool) -> list[str]:
    start, end = job["started_at"], job["finished_at"] or time.time()
    return [
        job["job_id"],
        status_text(job["status"], color),
        f"{job['completed_sheets']}/{job['total_sheets']}",
        when(job["submitted_at"]),
        duration(end - start) if start else "-",
        job["score_path"],
    ]


def render_job(job: dict[str, Any], color: bool) -> str:
    """A job's header, its sheet table, what went wrong where, and its latest history."""
    plain = [_sheet_row(s, False) for s in job["sheets"]]
    rows = [_sheet_row(s, color) for s in job["sheets"]] if color else plain
    return "\n".join(
        [
            *_header(job, color),
            "",
            table(
                ["SHEET", "STATUS", "ATTEMPTS", "INSTRUMENT", "AFTER", "DESCRIPTION"], rows, plain
            ),
            *_sheet_notes(job["sheets"]),
            *_history(job["history"]),
        ]
    )


def _header(job: dict[str, Any], color: bool) -> list[str]:
    lines = [
        f"{paint(job['job_id'], 'bold', color)}  {status_text(job['status'], color)}  "
        f"{job['completed_sheets']}/{job['total_sheets']} sheets completed"
    ]
    start = job["started_at"]
    if start:
        end = job["finished_at"] or time.time()
        lines.append(
            f"  started {when(start)}, "
            f"{'took' if job['finished_at'] else 'running for'} {duration(end - start)}"
        )
    lines.append(f"  score      {job['score_path']}")
    lines.append(f"  workspace  {job['workspace']}")
    usage = job.get("usage") or {}
    if job["cost"] or usage.get("input_tokens") or usage.get("output_tokens"):
        lines.append(f"  usage      {_usage_text(job['cost'], usage)}")
    if job["detail"]:
        lines.append(f"  {paint('note', 'yellow', color)}       {job['detail']}")
    if job["error"]:
        lines.append(f"  {paint('error', 'red', color)}      {job['error']}")
    lines.extend(
        f"  {paint('waiting', 'yellow', color)}    {line}"
        for line in describe_rate_limits(job["rate_limits"])
    )
    return lines


def _sheet_notes(sheets: list[dict[str, Any]]) -> list[str]:
    """What each waiting sheet waits for, and each problem with where its logs are."""
    lines = [f"sheet {s['num']}: {waiting_for(s)}" for s in sheets if s["status"] == "waiting"]
    problems = [s for s in sheets if s["error"] and s["status"] not in ("completed", "waiting")]
    for sheet in problems[:10]:
        attempt = sheet.get("last_attempt") or {}
        code = f" [{attempt['error_code']}]" if attempt.get("error_code") else ""
        lines += ["", f"sheet {sheet['num']}{code}: {sheet['error']}"]
        lines += _failed_checks(attempt.get("checks") or [])
        if sheet["logs"]:
            lines.append(f"  logs: {sheet['logs']}")
    if len(problems) > 10:
        lines.append(f"… and {len(problems) - 10} more sheets with errors (--json shows all)")
    return lines


def _failed_checks(checks: list[dict[str, Any]]) -> list[str]:
    """Each check that failed: what it expected, what was found, what would fix it."""
    lines = []
    for check in checks:
        if check["passed"] or not check["checked"]:
            continue
        lines += [
            f"  ✗ {check['check']}",
            f"      expected  {check['expected']}",
            f"      found     {check['actual']}",
            f"      fix       {check['fix']}",
        ]
    unchecked = sum(1 for c in checks if not c["checked"])
    if unchecked:
        lines.append(f"  ({unchecked} later-stage check(s) not run)")
    return lines


def _usage_text(cost: float, usage: dict[str, Any]) -> str:
    parts = []
    if usage.get("input_tokens") or usage.get("output_tokens"):
        parts.append(
            f"{usage.get('input_tokens') or 0:,} tokens in, {usage.get('output_tokens') or 0:,} out"
        )
    if cost:
        parts.append(f"${cost:.4f}" + (" (estimated)" if usage.get("cost_estimated") else ""))
    return ", ".join(parts)


def _history(notes: list[dict[str, Any]]) -> list[str]:
    if not notes:
        return []
    shown = notes[-HISTORY_SHOWN:]
    return ["", "history (latest last):", *(f"  {when(n['at'])}  {n['text']}" for n in shown)]


def _sheet_row(sheet: dict[str, Any], color: bool) -> list[str]:
    deps = ",".join(str(d) for d in sheet["depends_on"]) or "-"
    return [
        str(sheet["num"]),
        status_text(sheet["status"], color),
        f"{sheet['attempts']}/{sheet['max_attempts']}",
        sheet["instrument"],
        deps,
        sheet["description"] or "",
    ]
