"""`podium start`: the conductor, in the background (or with --foreground, in this terminal)."""

import argparse
import os
import sys

from podium.cli import exits
from podium.cli.connect import (
    client,
    conductor_info,
    daemon_argv,
    recovering,
    start_in_background,
)
from podium.host.locations import locate


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--foreground",
        "-f",
        action="store_true",
        help="run in this terminal, logging here, until Ctrl-C",
    )
    p.add_argument("--config", help="conductor.yaml to use instead of the default")
    p.add_argument(
        "--profile",
        "-p",
        choices=("dev", "intensive", "minimal"),
        help="a built-in profile laid over conductor.yaml: dev (debug log, 2 jobs), intensive "
        "(48 h jobs, 16 GB, 512 processes), minimal (2 jobs, 2 sheets); see 'podium config'",
    )
    p.add_argument(
        "--log-level",
        "-l",
        choices=("debug", "info", "warning", "error"),
        help="overrides log_level (and the profile's)",
    )


def run(args: argparse.Namespace) -> int:
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
    print(f"started the conductor (pid {info['pid']}{recovering(info)}); log: {info['log_file']}")
    return exits.OK
