"""The event stream's cost to the engine: the per-sheet overhead of `overhead.py` (sheets of
`true` in one chain through a real conductor), with no subscriber, with 100 subscribers reading
every event, and with 100 that read nothing (stuck: they are dropped once they fall
`events.subscriber_queue` behind). The stream must not move the overhead.

    python bench/subscribers.py [--sheets 1000] [--subscribers 100]
"""

import argparse
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from figures import Figure, ms, p50, percentile, table
from overhead import run_job
from podium.ipc.stream import StreamDropped, Subscription
from podium.testing.conductor import ConductorProcess

CONFIG = {
    "max_concurrent_sheets": 8,
    "max_concurrent_jobs": 50,
    "events": {"subscriber_queue": 1000},
}


class Readers:
    """`count` subscribers to every event, each read by a thread of its own (or not read at
    all: `stuck`)."""

    def __init__(self, conductor: ConductorProcess, count: int, *, stuck: bool) -> None:
        self.streams = [Subscription(str(conductor.socket), {}, idle=0.2) for _ in range(count)]
        self.read = [0] * count
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._read, args=(n,), daemon=True)
            for n in range(count)
            if not stuck
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, n: int) -> None:
        try:
            for event in self.streams[n]:
                if event is not None:
                    self.read[n] += 1
                if self._stop.is_set():
                    return
        except (StreamDropped, OSError):
            return

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for stream in self.streams:
            stream.close()


def measure(sheets: int, count: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    figures: list[Figure] = []
    base: dict[str, float] = {}
    for label, readers, stuck in (
        ("no subscriber", 0, False),
        (f"{count} subscribers reading", count, False),
        (f"{count} subscribers stuck", count, True),
    ):
        with ConductorProcess(folder / label.replace(" ", "-"), CONFIG) as conductor:
            say(f"  {sheets} sheets, {label}")
            subscribed = Readers(conductor, readers, stuck=stuck)
            try:
                handoff, settle, wall = run_job(
                    conductor, folder, label.split()[0], sheets, lanes=1, check=False
                )
            finally:
                subscribed.close()
        if readers and not stuck:
            events = sum(subscribed.read) / readers
            say(f"    each subscriber read {events:,.0f} events")
        for name, value in (
            ("ready → exec (p50)", ms(p50(handoff))),
            ("ready → exec (p99)", ms(percentile(handoff, 99))),
            ("exit → decided (p50)", ms(p50(settle))),
            ("wall per sheet", ms(wall)),
        ):
            base.setdefault(name, value)
            figures.append(
                Figure(
                    f"stream: {sheets} sheets, {label}, {name}",
                    value,
                    "ms",
                    baseline=base[name] if readers else None,
                    baseline_name="no subscriber" if readers else "",
                )
            )
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure(200 if quick else 1000, 100, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--subscribers", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        found = measure(args.sheets, args.subscribers, Path(tmp), print)
    print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
