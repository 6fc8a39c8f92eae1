"""`podium clear` (finished jobs out of the registry) and `podium recover JOB` (failed sheets
checked again, or sheets put back to pending)."""

from __future__ import annotations

import argparse
import json
import re
import sys

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.output import when
from podium.domain.errors import UserError
from podium.domain.status import JobStatus
from podium.ipc.methods import JOB_CLEAR, JOB_RECOVER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ClearParams, ClearResult, JobInfo, RecoverParams

RECHECK_TIMEOUT_SECONDS = 3600.0
"""How long `recover` waits for the checks (a `command_succeeds` rule may take a while)."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")


def job_statuses(values: list[str]) -> list[str]:
    """Status names from repeated or comma-separated options, checked here so that a typo is
    caught without asking the conductor."""
    found: list[str] = []
    for name in (n.strip().lower() for value in values for n in value.split(",")):
        if not name:
            continue
        if name not in {s.value for s in JobStatus}:
            valid = ", ".join(s.value for s in JobStatus)
            raise UserError(
                f"--status {name}: there is no such job status; the statuses are {valid}"
            )
        if name not in found:
            found.append(name)
    return found


def seconds(text: str) -> float:
    """'3600', '90s', '30m', '12h', '7d', '2w' in seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise UserError(
            f"--older-than {text}: give seconds (3600) or a duration such as 30m, 12h or 7d"
        )
    return float(match[1]) * _UNITS[match[2] or "s"]


def clear(args: argparse.Namespace) -> int:
    params: ClearParams = {}
    if args.score:
        params["job_ids"] = args.score
    statuses = job_statuses(args.status or [])
    if statuses:
        params["statuses"] = statuses
    if args.older_than is not None:
        params["older_than_seconds"] = seconds(args.older_than)
    if not args.yes and not sys.stdin.isatty():
        raise UserError(
            "clear removes jobs for good and there is no terminal to confirm on; "
            "add --yes to clear without asking"
        )
    with client() as conductor:
        if not args.yes:
            preview = conductor.request(JOB_CLEAR({**params, "dry_run": True}))
            if not preview["jobs"]:
                return _cleared(preview, args.json)
            if not _confirmed(preview["jobs"]):
                print("nothing removed")
                return exits.OK
            params = {"job_ids": [j["job_id"] for j in preview["jobs"]]}
        done = conductor.request(JOB_CLEAR(params))
    return _cleared(done, args.json)


def _confirmed(jobs: list[JobInfo]) -> bool:
    print(f"{len(jobs)} finished job(s) would be removed (their workspaces stay):")
    for job in jobs:
        print(f"  {job['job_id']}  {job['status']}  finished {when(job['finished_at'])}")
    try:
        answer = input("remove them from the registry, with their state folders? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def _cleared(done: ClearResult, as_json: bool) -> int:
    if as_json:
        print(json.dumps(done, indent=2))
    elif not done["jobs"]:
        print("no finished job to clear")
    else:
        names = ", ".join(j["job_id"] for j in done["jobs"])
        print(f"cleared {len(done['jobs'])} job(s): {names}")
    for problem in done.get("problems", []):
        print(f"podium: {problem}", file=sys.stderr)
    return exits.OK


def recover(args: argparse.Namespace) -> int:
    if args.sheet and args.from_sheet is not None:
        raise UserError(
            "--sheet and --from-sheet do not go together: check sheets again, or "
            "put them back to pending from one on"
        )
    params: RecoverParams = {"job_id": args.job, "dry_run": args.dry_run}
    if args.sheet:
        params["sheets"] = args.sheet
    if args.from_sheet is not None:
        params["from_sheet"] = args.from_sheet
    with client() as conductor:
        done = conductor.request(JOB_RECOVER(params), timeout=RECHECK_TIMEOUT_SECONDS)
    if args.json:
        print(json.dumps(done, indent=2))
        return exits.OK
    dry = "(dry run) " if done["dry_run"] else ""
    print(f"{dry}job {done['job_id']}: {done['message']}")
    for change in done["sheets"]:
        mark = "✓" if change["changed"] else "✗"
        print(f"  {mark} sheet {change['sheet']}: {change['detail']}")
    return exits.OK
