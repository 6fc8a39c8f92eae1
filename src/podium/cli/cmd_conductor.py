"""`podium start`, `podium stop`, `podium restart`, `podium conductor-status`."""

import argparse
import json
import os
import sys
import time

from podium.cli import exits
from podium.cli.connect import client, conductor_info, daemon_argv, start_in_background
from podium.cli.output import duration, when
from podium.domain.errors import PodiumError
from podium.host import procfs
from podium.host.locations import locate
from podium.ipc.client import AnswerLate, ConductorUnavailable
from podium.ipc.methods import DAEMON_SHUTDOWN

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import NotificationsInfo, PressureInfo

STOP_TIMEOUT_SECONDS = 120.0


class StopTimedOut(PodiumError):
    """The conductor accepted to stop but its process is still there."""


_STATES = {
    "starting": "starting (recovering unfinished jobs; submissions wait)",
    "ready": "ready",
    "stopping": "stopping (no new jobs)",
}


def start(args: argparse.Namespace) -> int:
    profile, log_level = getattr(args, "profile", None), getattr(args, "log_level", None)
    locations = locate(config_file=args.config)
    with client(locations) as conductor:
        info = conductor_info(conductor)
    if info is not None:
        print(f"the conductor is already running (pid {info['pid']}, {info['socket']})")
        return exits.OK
    if args.foreground:
        os.execv(sys.executable, daemon_argv(args.config, profile, log_level))
    info = start_in_background(locations, args.config, profile, log_level)
    print(f"started the conductor (pid {info['pid']}); log: {info['log_file']}")
    return exits.OK


def stop(args: argparse.Namespace) -> int:
    pid = _shut_down(drain=args.drain, force=args.force)
    if pid is None:
        print("the conductor is not running")
        return exits.OK
    print(f"stopped the conductor (pid {pid})")
    return exits.OK


def restart(args: argparse.Namespace) -> int:
    """Stop, then start. Running attempts outlive the stop and are re-attached by the new
    conductor, so a restart during work loses nothing; jobs need not be paused first."""
    pid = _shut_down(drain=args.drain, force=True)
    if pid is not None:
        print(f"stopped the conductor (pid {pid})")
    return start(args)


def _shut_down(*, drain: bool, force: bool) -> int | None:
    """Ask the conductor to stop and wait until its process is gone; its pid, or None when
    none was running."""
    with client() as conductor:
        try:
            answer = conductor.request(DAEMON_SHUTDOWN({"drain": drain, "force": force}))
        except AnswerLate:
            raise  # it runs, and may be stopping
        except ConductorUnavailable:
            return None
    if drain:
        print("waiting for the running attempts to end (Ctrl-C leaves the conductor draining)")
    pid = int(answer["pid"])
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while procfs.running(pid):
        if time.monotonic() > deadline and not drain:
            raise StopTimedOut(
                f"the conductor (pid {pid}) is still stopping after "
                f"{STOP_TIMEOUT_SECONDS:g}s; its log says why"
            )
        time.sleep(0.05)
    return pid


_PRESSURE_EFFECTS = {
    "low": "attempts start at most every 0.5s",
    "medium": "attempts start at most every 2s",
    "high": "new jobs and resumes are refused; attempts start at most every 10s",
    "critical": "no attempt starts, and the newest running job is paused at each measurement",
    "disk": "no attempt or queued job starts and new jobs are refused; running attempts go on",
}


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


def status(args: argparse.Namespace) -> int:
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
    print(f"  jobs active     {info['active_jobs']}")
    print(f"  sheets running  {info['running_sheets']} of at most {info['max_concurrent_sheets']}")
    print(f"  memory          {info['memory_mb']:.1f} MB")
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
