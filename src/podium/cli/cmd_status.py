"""`podium status [JOB]` and `podium list`.

Only what the plain views need is imported up front: fleets, one job's view and the watch
screen are imported when asked for, so that `podium status` starts fast."""

from __future__ import annotations

import argparse
import json
import sys
import time

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.output import (
    describe_rate_limits,
    duration,
    paint,
    status_text,
    table,
    use_color,
    when,
)
from podium.domain.errors import UserError
from podium.ipc.client import RemoteError
from podium.ipc.methods import DAEMON_STATUS, FLEET_LIST, JOB_LIST, JOB_STATUS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    from podium.cli.watch import Frame
    from podium.ipc.client import ConductorClient
    from podium.ipc.schema import ConductorInfo, JobInfo, JobStatusResult, ListParams

    class Overview(TypedDict):
        """What `podium status` shows (and prints with `--json`)."""

        conductor: ConductorInfo
        active: list[JobInfo]
        recent: list[JobInfo]


DEFAULT_INTERVAL = 2.0


def main(args: argparse.Namespace) -> int:
    interval = _interval(args)
    color = use_color()
    with client() as conductor:
        if args.watch:
            return _watch(conductor, args, interval, color)
        if args.job:
            try:
                job = conductor.request(JOB_STATUS({"job_id": args.job}))
            except RemoteError as exc:
                from podium.cli.cmd_fleet import fleet_instead, render_fleet  # noqa: PLC0415

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
    """Redraw the job's view (or the overview) every `interval` seconds."""
    from podium.cli.cmd_fleet import fleet_instead  # noqa: PLC0415 - only when watching
    from podium.cli.watch import Screen, watch  # noqa: PLC0415

    live = sys.stdout.isatty() and not args.json
    every = f"every {interval:g}s; Ctrl-C stops watching"

    def frame() -> Frame:
        now = time.time()
        if args.job:
            try:
                job = conductor.request(JOB_STATUS({"job_id": args.job}))
            except RemoteError as exc:
                fleet_instead(conductor, exc, args.job)  # neither a job nor a fleet: says so
                raise UserError(
                    f"{args.job} is a fleet; --watch follows a job: 'podium status {args.job}' "
                    "shows the fleet, 'podium status --watch JOB' one of its jobs"
                ) from None
            if args.json:
                return json.dumps(job), job
            top = paint(f"{when(now)}  {every} (the job goes on)", "dim", color)
            return f"{top}\n{_job_text(job, args, color)}", job
        found = overview(conductor)
        if args.json:
            return json.dumps(found), None
        top = paint(f"{when(now)}  {every}", "dim", color)
        return f"{top}\n{render_overview(found, color, now)}", None

    return watch(
        frame,
        Screen(sys.stdout, live=live, gap=not args.json),
        interval,
        out=sys.stdout,
        color=color,
        verdict_shown=not args.json,
        parting="stopped watching" + (" (the job goes on)" if args.job else ""),
    )


def overview(conductor: ConductorClient) -> Overview:
    """The conductor, its active jobs and the 5 latest ones (what `--json` prints)."""
    info = conductor.request(DAEMON_STATUS({}))
    active = conductor.request(JOB_LIST({"all": False, "limit": 1000}))
    recent = conductor.request(JOB_LIST({"all": True, "limit": 5}))
    return {"conductor": info, "active": active["jobs"], "recent": recent["jobs"]}


def render_overview(found: Overview, color: bool, now: float) -> str:
    info, active = found["conductor"], found["active"]
    lines = [
        f"conductor: pid {info['pid']}, up {duration(info['uptime_seconds'])}, "
        f"{info['running_jobs']}/{info['max_concurrent_jobs']} job(s) and "
        f"{info['running_sheets']}/{info['max_concurrent_sheets']} sheet(s) running"
    ]
    lines += [
        f"  {paint(line, 'yellow', color)}" for line in describe_rate_limits(info["rate_limits"])
    ]
    pressure = info["pressure"]
    if pressure["level"] != "none":
        line = f"resource pressure {pressure['level']}: {pressure['reason']}"
        lines.append(f"  {paint(line, 'yellow', color)}")
    lines += ["", "active jobs:" if active else "no active jobs"]
    if active:
        lines.append(_jobs_table(active, color, now))
    finished = [j for j in found["recent"] if j["finished_at"] is not None]
    if finished:
        lines += ["", "recently finished:", _jobs_table(finished, color, now)]
    return "\n".join(lines)


def list_main(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, got {args.limit}")
    from podium.cli.cmd_jobs import job_statuses  # noqa: PLC0415 - only for list

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
        from podium.cli.cmd_fleet import fleets_table  # noqa: PLC0415 - only with fleets

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
    print(_jobs_table(jobs, use_color(), time.time()))
    if found["total"] > len(jobs):
        print(f"({len(jobs)} of {found['total']}; --limit shows more)")
    return exits.OK


def _jobs_table(jobs: list[JobInfo], color: bool, now: float) -> str:
    plain = [_job_row(j, False, now) for j in jobs]
    rows = [_job_row(j, color, now) for j in jobs] if color else plain
    return table(["JOB", "STATUS", "SHEETS", "SUBMITTED", "TOOK", "SCORE"], rows, plain)


def _job_row(job: JobInfo, color: bool, now: float) -> list[str]:
    start, end = job["started_at"], job["finished_at"] or now
    return [
        job["job_id"],
        status_text(job["status"], color),
        f"{job['completed_sheets']}/{job['total_sheets']}",
        when(job["submitted_at"]),
        duration(end - start) if start else "-",
        job["score_path"],
    ]
