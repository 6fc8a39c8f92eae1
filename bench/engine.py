"""Time the engine's decisions alone: events handled per second, no I/O at all.

A job of N independent sheets (parallel, 20 at a time) and a chain of N sheets each run to
completion through `Engine.handle`, every attempt exiting 0 and passing its validations, so
that the figures are the cost of deciding (dispatch, limits, records), not of running.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from figures import Figure
from podium.domain.commands import Launch, RunValidations
from podium.domain.engine import Limits
from podium.testing.harness import EngineHarness, make_plan


def drive(h: EngineHarness) -> int:
    """Answer every launch and validation until nothing is left; return the events fed."""
    events = 0
    pending = [c for c in h.commands if isinstance(c, Launch | RunValidations)]
    while pending:
        command = pending.pop()
        if isinstance(command, Launch):
            out = h.exit(command.job_id, command.sheet, attempt=command.attempt)
        else:
            out = h.validated(command.job_id, command.sheet, attempt=command.attempt)
        events += 1
        pending.extend(c for c in out if isinstance(c, Launch | RunValidations))
    return events


def wide(sheets: int) -> EngineHarness:
    limits = Limits(max_concurrent_sheets=20, default_instrument_cap=20)
    h = EngineHarness(limits)
    h.submit(make_plan({n: [] for n in range(1, sheets + 1)}, parallel=20))
    return h


def chain(sheets: int) -> EngineHarness:
    h = EngineHarness()
    h.submit(make_plan(sheets=sheets))
    return h


def measure(build: Callable[[int], EngineHarness], sheets: int, runs: int) -> list[float]:
    """Microseconds per event, one figure per run."""
    figures = []
    for _ in range(runs):
        h = build(sheets)
        started = time.perf_counter()
        events = drive(h)
        figures.append((time.perf_counter() - started) / events * 1e6)
        assert h.engine.active_jobs() == [], "the job did not end"
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    sheets = 500 if quick else 2000
    say(f"  {sheets} sheets through the engine alone")
    return [
        Figure(
            f"engine alone: {name}, {sheets} sheets, per event",
            statistics.median(measure(build, sheets, 3)),
            "µs",
        )
        for name, build in (("independent, 20 at a time", wide), ("a chain", chain))
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"engine alone, {args.sheets} sheets, {args.runs} runs (µs per event: min / median)")
    for name, build in (("independent, 20 at a time", wide), ("a chain", chain)):
        figures = measure(build, args.sheets, args.runs)
        print(f"  {name:<28} {min(figures):8.1f} / {statistics.median(figures):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
