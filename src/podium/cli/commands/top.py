"""`podium top`: the conductor live, in the terminal: its load, its jobs, their sheets and
the processes of their attempts, kept current by the conductor's stream of events.

`--json` and `--once` read one sample and print it, without Textual; only the live monitor
imports it (`podium.cli.top.app`)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time

from podium.cli import exits
from podium.cli.connect import client, conductor_info
from podium.cli.output import use_color
from podium.cli.top import plain, source
from podium.cli.top.view import Processes
from podium.domain.errors import UserError
from podium.host.locations import locate
from podium.ipc.client import ConductorUnavailable


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--readonly",
        action="store_true",
        help="watch only: every action key (pause, resume, cancel, retry) is disabled",
    )
    shape = p.add_mutually_exclusive_group()
    shape.add_argument(
        "--json",
        action="store_true",
        help="print one snapshot as JSON (the conductor, its jobs, the sheets of the active "
        "ones, the attempts' processes) and exit",
    )
    shape.add_argument(
        "--once",
        action="store_true",
        help="print one frame as plain text (the terminal's size, or 80x24) and exit",
    )


def run(args: argparse.Namespace) -> int:
    if args.json or args.once:
        return _print_once(args.json)
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise UserError(
            "podium top needs a terminal; 'podium top --once' prints one frame, "
            "'podium top --json' one snapshot"
        )
    locations = locate()
    with client(locations) as conductor:
        if conductor_info(conductor) is None:
            raise ConductorUnavailable(locations.socket, "not running")
    from podium.cli.top.app import Settings, TopApp  # noqa: PLC0415 - Textual, only live

    TopApp(Settings(locations.socket, readonly=args.readonly)).run()
    return exits.OK


def _print_once(as_json: bool) -> int:
    with client() as conductor:
        found = source.sample(conductor)
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
        return exits.OK
    size = shutil.get_terminal_size((80, 24))
    text = plain.frame(
        found.model(),
        found.conductor,
        Processes.of(found.processes),
        time.time(),
        size=(size.columns, size.lines),
        color=use_color(),
    )
    print(text)
    return exits.OK
