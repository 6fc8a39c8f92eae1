"""CLI latency: the wall time of `podium status`, `podium list` and `podium --help` as a user
runs them against a running conductor, beside `python -c pass` on the same interpreter; on an
empty registry, then with many finished jobs in the store.

    python bench/cli_latency.py [--runs 20] [--jobs 100000] [--quick]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure, ms, p50, percentile, table
from podium.testing.conductor import ConductorProcess
from seed import seed

PODIUM = str(Path(sys.executable).parent / "podium")
COMMANDS = (("status",), ("list",), ("--help",))
TARGET_MS = 80.0
"""`podium status` at most this long, whatever the size of the history."""


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    subprocess.run(argv, env=env, capture_output=True, check=False)  # warm the disk cache
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        took.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return took


def measure(runs: int, history: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    figures = []
    python = timed([sys.executable, "-c", "pass"], {}, runs)
    baseline = ms(p50(python))
    for jobs in (0, history):
        home = folder / f"home-{jobs}"
        if jobs:
            say(f"  seeding {jobs:,} finished jobs")
            seed(home, jobs)
        say(f"  {runs} runs of each command, {jobs:,} jobs in the store")
        with ConductorProcess(home) as conductor:
            for command in COMMANDS:
                took = timed([PODIUM, *command], conductor.env, runs)
                name = f"cli: podium {' '.join(command)}, {jobs:,} jobs"
                is_status = command == ("status",)
                for label, value in (("p50", p50(took)), ("p95", percentile(took, 95))):
                    figures.append(
                        Figure(
                            f"{name} ({label})",
                            ms(value),
                            "ms",
                            baseline=baseline,
                            baseline_name="python -c pass",
                            target=TARGET_MS if is_status else None,
                        )
                    )
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure(20, 10_000 if quick else 100_000, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure(args.runs, args.jobs, Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
