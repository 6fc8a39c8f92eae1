"""`podium rate-limits`: the instruments waiting for a rate limit to end, and until when."""

import argparse
import json

from podium.cli import exits
from podium.cli.connect import client
from podium.cli.output import describe_rate_limits
from podium.ipc.methods import DAEMON_RATE_LIMITS


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
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
