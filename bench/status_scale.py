"""Status at scale: `job.status` and `job.list` answered while 20 sheets run, with 1k, 10k and
100k jobs in the store (mostly finished ones). Beside them: `daemon.status`, the round trip of
a request that reads nothing.

    python bench/status_scale.py [--sizes 1000,10000,100000] [--calls 200]
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from figures import Figure, ms, p50, percentile, table
from podium.ipc.client import ConductorClient
from podium.ipc.methods import DAEMON_STATUS, JOB_CANCEL, JOB_LIST, JOB_STATUS, Call
from podium.testing.conductor import ConductorProcess
from seed import seed

STATUS_P99_MS = 20.0
LIST_P99_MS = 100.0
RUNNING = """\
name: busy
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1, fan_out: {1: 20}}
parallel: {enabled: true, max_concurrent: 20}
prompt: {template: 'sleep 600'}
"""


def timed(client: ConductorClient, call: Call[Any, Any], calls: int) -> list[float]:
    client.request(call)
    took = []
    for _ in range(calls):
        started = time.perf_counter()
        client.request(call)
        took.append(time.perf_counter() - started)
    return took


def running(conductor: ConductorProcess, job: str) -> bool:
    """Are all 20 sheets of the job running?"""
    return sum(s["status"] == "running" for s in conductor.status(job)["sheets"]) == 20


def measure(sizes: list[int], calls: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    figures = []
    config = {"max_concurrent_sheets": 20, "instruments": {"cli": {"max_concurrent": 20}}}
    for size in sizes:
        home = folder / f"home-{size}"
        say(f"  seeding {size:,} finished jobs")
        seed(home, size)
        score = folder / "busy.yaml"
        score.write_text(RUNNING)
        with ConductorProcess(home, config) as conductor:
            busy = conductor.submit(score)
            conductor.wait_until(partial(running, conductor, busy), 60, "20 sheets to run")
            say(f"  {size:,} jobs: {calls} calls of each method")
            with ConductorClient(str(conductor.socket)) as client:
                base = timed(client, DAEMON_STATUS({}), calls)
                cases: list[tuple[str, Call[Any, Any], float]] = [
                    ("job.status, a running job", JOB_STATUS({"job_id": busy}), STATUS_P99_MS),
                    (
                        "job.status, a finished job",
                        JOB_STATUS({"job_id": f"old-{size // 2}"}),
                        STATUS_P99_MS,
                    ),
                    ("job.list, active", JOB_LIST({}), LIST_P99_MS),
                    (
                        "job.list --all --limit 50",
                        JOB_LIST({"all": True, "limit": 50}),
                        LIST_P99_MS,
                    ),
                ]
                for label, call, target in cases:
                    took = timed(client, call, calls)
                    for name, value, b, t in (
                        ("p50", p50(took), p50(base), None),
                        ("p99", percentile(took, 99), percentile(base, 99), target),
                    ):
                        figures.append(
                            Figure(
                                f"status: {label}, {size:,} jobs ({name})",
                                ms(value),
                                "ms",
                                baseline=ms(b),
                                baseline_name="daemon.status",
                                target=t,
                            )
                        )
            conductor.request(JOB_CANCEL({"job_id": busy}))
            conductor.wait_for_job(busy, "cancelled", timeout=60)
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    sizes = [1000, 10_000] if quick else [1000, 10_000, 100_000]
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure(sizes, 50 if quick else 200, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure(sizes, args.calls, Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
