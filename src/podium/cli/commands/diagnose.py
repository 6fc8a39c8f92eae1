"""`podium diagnose JOB`: one report on a job that failed or seems stuck: what it is doing,
what went wrong and where, what happened when, where its files are, whether its instruments
can run here, and what to do next."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

from podium.cli import exits
from podium.cli.attempt_view import (
    TYPE_COLORS,
    exit_text,
    group_by_sheet,
    tail_lines,
)
from podium.cli.connect import client
from podium.cli.follow import waiting_for
from podium.cli.job_view import failed_checks
from podium.cli.output import paint, status_text, use_color, when
from podium.ipc.methods import JOB_DIAGNOSE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from podium.ipc.schema import DiagnoseResult, JobStatusResult

    InstrumentReport = dict[str, Any]
    """`podium instruments check`'s report on one instrument, as JSON."""

    class Report(DiagnoseResult):
        """The conductor's answer, with what this machine says of the job's instruments."""

        instruments: list[InstrumentReport]
        next_steps: list[str]


SHORT_TAIL_LINES = 5
"""Lines of each stream under an error; `--include-logs` appends LOG_LINES more at the end."""
LOG_LINES = 50
TIMELINE_SHOWN = 60


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument(
        "--include-logs",
        action="store_true",
        help="append the last 50 lines of each failed attempt's stdout and stderr",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    lines = LOG_LINES if args.include_logs else SHORT_TAIL_LINES
    with client() as conductor:
        found = conductor.request(JOB_DIAGNOSE({"job_id": args.job, "tail_lines": lines}))
    report: Report = {**found, "instruments": instrument_checks(found), "next_steps": []}
    report["next_steps"] = next_steps(report)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render(report, use_color(), include_logs=args.include_logs))
    return exits.OK


def instrument_checks(found: DiagnoseResult) -> list[InstrumentReport]:
    """Whether each instrument the job uses can run here (as `podium instruments check`
    says), with the profiles next to the job's score."""
    # The profiles' model (pydantic, YAML) loads here, not when the arguments are declared.
    from podium.instruments import check  # noqa: PLC0415
    from podium.instruments.registry import discover  # noqa: PLC0415

    used = {s["instrument"] for s in found["job"]["sheets"]}
    used |= {a["instrument"] for a in found["attempts"] if a["instrument"]}
    registry = discover(Path(found["job"]["score_path"]).parent)
    reports: list[InstrumentReport] = []
    for name in sorted(used):
        profile = registry.get(name)
        if profile is None:
            reports.append({"name": name, "runnable": False, "missing": ["no such profile"]})
            continue
        executable = profile.cli.command.executable if profile.cli is not None else None
        binary = check.which(executable) if executable else None
        version = check.read_version(binary) if binary else None
        origin = registry.origin(name) or "?"
        report = check.report(profile, origin, binary, version, os.environ)
        reports.append({**dataclasses.asdict(report), "runnable": report.runnable})
    return reports


def next_steps(found: Report) -> list[str]:
    """What to do about what the report shows, most pressing first."""
    job = found["job"]
    job_id, status = job["job_id"], job["status"]
    steps = [
        f"install or set up {r['name']}: {m}"
        for r in found["instruments"]
        for m in r.get("missing", [])
    ]
    codes = {
        e["error_code"]
        for e in found["errors"]
        if e["outcome"] != "stopped" and e["error_code"] is not None
    }
    failed = status in ("failed", "cancelled")
    if failed or status == "running":
        steps += _steps_for_codes(codes, job_id)
    if status == "paused":
        steps.append(f"it is paused ({job['detail']}): 'podium resume {job_id}' goes on")
    if failed:
        steps.append(
            f"once fixed, 'podium resume {job_id}' runs the unfinished sheets again "
            "(completed sheets are kept)"
        )
    waiting = [s for s in job["sheets"] if s["status"] == "waiting"]
    steps += [f"sheet {s['num']} is waiting: {waiting_for(s)}" for s in waiting[:5]]
    if status == "completed":
        steps.append("nothing to do: the job completed")
    return steps


def _steps_for_codes(codes: set[str], job_id: str) -> list[str]:
    steps = []
    if codes & {"E502"}:
        steps.append("authentication failed: log the instrument in or set its credentials")
    if codes & {"E601"}:
        steps.append("an instrument could not start: 'podium instruments check NAME' says why")
    if any(c.startswith("E1") for c in codes):
        steps.append(
            "rate limits: 'podium rate-limits' shows until when; 'podium clear-rate-limits' "
            "ends the waits now"
        )
    if any(c.startswith("E2") for c in codes):
        steps.append(
            "checks failed: see what each expected, found, and how to fix it above; fix the "
            "prompt or the score ('podium modify' gives a running job a new score)"
        )
    if codes & {"E001", "E006"}:
        steps.append(
            "attempts timed out or went quiet: raise the sheet's timeout or idle timeout, or "
            "split the work"
        )
    if codes & {"E003", "E009"}:
        steps.append(
            f"commands failed: their stderr is above ('podium logs {job_id} --sheet N' shows more)"
        )
    return steps


# ---- the text report ----------------------------------------------------------------------


def render(found: Report, color: bool, *, include_logs: bool = False) -> str:
    sections = [
        _summary(found["job"], color),
        _errors(found, color),
        _timeline(found),
        _files(found),
        _instruments(found["instruments"], color),
        ["next steps:", *(f"  - {s}" for s in found["next_steps"])],
    ]
    if include_logs:
        sections.append(_logs(found))
    return "\n\n".join("\n".join(s) for s in sections if s)


