"""`podium conductor-status`: whether the conductor runs, and how it is doing."""

import argparse
import json

from podium.cli import exits
from podium.cli.connect import client, conductor_info
from podium.cli.executor_view import executor_line, node_line
from podium.cli.output import duration, when
from podium.host.locations import locate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import NotificationsInfo, PressureInfo

_STATES = {
    "loading": "loading (its parts, settings and store; other requests wait)",
    "starting": "starting (recovering unfinished jobs; submissions wait)",
    "ready": "ready",
    "stopping": "stopping (no new jobs)",
}

_PRESSURE_EFFECTS = {
    "low": "attempts start at most every 0.5s",
    "medium": "attempts start at most every 2s",
    "high": "new jobs and resumes are refused; attempts start at most every 10s",
    "critical": "no attempt starts, and the newest running job is paused at each measurement",
    "disk": "no attempt or queued job starts and new jobs are refused; running attempts go on",
}


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    with client() as conductor:
        info = conductor_info(conductor)
    if info is None:
        if args.json:
            print(json.dumps({"running": False}))
        else:
            print(f"the conductor is not running (no answer on {locate().socket})")
        return exits.NO_CONDUCTOR
    if args.json:
        print(json.dumps({"running": True, **info}, indent=2))
        return exits.OK
    print(
        f"the conductor is running: pid {info['pid']}, up {duration(info['uptime_seconds'])}, "
        f"version {info['version']}"
    )
    if info["state"] == "loading":  # nothing else is known yet (podium.conductor.loading)
        print(f"  state           {_STATES['loading']}")
        print(f"  socket          {info['socket']}")
        print(f"  state folder    {info['state_dir']}")
        return exits.OK
    print(f"  jobs active     {info['active_jobs']}")
    print(f"  sheets running  {info['running_sheets']} of at most {info['max_concurrent_sheets']}")
    print(f"  memory          {info['memory_mb']:.1f} MB")
    executor = info.get("executor")
    if executor is not None:
        print(f"  executor        {executor_line(executor)}")
        for node in executor["nodes"]:
            print(f"    node {node_line(node)}")
    pressure = info.get("pressure")
    if pressure is not None:
        print(f"  pressure        {pressure_line(pressure)}")
    notifications = info.get("notifications")
    if notifications is not None:
        print(f"  notifications   {notifications_line(notifications)}")
    print(f"  state           {_STATES.get(info['state'], info['state'])}")
    print(f"  socket          {info['socket']}")
    print(f"  state folder    {info['state_dir']}")
    print(f"  log             {info['log_file']}")
    return exits.OK


def pressure_line(pressure: "PressureInfo") -> str:
    """The resource pressure in one line: its level, why, and what it does."""
    line = f"{pressure['level']} ({pressure['reason']})"
    effect = _PRESSURE_EFFECTS.get(pressure["level"])
    return f"{line}: {effect}" if effect else line


def notifications_line(counts: "NotificationsInfo") -> str:
    """Notifications sent and failed, and the latest failure: where, when, why."""
    line = f"{counts['sent']} sent, {counts['failed']} failed"
    last = counts["last_failure"]
    if last is not None:
        line += (
            f"; last failure {when(last['at'])}, {last['event']} of job {last['job_id']} "
            f"to {last['destination']}: {last['error']}"
        )
    return line
