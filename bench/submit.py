"""Submit throughput: many clients submitting small scores over the socket at once.

Each of `clients` threads holds its own connection and submits its own scores one after
another; a submission counts once the conductor has answered, which it does only after the
job is committed to the store (durable). Reports jobs per second over the whole run and over
its first and last tenth (sustained, not degrading), and the p50/p99 latency of a submission.
Beside it: the same number of JSON-RPC round trips of `daemon.status` (the socket's own cost).

    python bench/submit.py [--clients 50] [--jobs 10000]
"""

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from figures import Figure, ms, p50, percentile, table
from podium.ipc.client import ConductorClient
from podium.ipc.methods import DAEMON_STATUS, JOB_SUBMIT
from podium.testing.conductor import ConductorProcess

RATE_TARGET = 400.0
P99_TARGET_MS = 200.0
SCORE = """\
name: submit-{n}
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1}}
prompt: {{template: 'true'}}
"""


def hammer(
    socket: Path, calls: Sequence[Callable[[ConductorClient], object]], clients: int
) -> tuple[list[tuple[float, float]], float]:
    """Run `calls` spread over `clients` threads; each call's (start, end), and the wall."""
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)

    def client(mine: Sequence[Callable[[ConductorClient], object]]) -> None:
        done = []
        with ConductorClient(str(socket), timeout=120) as conn:
            conn.request(DAEMON_STATUS({}))  # connected before the clock starts
            gate.wait()
            for call in mine:
                started = time.perf_counter()
                call(conn)
                done.append((started, time.perf_counter()))
        with lock:
            spans.extend(done)

    threads = [threading.Thread(target=client, args=(calls[i::clients],)) for i in range(clients)]
    for t in threads:
        t.start()
    gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return spans, time.perf_counter() - started


def _submit(client: ConductorClient, path: str) -> object:
    return client.request(JOB_SUBMIT({"score_path": path}))


def _ping(client: ConductorClient) -> object:
    return client.request(DAEMON_STATUS({}))


def submissions(paths: Iterable[Path]) -> list[Callable[[ConductorClient], object]]:
    """One call per score, submitting it."""
    return [partial(_submit, path=str(p)) for p in paths]


def rate(spans: list[tuple[float, float]]) -> float:
    """Completions per second over the span of these calls."""
    if len(spans) < 2:
        return float("nan")
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    return len(spans) / (last - first)


def measure(clients: int, jobs: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    for n in range(jobs):
        (folder / f"submit-{n}.yaml").write_text(SCORE.format(n=n))
    config = {"max_concurrent_jobs": 10, "max_concurrent_sheets": 10}
    with ConductorProcess(folder / "home", config) as conductor:
        say(f"  {clients} clients: {jobs:,} round trips of daemon.status")
        pings, ping_wall = hammer(conductor.socket, [_ping] * jobs, clients)
        say(f"  {clients} clients: {jobs:,} submissions")
        calls = submissions(folder / f"submit-{n}.yaml" for n in range(jobs))
        spans, wall = hammer(conductor.socket, calls, clients)
        stored = conductor.query("SELECT count(*) FROM jobs")[0][0]
    spans.sort()
    tenth = max(1, len(spans) // 10)
    took = [e - s for s, e in spans]
    ping_took = [e - s for s, e in pings]
    return [
        Figure(
            f"submit: {clients} clients, {jobs:,} jobs, throughput",
            jobs / wall,
            "jobs/s",
            baseline=jobs / ping_wall,
            baseline_name="daemon.status calls/s",
            target=RATE_TARGET,
            higher_is_better=True,
            note=f"{stored:,} jobs in the store after the run",
        ),
        Figure(
            "submit: throughput, first tenth of the run",
            rate(spans[:tenth]),
            "jobs/s",
            target=RATE_TARGET,
            higher_is_better=True,
        ),
        Figure(
            "submit: throughput, last tenth of the run",
            rate(spans[-tenth:]),
            "jobs/s",
            target=RATE_TARGET,
            higher_is_better=True,
        ),
        Figure(
            "submit: latency (p50)",
            ms(p50(took)),
            "ms",
            baseline=ms(p50(ping_took)),
            baseline_name="daemon.status",
        ),
        Figure(
            "submit: latency (p99)",
            ms(percentile(took, 99)),
            "ms",
            baseline=ms(percentile(ping_took, 99)),
            baseline_name="daemon.status",
            target=P99_TARGET_MS,
        ),
    ]


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure(50, 1000 if quick else 10_000, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure(args.clients, args.jobs, Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
