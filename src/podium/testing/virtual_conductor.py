"""The real conductor on virtual time: `python -m podium.testing.virtual_conductor THRESHOLD
[daemon arguments]` runs `podium.conductor.daemon` with a `VirtualClock` whose autojump
threshold is THRESHOLD real seconds (`ConductorProcess(home, virtual_time=THRESHOLD)` starts
it). Once the conductor has been idle that long, time jumps to its next timer: a retry
backoff, a rate-limit window or an attempt's timeout passes at once, while its processes,
its store and its socket stay real. Its wall clock starts at the real time."""

import sys
import time

from podium.conductor.daemon import main as run_conductor
from podium.testing.clock import VirtualClock


def main(argv: list[str]) -> int:
    if not argv:
        print(f"usage: python -m {__spec__.name} THRESHOLD [daemon arguments]", file=sys.stderr)
        return 2
    clock = VirtualClock(start=time.time(), autojump_threshold=float(argv[0]))
    return run_conductor(argv[1:], clock=clock)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
