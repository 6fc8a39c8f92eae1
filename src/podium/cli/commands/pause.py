"""`podium pause ID`: nothing new of the job (or the fleet) starts; with --wait, return once
no attempt of it is in flight any more."""

from __future__ import annotations

import argparse
import json
import sys
import time

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.control import control
from podium.domain.errors import UserError
from podium.ipc.client import RemoteError
from podium.ipc.methods import FLEET_PAUSE, FLEET_STATUS, JOB_PAUSE, JOB_STATUS
from podium.ipc.protocol import JOB_NOT_FOUND

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.client import ConductorClient
    from podium.ipc.schema import JobStatusResult

_IN_FLIGHT = ("running", "validating")


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job", help="the job id, or a fleet id (its running jobs pause, no waiting group starts)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="stop the running attempts now (they run again on resume, budget untouched) "
        "instead of letting them finish",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="return once no attempt of the job is in flight any more (exit code 5 after "
        "--timeout); a job only, a fleet refuses it",
    )
    p.add_argument(
        "--timeout",
        "-t",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --wait: give up after this long (default 60)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if not args.wait:
        return control(
            JOB_PAUSE({"job_id": args.job, "force": args.force}),
            args.json,
            fleet=FLEET_PAUSE({"fleet_id": args.job, "force": args.force}),
        )
    if args.timeout <= 0:
        raise UserError(f"--timeout must be more than 0 seconds, got {args.timeout:g}")
    with client() as conductor:
        try:
            done = conductor.request(JOB_PAUSE({"job_id": args.job, "force": args.force}))
        except RemoteError as exc:
            if exc.code != JOB_NOT_FOUND:
                raise
            _refuse_fleet_wait(conductor, args.job)
            raise
        if not args.json:
            print(f"job {done['job_id']}: {done['message']}", flush=True)
        job, settled = wait_until_paused(conductor, args.job, args.timeout)
    running = sum(1 for s in job["sheets"] if s["status"] in _IN_FLIGHT)
    if args.json:
        print(json.dumps({**done, "status": job["status"], "in_flight": running}))
    elif settled and job["status"] == "paused":
        print(f"job {args.job} is paused: no attempt in flight")
    elif settled:
        print(f"job {args.job} is {job['status']}")
    else:
        print(
            f"podium: job {args.job} is pausing, but {running} attempt(s) still run after "
            f"{args.timeout:g}s; 'podium pause {args.job} --wait' waits again, --force stops "
            "them",
            file=sys.stderr,
        )
    return exits.OK if settled else exits.TIMED_OUT


def _refuse_fleet_wait(conductor: ConductorClient, job_id: str) -> None:
    """--wait follows one job's attempts: for a fleet of that id, say so (nothing paused);
    when there is no fleet either, the conductor's 'no job or fleet' error."""
    conductor.request(FLEET_STATUS({"fleet_id": job_id}))
    raise UserError(
        f"'{job_id}' is a fleet, and --wait (with --timeout) waits for one job's attempts; "
        f"pause it without --wait, then 'podium status {job_id}' shows each of its jobs"
    )


def wait_until_paused(
    conductor: ConductorClient, job_id: str, timeout: float
) -> tuple[JobStatusResult, bool]:
    """Wait until no attempt of the job is in flight (or it ended, or was resumed again),
    reading the job anew as the conductor changes its sheets; the job as last seen, and
    whether that happened within `timeout` seconds."""
    from podium.cli.changes import Changes  # noqa: PLC0415 - only with --wait

    deadline = time.monotonic() + timeout
    with Changes(conductor.socket_path, {"job_ids": [job_id], "kinds": ["job", "sheet"]}) as c:
        while True:
            job = conductor.request(JOB_STATUS({"job_id": job_id}))
            busy = any(s["status"] in _IN_FLIGHT for s in job["sheets"])
            if not busy or job["status"] not in ("paused", "paused_at_chain"):
                return job, True
            left = deadline - time.monotonic()
            if left <= 0:
                return job, False
            c.wait(left)
