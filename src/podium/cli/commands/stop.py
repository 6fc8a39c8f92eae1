"""`podium stop`: the conductor stops; running attempts go on and are picked up at the next
start."""

import argparse
import time

from podium.cli import exits
from podium.cli.connect import client
from podium.domain.errors import PodiumError
from podium.host import processes
from podium.ipc.client import AnswerLate, ConductorUnavailable
from podium.ipc.methods import DAEMON_SHUTDOWN

STOP_TIMEOUT_SECONDS = 120.0


class StopTimedOut(PodiumError):
    """The conductor accepted to stop but its process is still there."""


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--drain",
        action="store_true",
        help="start nothing new and wait for the running attempts to end, then stop",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="stop even though jobs are running (their attempts go on and are picked up at "
        "the next start)",
    )


def run(args: argparse.Namespace) -> int:
    pid = shut_down(drain=args.drain, force=args.force)
    if pid is None:
        print("the conductor is not running")
        return exits.OK
    print(f"stopped the conductor (pid {pid})")
    return exits.OK


def shut_down(*, drain: bool, force: bool) -> int | None:
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
    while processes.running(pid):
        if time.monotonic() > deadline and not drain:
            raise StopTimedOut(
                f"the conductor (pid {pid}) is still stopping after "
                f"{STOP_TIMEOUT_SECONDS:g}s; its log says why"
            )
        time.sleep(0.05)
    return pid
