"""`podium list`: the active jobs and fleets; all of them with --all, or the jobs of a --status."""

from __future__ import annotations

import argparse
import json
import time

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.job_arguments import job_statuses
from podium.cli.output import use_color
from podium.cli.overview import jobs_table
from podium.domain.errors import UserError
from podium.ipc.methods import FLEET_LIST, JOB_LIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ListParams


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", "-a", action="store_true", help="include finished jobs, newest first")
    p.add_argument(
        "--status",
        "-s",
        action="append",
        metavar="STATUS",
        help="only jobs with this status, finished or not (repeat it, or give several "
        "separated by commas): queued, running, paused, paused_at_chain, completed, failed, "
        "cancelled",
    )
    p.add_argument("--limit", "-l", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, got {args.limit}")
    statuses = job_statuses(args.status or [])
    params: ListParams = {"all": args.all, "limit": args.limit}
    if statuses:
        params["statuses"] = statuses
    with client() as conductor:
        found = conductor.request(JOB_LIST(params))
        fleets = (
            []
            if statuses
            else conductor.request(FLEET_LIST({"all": args.all, "limit": args.limit}))["fleets"]
        )
    if args.json:
        print(json.dumps({**found, "fleets": fleets} if fleets else found, indent=2))
        return exits.OK
    if fleets:
        from podium.cli.fleet_view import fleets_table  # noqa: PLC0415 - only with fleets

        print(fleets_table(fleets, use_color()), end="\n\n")
    jobs = found["jobs"]
    if not jobs:
        if statuses:
            print(f"no {' or '.join(statuses)} jobs")
        else:
            print(
                "no jobs" if args.all else "no active jobs (podium list --all shows finished ones)"
            )
        return exits.OK
    print(jobs_table(jobs, use_color(), time.time()))
    if found["total"] > len(jobs):
        print(f"({len(jobs)} of {found['total']}; --limit shows more)")
    return exits.OK
