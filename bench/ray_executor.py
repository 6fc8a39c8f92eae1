"""The Ray executor's cost beside the local executor's: per-sheet overhead of `true` sheets one
at a time and 16 at once (throughput), and how long a restarted conductor takes to re-attach
attempts running on Ray.

A loopback cluster of two nodes (`podium.testing.ray_cluster`) that both offer the `cli`
instrument. The same `true` sheets run through a conductor with the local executor, then
through one with the Ray executor (each attempt a new actor: a worker process started on a
node). Then a conductor on Ray starts attempts that wait, is killed with SIGKILL, and a new one
is started: the figure is from its start to its log saying it re-attached them all. Each
attempt running on Ray holds a Ray worker process on its node, so how many can run at once is
bounded by the nodes' memory.

Skipped, saying why, when Ray is not installed. (Not `bench/ray.py`: that name would hide the
`ray` package from the scripts beside it.)

    python bench/ray_executor.py [--sheets 1000] [--lanes 16] [--waiting 100]
"""

import argparse
import importlib.util
import os
import signal
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from figures import Figure, ms, p50, table
from overhead import run_jobs
from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LOOPBACK_ENV, LoopbackCluster

WAITING = """\
name: waiting-{n}
workspace: ./ws-waiting
instrument: cli
pause_between_sheets_seconds: 0
parallel: {{enabled: true, max_concurrent: {count}}}
sheet: {{size: 1, total_items: {count}, dependencies: {{1: []}}}}
prompt:
  template: |
    touch started-{n}-{{{{ sheet_num }}}}
    while [ ! -e go ]; do sleep 3; done
"""

PER_JOB = 20
"""A score runs at most this many sheets at once (`parallel.max_concurrent`)."""


def on_ray(address: str) -> dict[str, object]:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    return {"executor": {"type": "ray", "address": address, "namespace": namespace}}


ALL_AT_ONCE = 16


def all_at_once(config: dict[str, object], lanes: int) -> dict[str, object]:
    """`config` with the conductor's caps (4 per instrument by default) lifted to `lanes`."""
    caps = {"max_concurrent_sheets": lanes, "instruments": {"cli": {"max_concurrent": lanes}}}
    return {**config, **caps}


def sheets_run(
    config: dict[str, object], folder: Path, sheets: int, lanes: int
) -> tuple[list[float], float]:
    """Ready → exec handoffs (s) and sheets per second of `sheets` `true` sheets in `lanes`
    chains."""
    with ConductorProcess(folder / "home", all_at_once(config, lanes)) as conductor:
        found = run_jobs(conductor, folder, f"lanes{lanes}", sheets, lanes=lanes, check=False)
    return found.handoff, found.rate


def reattach_seconds(address: str, folder: Path, count: int) -> float:
    """From a restarted conductor's start to its log saying it re-attached `count` attempts
    (in jobs of at most `PER_JOB`, a score's most sheets at once)."""
    config = all_at_once(on_ray(address), count)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [min(PER_JOB, count - n) for n in range(0, count, PER_JOB)]
    first = ConductorProcess(folder / "home", config).start()
    jobs = []
    for n, size in enumerate(sizes):
        score = folder / f"waiting-{n}.yaml"
        score.write_text(WAITING.format(count=size, n=n))
        jobs.append(first.submit(score))
    ws = folder / "ws-waiting"
    first.wait_until(lambda: len(list(ws.glob("started-*"))) == count, 600, "the sheets to start")
    first.kill(signal.SIGKILL)
    second = ConductorProcess(folder / "home", config)
    started = time.perf_counter()
    second.launch()
    second.wait_until(
        lambda: f"re-attached {count} attempt(s)" in second.log, 300, "the re-attach", poll=0.01
    )
    took = time.perf_counter() - started
    (ws / "go").touch()
    try:
        for job in jobs:
            second.wait_for_job(job, "completed", timeout=600)
    finally:
        second.stop()
    return took


def run(
    quick: bool,
    say: Callable[[str], None] = print,
    sheets: int | None = None,
    lanes: int | None = None,
    waiting: int | None = None,
) -> list[Figure]:
    if importlib.util.find_spec("ray") is None:
        say("   skipped: Ray is not installed (pip install 'podium[ray]')")
        return []
    sheets = sheets or (8 if quick else 1000)
    lanes = lanes or (4 if quick else ALL_AT_ONCE)
    # Not 200: on this 2-core machine class, past about 150 attempts running on Ray (a Ray
    # worker process each, with its threads, about 75 MB) the load average passes 1,000.
    waiting = waiting or (3 if quick else 100)
    os.environ.update(LOOPBACK_ENV)
    nodes = {"a": {"instrument:cli": 1000.0}, "b": {"instrument:cli": 1000.0}}
    with tempfile.TemporaryDirectory(prefix="podray-", dir="/tmp") as tmp:
        root = Path(tmp)
        local_one, local_one_rate = sheets_run({}, root / "local-1", sheets, 1)
        _, local_many_rate = sheets_run({}, root / f"local-{lanes}", sheets, lanes)
        say(f"   local: {1000 / local_one_rate:.1f} ms per sheet, {local_many_rate:.0f}/s")
        with LoopbackCluster(root / "cluster", nodes) as cluster:
            ray_one, ray_one_rate = sheets_run(on_ray(cluster.address), root / "ray-1", sheets, 1)
            say(f"   ray: {1000 / ray_one_rate:.1f} ms per sheet")
            _, ray_many_rate = sheets_run(
                on_ray(cluster.address), root / f"ray-{lanes}", sheets, lanes
            )
            say(f"   ray, {lanes} at once: {ray_many_rate:.1f} sheets/s")
            reattach = reattach_seconds(cluster.address, root / "reattach", waiting)
            say(f"   re-attach of {waiting}: {reattach:.2f} s")
    return [
        Figure(
            f"ray executor: ready → exec, {sheets} true sheets one at a time (p50)",
            ms(p50(ray_one)),
            "ms",
            baseline=ms(p50(local_one)),
            baseline_name="local executor",
        ),
        Figure(
            f"ray executor: wall time per true sheet, {sheets} one at a time",
            1000 / ray_one_rate,
            "ms",
            baseline=1000 / local_one_rate,
            baseline_name="local executor",
        ),
        Figure(
            f"ray executor: throughput, {sheets} true sheets {lanes} at once on 2 nodes",
            ray_many_rate,
            "sheets/s",
            baseline=local_many_rate,
            baseline_name="local executor",
        ),
        Figure(f"ray executor: re-attach {waiting} running attempts", reattach, "s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--lanes", type=int, default=ALL_AT_ONCE)
    parser.add_argument("--waiting", type=int, default=100)
    args = parser.parse_args()
    figures = run(quick=False, sheets=args.sheets, lanes=args.lanes, waiting=args.waiting)
    print(table(figures))


if __name__ == "__main__":
    main()
