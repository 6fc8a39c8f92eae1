"""`podium restart`: the conductor stops and starts again, with start's options."""

import argparse

from podium.cli.commands import start, stop


def declare(p: argparse.ArgumentParser) -> None:
    start.declare(p)
    p.add_argument(
        "--drain",
        action="store_true",
        help="first wait for the running attempts to end (by default they go on through the "
        "restart and the new conductor re-attaches them)",
    )


def run(args: argparse.Namespace) -> int:
    """Stop, then start. Running attempts outlive the stop and are re-attached by the new
    conductor, so a restart during work loses nothing; jobs need not be paused first."""
    pid = stop.shut_down(drain=args.drain, force=True)
    if pid is not None:
        print(f"stopped the conductor (pid {pid})")
    return start.run(args)
