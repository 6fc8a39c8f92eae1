"""`podium pause|resume|modify|cancel JOB` and `podium rate-limits|clear-rate-limits`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.follow import POLL_SECONDS, follow
from podium.cli.output import describe_rate_limits, use_color
from podium.domain.errors import UserError
from podium.ipc.client import RemoteError
from podium.ipc.methods import (
    DAEMON_CLEAR_RATE_LIMITS,
    DAEMON_RATE_LIMITS,
    FLEET_CANCEL,
    FLEET_PAUSE,
    FLEET_RESUME,
    FLEET_STATUS,
    JOB_CANCEL,
    JOB_MODIFY,
    JOB_PAUSE,
    JOB_RESUME,
    JOB_STATUS,
)
from podium.ipc.protocol import JOB_NOT_FOUND

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TypeVar

    from podium.ipc.client import ConductorClient
    from podium.ipc.fleet_schema import FleetInfo
    from podium.ipc.methods import Call, P
    from podium.ipc.schema import (
        ClearRateLimitsParams,
        ControlResult,
        JobStatusResult,
        ModifyParams,
        ResumeParams,
    )

    F = TypeVar("F", bound=Mapping[str, object])
    """The params of a fleet's control method."""

_IN_FLIGHT = ("running", "validating")


def pause(args: argparse.Namespace) -> int:
    if not args.wait:
        return _control(
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
    conductor: ConductorClient,
    job_id: str,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[JobStatusResult, bool]:
    """Poll until no attempt of the job is in flight (or it ended, or was resumed again);
    the job as last seen, and whether that happened within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job = conductor.request(JOB_STATUS({"job_id": job_id}))
        busy = any(s["status"] in _IN_FLIGHT for s in job["sheets"])
        if not busy or job["status"] not in ("paused", "paused_at_chain"):
            return job, True
        if time.monotonic() >= deadline:
            return job, False
        sleep(POLL_SECONDS)


def resume(args: argparse.Namespace) -> int:
    params: ResumeParams = {"job_id": args.job, "no_reload": args.no_reload}
    if args.force:
        params["force"] = True
    if args.config:
        if args.no_reload:
            raise UserError("--config reads a new score file; it cannot go with --no-reload")
        params["score_path"] = str(Path(args.config).absolute())
        params["client_cwd"] = os.getcwd()
    # --config and --force name a job's score and sheets; a fleet takes neither.
    fleet = None if args.config or args.force else FLEET_RESUME({"fleet_id": args.job})
    return _control(JOB_RESUME(params), args.json, fleet=fleet)


def modify(args: argparse.Namespace) -> int:
    if (args.score is None) == (args.config is None):
        raise UserError(
            "give the new score once: 'podium modify JOB --config FILE' (or 'podium modify "
            "JOB FILE')"
        )
    params: ModifyParams = {
        "job_id": args.job,
        "score_path": str(Path(args.config or args.score).absolute()),
        "client_cwd": os.getcwd(),
        "resume": args.resume,
    }
    if not args.wait:
        return _control(JOB_MODIFY(params), args.json)
    with client() as conductor:
        done = conductor.request(JOB_MODIFY(params))
        print(json.dumps(done) if args.json else f"job {done['job_id']}: {done['message']}")
        try:
            return follow(conductor, args.job, color=use_color())
        except KeyboardInterrupt:
            print(
                f"\nstopped following; job {args.job} goes on (podium status {args.job})",
                file=sys.stderr,
            )
            return exits.INTERRUPTED


def cancel(args: argparse.Namespace) -> int:
    return _control(
        JOB_CANCEL({"job_id": args.job}), args.json, fleet=FLEET_CANCEL({"fleet_id": args.job})
    )


def _control(
    job: Call[P, ControlResult], as_json: bool, fleet: Call[F, FleetInfo] | None = None
) -> int:
    """Send `job`; with `fleet`, send that instead when there is no such job (fleet ids share
    the job id namespace)."""
    with client() as conductor:
        try:
            done = conductor.request(job)
        except RemoteError as exc:
            if fleet is None or exc.code != JOB_NOT_FOUND:
                raise
            changed = conductor.request(fleet)
            print(
                json.dumps(changed)
                if as_json
                else f"fleet {changed['fleet_id']}: {changed['message']}"
            )
            return exits.OK
    print(json.dumps(done) if as_json else f"job {done['job_id']}: {done['message']}")
    return exits.OK


def rate_limits(args: argparse.Namespace) -> int:
    with client() as conductor:
        found = conductor.request(DAEMON_RATE_LIMITS({}))
    if args.json:
        print(json.dumps(found, indent=2))
        return exits.OK
    windows = found["rate_limits"]
    if not windows:
        print("no rate limits")
    for line in describe_rate_limits(windows):
        print(line)
    return exits.OK


def clear_rate_limits(args: argparse.Namespace) -> int:
    if args.instrument and args.instrument_option and args.instrument != args.instrument_option:
        raise UserError(
            f"two instruments given ({args.instrument}, {args.instrument_option}); name one"
        )
    instrument = args.instrument or args.instrument_option
    params: ClearRateLimitsParams = {"instrument": instrument} if instrument else {}
    with client() as conductor:
        done = conductor.request(DAEMON_CLEAR_RATE_LIMITS(params))
    print(json.dumps(done) if args.json else done["message"])
    return exits.OK
