"""Cancel: a job with 20 running attempts whose processes ignore SIGTERM is cancelled; how
long until no process of theirs remains (they get `kill_grace_seconds`, then SIGKILL), and
how many survive. Beside it: the grace period itself.

    python bench/cancel.py [--attempts 20] [--grace 2]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure, table
from podium.ipc.methods import JOB_CANCEL
from podium.runtime.process import group_exists
from podium.testing.conductor import ConductorProcess

SCORE = """\
name: stubborn
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1, fan_out: {{1: {attempts}}}}}
parallel: {{enabled: true, max_concurrent: {attempts}}}
prompt:
  template: "trap '' TERM; echo $$ > pid-{{{{ instance }}}}; sleep 600; sleep 600"
"""


def measure(attempts: int, grace: float, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    config = {
        "kill_grace_seconds": grace,
        "max_concurrent_sheets": attempts,
        "instruments": {"cli": {"max_concurrent": attempts}},
    }
    score = folder / "stubborn.yaml"
    score.write_text(SCORE.format(attempts=attempts))
    ws = folder / "ws"
    with ConductorProcess(folder / "home", config) as conductor:
        job = conductor.submit(score)
        conductor.wait_until(
            lambda: (
                len(list(ws.glob("pid-*"))) == attempts
                and all(p.read_text().strip() for p in ws.glob("pid-*"))
            ),
            60,
            "every attempt to start",
        )
        groups = {os.getpgid(int(p.read_text())) for p in ws.glob("pid-*")}
        say(f"  cancelling a job with {len(groups)} running attempts that ignore SIGTERM")
        started = time.perf_counter()
        conductor.request(JOB_CANCEL({"job_id": job}))
        deadline = started + grace + 30
        while any(group_exists(g) for g in groups) and time.perf_counter() < deadline:
            time.sleep(0.005)
        took = time.perf_counter() - started
        survivors = sum(group_exists(g) for g in groups)
    return [
        Figure(
            f"cancel: {attempts} attempts ignoring SIGTERM, until none remains",
            took,
            "s",
            baseline=grace,
            baseline_name="kill_grace_seconds",
            target=grace + 1,
        ),
        Figure("cancel: process groups surviving", survivors, "", target=0),
    ]


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure(20, 2.0, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=20)
    parser.add_argument("--grace", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure(args.attempts, args.grace, Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
