"""`podium clear`: finished jobs out of the registry, with their state folders and kept git
worktrees (never their workspaces or branches)."""

from __future__ import annotations

import argparse
import json
import sys

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.job_arguments import job_statuses, seconds
from podium.cli.output import when
from podium.domain.errors import UserError
from podium.ipc.methods import JOB_CLEAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ClearParams, ClearResult, JobInfo


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--score",
        "-j",
        action="append",
        metavar="JOB",
        help="only this job (repeat it for more); an active one is an error",
    )
    p.add_argument(
        "--status",
        "-s",
        action="append",
        metavar="STATUS",
        help="only jobs that ended so: completed, failed, cancelled (repeat it, or use commas)",
    )
    p.add_argument(
        "--older-than",
        metavar="AGE",
        help="only jobs that finished at least this long ago: seconds, or 30m, 12h, 7d, 2w",
    )
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="do not ask (needed when there is no terminal to ask on)",
    )
    p.add_argument("--json", action="store_true", help="print what was removed as JSON")


def run(args: argparse.Namespace) -> int:
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
