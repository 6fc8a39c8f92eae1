"""`podium clear-rate-limits [INSTRUMENT]`: end rate-limit waits now, all or one instrument's."""

from __future__ import annotations

import argparse
import json

from podium.cli import exits
from podium.cli.connect import client
from podium.domain.errors import UserError
from podium.ipc.methods import DAEMON_CLEAR_RATE_LIMITS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ClearRateLimitsParams


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument("instrument", nargs="?", help="only this instrument's (default: all)")
    p.add_argument(
        "--instrument",
        "-i",
        dest="instrument_option",
        metavar="INSTRUMENT",
        help="the same, as an option",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
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
