"""Memory: the conductor's resident set idle, then with 1,000 and 10,000 queued jobs of 10
sheets each (one job runs, holding the only job slot, so the others stay queued). Beside it:
the resident set of a bare Python interpreter.

    python bench/memory.py [--jobs 1000,10000]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure, table
from podium.testing.conductor import ConductorProcess
from submit import hammer, submissions

IDLE_TARGET_MB = 60.0
PER_1000_TARGET_MB = 30.0
SCORE = """\
name: queued-{n}
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 10}}
prompt: {{template: 'sleep 600'}}
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def settled_rss(pid: int) -> float:
    """The resident set once it stops moving (after a burst of work)."""
    last = rss_mb(pid)
    for _ in range(20):
        time.sleep(0.25)
        now = rss_mb(pid)
        if abs(now - last) < 0.1:
            return now
        last = now
    return last


def bare_python() -> float:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.3)
        return rss_mb(child.pid)
    finally:
        child.kill()
        child.wait()


def measure(sizes: list[int], folder: Path, say: Callable[[str], None]) -> list[Figure]:
    bare = bare_python()
    config = {"max_concurrent_jobs": 1}
    figures = []
    with ConductorProcess(folder / "home", config) as conductor:
        assert conductor.process is not None
        pid = conductor.process.pid
        time.sleep(1.0)  # the resource monitor's first measurement, the store warm
        idle = settled_rss(pid)
        figures.append(
            Figure(
                "memory: conductor idle",
                idle,
                "MB",
                baseline=bare,
                baseline_name="bare python",
                target=IDLE_TARGET_MB,
            )
        )
        queued = 0
        for size in sizes:
            say(f"  queueing jobs up to {size:,}")
            for n in range(queued, size):
                (folder / f"q-{n}.yaml").write_text(SCORE.format(n=n))
            calls = submissions(folder / f"q-{n}.yaml" for n in range(queued, size))
            hammer(conductor.socket, calls, 20)
            queued = size
            used = settled_rss(pid)
            figures.append(Figure(f"memory: conductor with {size:,} queued jobs", used, "MB"))
            figures.append(
                Figure(
                    f"memory: per 1,000 queued jobs (at {size:,})",
                    (used - idle) / size * 1000,
                    "MB",
                    target=PER_1000_TARGET_MB,
                )
            )
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure([1000] if quick else [1000, 10_000], Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="1000,10000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure([int(s) for s in args.jobs.split(",")], Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
