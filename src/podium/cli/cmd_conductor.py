"""`podium start`, `podium stop`, `podium conductor-status`."""

import argparse
import json
import os
import sys
import time

from podium import procfs
from podium.cli import exits
from podium.cli.connect import client, conductor_info, start_in_background
from podium.cli.errors import fail
from podium.cli.output import duration
from podium.ipc.client import ConductorUnavailable
from podium.locations import locate

STOP_TIMEOUT_SECONDS = 120.0
_STATES = {
    "starting": "starting (recovering unfinished jobs; submissions wait)",
    "ready": "ready",
    "stopping": "stopping (no new jobs)",
}


def start(args: argparse.Namespace) -> int:
    locations = locate()
    with client(locations) as conductor:
        info = conductor_info(conductor)
    if info is not None:
        print(f"the conductor is already running (pid {info['pid']}, {info['socket']})")
        return exits.OK
    if args.foreground:
        argv = [sys.executable, "-m", "podium.daemon"]
        if args.config:
            argv += ["--config", os.path.abspath(args.config)]
        os.execv(sys.executable, argv)
    info = start_in_background(locations, args.config)
    print(f"started the conductor (pid {info['pid']}); log: {info['log_file']}")
    return exits.OK


def stop(args: argparse.Namespace) -> int:
    with client() as conductor:
        try:
            answer = conductor.call("daemon.shutdown", {"drain": args.drain, "force": args.force})
        except ConductorUnavailable:
            print("the conductor is not running")
            return exits.OK
    if args.drain:
        print("waiting for the running attempts to end (Ctrl-C leaves the conductor draining)")
    pid = int(answer["pid"])
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while procfs.running(pid):
        if time.monotonic() > deadline and not args.drain:
            fail(
                f"the conductor (pid {pid}) is still stopping after "
                f"{STOP_TIMEOUT_SECONDS:g}s; its log says why"
            )
            return exits.INTERNAL
        time.sleep(0.05)
    print(f"stopped the conductor (pid {pid})")
    return exits.OK


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
    print(f"  state           {_STATES.get(info['state'], info['state'])}")
    print(f"  socket          {info['socket']}")
    print(f"  state           {info['state_dir']}")
    print(f"  log             {info['log_file']}")
    return exits.OK