def _summary(job: JobStatusResult, color: bool) -> list[str]:
    lines = [
        f"{paint(job['job_id'], 'bold', color)}  {status_text(job['status'], color)}  "
        f"{job['completed_sheets']}/{job['total_sheets']} sheets completed",
        f"  score      {job['score_path']}",
        f"  workspace  {job['workspace']}",
    ]
    if job["detail"]:
        lines.append(f"  note       {job['detail']}")
    if job["error"]:
        lines.append(f"  {paint('error', 'red', color)}      {job['error']}")
    counts: dict[str, int] = {}
    for sheet in job["sheets"]:
        counts[sheet["status"]] = counts.get(sheet["status"], 0) + 1
    lines.append("  sheets     " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return lines


def _errors(found: DiagnoseResult, color: bool) -> list[str]:
    errors = found["errors"]
    if not errors:
        return ["errors: none"]
    lines = [f"errors ({found['total_errors']}, the latest {len(errors)} shown):"]
    for sheet, group in group_by_sheet(errors):
        lines.append(f"  sheet {sheet}")
        for e in group:
            kind = e["error_type"]
            tint = TYPE_COLORS.get(kind) if kind else None
            code = paint(f"{e['error_code']} {kind}", tint, color)
            message = e["error"] or exit_text(e) or ""
            lines.append(f"    attempt {e['attempt']}  {when(e['started_at'])}  {code}  {message}")
            lines += [f"    {row}" for row in failed_checks(e["checks"])]
            short = [_last(e["stdout_tail"]), _last(e["stderr_tail"])]
            lines += [f"    {row}" for row in tail_lines("stdout", short[0])]
            lines += [f"    {row}" for row in tail_lines("stderr", short[1])]
    return lines


def _last(text: str, lines: int = SHORT_TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def timeline(found: DiagnoseResult) -> list[tuple[float, str]]:
    """What happened when, oldest first: the job's start and end, each attempt's start and
    end, and the job's notes (fallbacks, pauses, rate-limit waits)."""
    job = found["job"]
    events = [(job["submitted_at"], "job submitted")]
    if job["started_at"]:
        events.append((job["started_at"], "job started"))
    for a in found["attempts"]:
        name = f"sheet {a['sheet']} attempt {a['attempt']}"
        on = a["instrument"] or "?"
        if a["model"]:
            on += f" ({a['model']})"
        events.append((a["started_at"], f"{name} started on {on}"))
        end = a["ended_at"] or a["exited_at"]
        if end is not None and a["outcome"] not in ("running", "validating"):
            code = f" [{a['error_code']}]" if a["error_code"] else ""
            why = f": {a['error']}" if a["error"] else ""
            events.append((end, f"{name} {a['outcome']}{code}{why}"))
    events += [(n["at"], n["text"]) for n in found["notes"]]
    ordered = sorted(events, key=lambda e: e[0])
    if job["finished_at"]:
        # After the events of the same moment: the attempts that ended the job.
        at = job["finished_at"]
        place = sum(1 for e in ordered if e[0] <= at)
        ordered.insert(place, (at, f"job {job['status']}"))
    return ordered


def _timeline(found: DiagnoseResult) -> list[str]:
    events = timeline(found)
    shown = events[-TIMELINE_SHOWN:]
    lines = ["timeline (latest last):"]
    if len(events) > len(shown) or found["total_attempts"] > len(found["attempts"]):
        lines.append("  … (earlier events: 'podium history' lists every attempt)")
    lines += [f"  {_moment(at)}  {text}" for at, text in shown]
    return lines


def _moment(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _files(found: DiagnoseResult) -> list[str]:
    files = found["files"]
    lines = [
        "files:",
        f"  state folder    {files['state']}  (sheets/<n>/attempt-<k>.prompt, .stdout.log, "
        ".stderr.log)",
        f"  workspace logs  {files['workspace_logs']}  (sheet-NN.stdout.log, sheet-NN.stderr.log)",
        f"  conductor log   {files['conductor_log']}",
    ]
    failing = [s for s in found["job"]["sheets"] if s["status"] == "failed" and s["logs"]]
    lines += [f"  sheet {s['num']}         {s['logs']}" for s in failing[:10]]
    return lines


def _instruments(reports: list[InstrumentReport], color: bool) -> list[str]:
    lines = ["instruments:"]
    for r in reports:
        mark = paint("✓", "green", color) if r["runnable"] else paint("✗", "red", color)
        where = r.get("binary") or "-"
        version = f" ({r['version']})" if r.get("version") else ""
        lines.append(f"  {mark} {r['name']}  {where}{version}")
        lines += [f"      missing: {m}" for m in r.get("missing", [])]
        lines += [f"      warning: {w}" for w in r.get("warnings", [])]
    return lines


def _logs(found: DiagnoseResult) -> list[str]:
    lines = [f"logs (the last {LOG_LINES} lines of each failed attempt):"]
    for e in sorted(found["errors"], key=lambda e: (e["sheet"], e["attempt"])):
        lines.append(f"  ==> sheet {e['sheet']} attempt {e['attempt']} <==")
        lines += [f"  {row}" for row in tail_lines("stdout", e["stdout_tail"])]
        lines += [f"  {row}" for row in tail_lines("stderr", e["stderr_tail"])]
        if not (e["stdout_tail"] or e["stderr_tail"]):
            lines.append("  (no output)")
    return lines
