"""`podium status [ID]`: a job's sheets, a fleet's groups and jobs, or the conductor and its
jobs; with --watch, redrawn until the job ends.

Only what the plain views need is imported up front: fleets, one job's view and the watch
screen are imported when asked for, so that `podium status` starts fast."""

from __future__ import annotations

import argparse
import json
import sys
import time

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.output import paint, use_color, when
from podium.cli.overview import overview, render_overview
from podium.cli.verbs import NAMES
from podium.domain.errors import UserError
from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_STATUS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from podium.cli.watch import Frame
    from podium.ipc.client import ConductorClient
    from podium.ipc.schema import JobStatusResult, SubscribeParams

DEFAULT_INTERVAL = 2.0


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job",
        nargs="?",
        help="a job id, or a fleet id (its groups in order, each member's job); without it, "
        "the conductor and its jobs",
    )
    p.add_argument(
        "--json", action="store_true", help="print JSON (with --watch: one line per change)"
    )
    p.add_argument(
        "--watch",
        "-W",
        action="store_true",
        help="redraw the view as the conductor changes it, until the job completes, fails or "
        "pauses (the exit code says which, as after 'run --wait'), or until Ctrl-C (exit 0; "
        "the job goes on); not on a terminal, print a snapshot per change",
    )
    p.add_argument(
        "--interval",
        "-i",
        type=float,
        metavar="SECONDS",
        help="with --watch on a terminal: redraw for the clocks every SECONDS when nothing "
        "changes (default 2, at least 0.2); changes show at once",
    )
    p.add_argument(
        "--all-sheets",
        action="store_true",
        help="one row per sheet even for a job of more than 50 sheets (which are summed up "
        "by default)",
    )
    # The commands this podium has, for the view's hints to name only those.
    p.set_defaults(commands=NAMES)


def run(args: argparse.Namespace) -> int:
    interval = _interval(args)
    color = use_color()
    with client() as conductor:
        if args.watch:
            return _watch(conductor, args, interval, color)
        if args.job:
            try:
                job = conductor.request(JOB_STATUS({"job_id": args.job}))
            except RemoteError as exc:
                from podium.cli.fleet_view import fleet_instead, render_fleet  # noqa: PLC0415

                fleet = fleet_instead(conductor, exc, args.job)
                print(json.dumps(fleet, indent=2) if args.json else render_fleet(fleet, color))
                return exits.OK
            print(json.dumps(job, indent=2) if args.json else _job_text(job, args, color))
            return exits.OK
        found = overview(conductor)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print(render_overview(found, color, time.time()))
    return exits.OK


def _interval(args: argparse.Namespace) -> float:
    if args.interval is None:
        return DEFAULT_INTERVAL
    from podium.cli.watch import MIN_INTERVAL  # noqa: PLC0415 - only with --interval

    if not args.watch:
        raise UserError(
            f"--interval {args.interval:g} needs --watch: 'podium status --watch --interval "
            f"{args.interval:g}' redraws the view every {args.interval:g}s"
        )
    if args.interval < MIN_INTERVAL:
        raise UserError(
            f"--interval must be at least {MIN_INTERVAL:g} seconds, got {args.interval:g}"
        )
    return float(args.interval)


def _job_text(job: JobStatusResult, args: argparse.Namespace, color: bool) -> str:
    from podium.cli.job_view import render_job  # noqa: PLC0415 - only for one job

    return render_job(job, color, time.time(), all_sheets=args.all_sheets, commands=args.commands)


def _watch(
    conductor: ConductorClient, args: argparse.Namespace, interval: float, color: bool
) -> int:
    """Redraw the job's view (or the overview) when the conductor changes it, and every
    `interval` seconds on a terminal (for its clocks)."""
    from podium.cli.changes import Changes  # noqa: PLC0415 - only when watching
    from podium.cli.watch import Screen, watch  # noqa: PLC0415

    live = sys.stdout.isatty() and not args.json
    every = "live; Ctrl-C stops watching"
    interest: SubscribeParams = {"kinds": ["job", "sheet", "attempt", "hook", "rate_limit"]}
    if args.job:
        interest["job_ids"] = [args.job]
    read: list[Any] = []

    def frame(fresh: bool) -> Frame:
        now = time.time()
        if fresh or not read:
            read[:] = [_read(conductor, args)]
        if args.job:
            job: JobStatusResult = read[0]
            if args.json:
                return json.dumps(job), job
            top = paint(f"{when(now)}  {every} (the job goes on)", "dim", color)
            return f"{top}\n{_job_text(job, args, color)}", job
        if args.json:
            return json.dumps(read[0]), None
        top = paint(f"{when(now)}  {every}", "dim", color)
        return f"{top}\n{render_overview(read[0], color, now)}", None

    with Changes(conductor.socket_path, interest) as changes:
        return watch(
            frame,
            Screen(sys.stdout, live=live, gap=not args.json),
            interval,
            out=sys.stdout,
            color=color,
            verdict_shown=not args.json,
            parting="stopped watching" + (" (the job goes on)" if args.job else ""),
            wait=changes.wait,
        )


def _read(conductor: ConductorClient, args: argparse.Namespace) -> Any:
    """The job's status, or the overview without a job."""
    from podium.cli.fleet_view import fleet_instead  # noqa: PLC0415 - only when watching

    if not args.job:
        return overview(conductor)
    try:
        return conductor.request(JOB_STATUS({"job_id": args.job}))
    except RemoteError as exc:
        fleet_instead(conductor, exc, args.job)  # neither a job nor a fleet: says so
        raise UserError(
            f"{args.job} is a fleet; --watch follows a job: 'podium status {args.job}' "
            "shows the fleet, 'podium status --watch JOB' one of its jobs"
        ) from None
