"""Restart recovery: the conductor is killed with SIGKILL while `attempts` attempts run
(sleeping children) and `queued` jobs wait; a new one starts on the same state. From its
start: its first answer on the socket, ready (every attempt re-attached, every job back), and
its first new dispatch (an attempt of a job that was queued). Beside it: the same conductor's
cold start on an empty state (first answer).

    python bench/restart.py [--attempts 200] [--queued 10000]
"""

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure, table
from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.ipc.methods import DAEMON_STATUS
from podium.testing.conductor import ConductorProcess
from submit import hammer, submissions

READY_TARGET_S = 1.0
REATTACHED_TARGET_S = 3.0
DISPATCH_TARGET_S = 5.0
COLD_TARGET_S = 0.3
VOICES = 10
"""Attempts per running job."""
RUNNING = """\
name: running-{index}
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1, fan_out: {{1: {voices}}}}}
parallel: {{enabled: true, max_concurrent: {voices}}}
prompt:
  template: 'echo $$ > pid-{index}-{{{{ instance }}}}; sleep 600'
"""
QUEUED = """\
name: queued-{n}
workspace: ./ws-queued
instrument: cli
sheet: {{size: 1, total_items: 1}}
prompt: {{template: 'sleep 600'}}
"""


def timed_start(conductor: ConductorProcess) -> tuple[float, float, float]:
    """Wall time at launch, and seconds from it to the first answer and to ready."""
    at = time.time()
    started = time.perf_counter()
    conductor.launch()
    answered = None
    while True:
        try:
            state = ConductorClient(str(conductor.socket), timeout=30).request(DAEMON_STATUS({}))
        except ConductorUnavailable:
            time.sleep(0.002)
            continue
        now = time.perf_counter()
        answered = answered or now
        if state["state"] == "ready":
            return at, answered - started, now - started
        time.sleep(0.002)


def config(attempts: int, jobs: int) -> dict[str, object]:
    return {
        "max_concurrent_jobs": jobs,
        "max_concurrent_sheets": attempts + 10,
        "kill_grace_seconds": 0.5,
        "instruments": {"cli": {"max_concurrent": attempts + 10}},
        # Each attempt is three processes (the exit wrapper, bash, sleep): room for them all,
        # so that backpressure never refuses the queued submissions.
        "resource_limits": {"max_processes": 4 * attempts + 64},
    }


def measure(attempts: int, queued: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    running_jobs = -(-attempts // VOICES)
    cold = ConductorProcess(folder / "cold", config(attempts, running_jobs))
    _, cold_answer, _ = timed_start(cold)
    cold.stop()

    first = ConductorProcess(folder / "home", config(attempts, running_jobs)).start()
    say(f"  starting {attempts} attempts in {running_jobs} jobs")
    for index, start in enumerate(range(0, attempts, VOICES)):
        score = folder / f"running-{index}.yaml"
        score.write_text(RUNNING.format(index=index, voices=min(VOICES, attempts - start)))
        first.submit(score)
    ws = folder / "ws"
    first.wait_until(lambda: len(list(ws.glob("pid-*"))) == attempts, 120, "every attempt")
    say(f"  queueing {queued:,} jobs")
    for n in range(queued):
        (folder / f"queued-{n}.yaml").write_text(QUEUED.format(n=n))
    hammer(first.socket, submissions(folder / f"queued-{n}.yaml" for n in range(queued)), 20)
    first.kill(signal.SIGKILL)

    say("  SIGKILL; starting again (with one more job slot, for a new dispatch)")
    second = ConductorProcess(folder / "home", config(attempts, running_jobs + 1))
    at, answer, ready = timed_start(second)
    second.wait_until(
        lambda: bool(second.query("SELECT 1 FROM attempts WHERE job_id LIKE 'queued-%' LIMIT 1")),
        120,
        "a queued job's first attempt",
    )
    [(dispatched,)] = second.query(
        "SELECT min(started_at) FROM attempts WHERE job_id LIKE 'queued-%'"
    )
    alive = second.query("SELECT count(*) FROM attempts WHERE outcome = 'running'")[0][0]
    second.stop()
    first.stop()
    return [
        Figure(
            "restart: cold start on an empty state, first answer",
            cold_answer,
            "s",
            target=COLD_TARGET_S,
        ),
        Figure(
            f"restart: {attempts} running + {queued:,} queued, SIGKILL → first answer",
            answer,
            "s",
            baseline=cold_answer,
            baseline_name="cold start",
            target=READY_TARGET_S,
        ),
        Figure(
            f"restart: {attempts} running + {queued:,} queued, → every attempt re-attached",
            ready,
            "s",
            baseline=cold_answer,
            baseline_name="cold start",
            target=REATTACHED_TARGET_S,
        ),
        Figure(
            f"restart: {attempts} running + {queued:,} queued, → first new dispatch",
            dispatched - at,
            "s",
            target=DISPATCH_TARGET_S,
        ),
        Figure(
            "restart: attempts running after the restart",
            alive,
            "",
            baseline=attempts + 1,
            baseline_name="expected",
            note="the re-attached ones and the new one",
        ),
    ]


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        if quick:
            return measure(50, 1000, Path(tmp), say)
        return measure(200, 10_000, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--queued", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure(args.attempts, args.queued, Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
