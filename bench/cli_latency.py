"""CLI latency: the wall time of `podium status`, `podium list` and `podium --help` as a user
runs them against a running conductor, beside `python -c pass` on the same interpreter; on an
empty registry, then with many finished jobs in the store. Each also without compiled
bytecode to read (a cache folder of its own that stays empty: every module is compiled from
source, as on the first run after an install), beside `python -c pass` run the same way.

    python bench/cli_latency.py [--runs 20] [--jobs 100000] [--quick]
"""

import argparse
import os
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
TARGETED = (("status",), ("list",))
TARGET_RATIO = 3.0
"""`podium status` and `podium list` within this many times `python -c pass` (p50), whatever
the size of the history."""


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


def uncached(env: dict[str, str], folder: Path) -> dict[str, str]:
    """`env` in which Python finds no compiled bytecode and writes none."""
    empty = folder / "no-bytecode"
    empty.mkdir(exist_ok=True)
    return {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty)}


def measure(runs: int, history: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    figures = []
    plain = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    python = ms(p50(timed([sys.executable, "-c", "pass"], plain, runs)))
    cold = ms(p50(timed([sys.executable, "-c", "pass"], uncached(plain, folder), runs)))
    for jobs in (0, history):
        home = folder / f"home-{jobs}"
        if jobs:
            say(f"  seeding {jobs:,} finished jobs")
            seed(home, jobs)
        say(f"  {runs} runs of each command, {jobs:,} jobs in the store")
        with ConductorProcess(home) as conductor:
            env = {**plain, **{k: conductor.env[k] for k in ("PODIUM_HOME", "PODIUM_SOCKET")}}
            for command in COMMANDS:
                took = timed([PODIUM, *command], env, runs)
                name = f"cli: podium {' '.join(command)}, {jobs:,} jobs"
                target = python * TARGET_RATIO if command in TARGETED else None
                for label, value, aim in (
                    ("p50", p50(took), target),
                    ("p95", percentile(took, 95), None),
                ):
                    figures.append(
                        Figure(
                            f"{name} ({label})",
                            ms(value),
                            "ms",
                            baseline=python,
                            baseline_name="python -c pass",
                            target=aim,
                        )
                    )
            for command in TARGETED:
                took = timed([PODIUM, *command], uncached(env, folder), runs)
                figures.append(
                    Figure(
                        f"cli: podium {' '.join(command)}, {jobs:,} jobs, no bytecode (p50)",
                        ms(p50(took)),
                        "ms",
                        baseline=cold,
                        baseline_name="python -c pass, no bytecode",
                        target=cold * TARGET_RATIO,
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
