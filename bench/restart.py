"""Restart recovery: the conductor is killed with SIGKILL while `attempts` attempts run
(sleeping children) and `queued` jobs wait; a new one starts on the same state. From its
start: its first answer on the socket, every attempt re-attached (the engine holds them all
running again), its first new dispatch (an attempt of a job that was queued), and ready
(every job back, every request answered). Beside it: the same conductor's cold start on an
empty state (first answer, and ready).

    python bench/restart.py [--attempts 200] [--queued 10000]
"""

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from figures import Figure, table
from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.ipc.methods import DAEMON_STATUS
from podium.testing.conductor import ConductorProcess
from submit import hammer, submissions

ANSWER_TARGET_S = 0.5
REATTACHED_TARGET_S = 1.5
DISPATCH_TARGET_S = 2.0
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


@dataclass(frozen=True, slots=True)
class Start:
    """A conductor's start: the wall time at launch, and seconds from it to each step."""

    at: float
    answer: float
    """The first answer to `daemon.status`, whatever its state."""
    reattached: float
    """The conductor logs that the jobs in progress are back, their attempts re-attached."""
    ready: float
    """`daemon.status` says 'ready'."""


def timed_start(conductor: ConductorProcess) -> Start:
    """Launch the conductor and time its start, asking `daemon.status` all along."""
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
        now = time.perf_counter() - started
        answered = answered or now
        if state["state"] == "ready":
            return Start(at, answered, reattached(conductor) - at, now)
        time.sleep(0.002)


def reattached(conductor: ConductorProcess) -> float:
    """When the conductor logged that the jobs in progress were back (its log's clock: the
    wall clock, to the millisecond)."""
    for line in reversed(conductor.log.splitlines()):  # this conductor's, not an earlier one's
        if "podium.runtime.restart: took back" in line:
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            return stamp.timestamp()
    raise RuntimeError("the conductor did not log its recovery:\n" + conductor.log[-2000:])


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
    fresh = ConductorProcess(folder / "cold", config(attempts, running_jobs))
    empty = timed_start(fresh)
    fresh.stop()

    first = ConductorProcess(folder / "home", config(attempts, running_jobs)).start()
    say(f"  starting {attempts} attempts in {running_jobs} jobs")
    for index, first_voice in enumerate(range(0, attempts, VOICES)):
        score = folder / f"running-{index}.yaml"
        voices = min(VOICES, attempts - first_voice)
        score.write_text(RUNNING.format(index=index, voices=voices))
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
    again = timed_start(second)
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
    shape = f"{attempts} running + {queued:,} queued"
    cold = "cold start"
    return [
        Figure(
            "restart: cold start on an empty state, first answer",
            empty.answer,
            "s",
            target=COLD_TARGET_S,
        ),
        Figure(
            "restart: cold start on an empty state, ready",
            empty.ready,
            "s",
            baseline=empty.answer,
            baseline_name="its first answer",
        ),
        Figure(
            f"restart: {shape}, SIGKILL → first answer",
            again.answer,
            "s",
            baseline=empty.answer,
            baseline_name=cold,
            target=ANSWER_TARGET_S,
        ),
        Figure(
            f"restart: {shape}, → every attempt re-attached",
            again.reattached,
            "s",
            baseline=empty.ready,
            baseline_name=f"{cold}, ready",
            target=REATTACHED_TARGET_S,
        ),
        Figure(
            f"restart: {shape}, → first new dispatch",
            dispatched - again.at,
            "s",
            target=DISPATCH_TARGET_S,
        ),
        Figure(
            f"restart: {shape}, → ready (every job back)",
            again.ready,
            "s",
            baseline=empty.ready,
            baseline_name=f"{cold}, ready",
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
