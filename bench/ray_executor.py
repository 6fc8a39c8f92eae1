"""The Ray executor's cost: per-sheet overhead of `true` sheets on Ray beside the local
executor, and how long a restarted conductor takes to re-attach attempts running on Ray.

A loopback cluster of one node (`podium.testing.ray_cluster`) offers the `cli` instrument. The
same chain of `true` sheets runs through a conductor with the local executor, then through one
with the Ray executor (each attempt a new actor: a worker process started on the node). Then
a conductor on Ray starts attempts that wait, is killed with SIGKILL, and a new one is started:
the figure is from its start to its log saying it re-attached them all.

Skipped, saying why, when Ray is not installed.

    python bench/ray_executor.py [--sheets 30] [--waiting 10]
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
from overhead import run_job
from podium.testing.conductor import ConductorProcess
from podium.testing.ray_cluster import LOOPBACK_ENV, LoopbackCluster

WAITING = """\
name: waiting
workspace: ./ws-waiting
instrument: cli
pause_between_sheets_seconds: 0
parallel: {{enabled: true, max_concurrent: {count}}}
sheet: {{size: 1, total_items: {count}, dependencies: {{1: []}}}}
prompt:
  template: |
    touch started-{{{{ sheet_num }}}}
    while [ ! -e go ]; do sleep 0.05; done
"""


def on_ray(address: str) -> dict[str, object]:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    return {"executor": {"type": "ray", "address": address, "namespace": namespace}}


def per_sheet(config: dict[str, object], folder: Path, sheets: int) -> tuple[list[float], float]:
    """Ready → exec handoffs (s) and wall time per sheet of a chain of `true` sheets."""
    with ConductorProcess(folder / "home", config) as conductor:
        handoff, _settle, wall = run_job(conductor, folder, "chain", sheets, lanes=1, check=False)
    return handoff, wall


def reattach_seconds(address: str, folder: Path, count: int) -> float:
    """From a restarted conductor's start to its log saying it re-attached `count` attempts."""
    # All at once: the conductor's caps (4 per instrument by default) would hold some back.
    caps = {"max_concurrent_sheets": count, "instruments": {"cli": {"max_concurrent": count}}}
    config = {**on_ray(address), **caps}
    folder.mkdir(parents=True, exist_ok=True)
    score = folder / "waiting.yaml"
    score.write_text(WAITING.format(count=count))
    ws = folder / "ws-waiting"
    first = ConductorProcess(folder / "home", config).start()
    job = first.submit(score)
    first.wait_until(lambda: len(list(ws.glob("started-*"))) == count, 300, "the sheets to start")
    first.kill(signal.SIGKILL)
    second = ConductorProcess(folder / "home", config)
    started = time.perf_counter()
    second.launch()
    second.wait_until(
        lambda: f"re-attached {count} attempt(s)" in second.log, 120, "the re-attach", poll=0.01
    )
    took = time.perf_counter() - started
    (ws / "go").touch()
    try:
        second.wait_for_job(job, "completed", timeout=300)
    finally:
        second.stop()
    return took


def run(
    quick: bool,
    say: Callable[[str], None] = print,
    sheets: int | None = None,
    waiting: int | None = None,
) -> list[Figure]:
    if importlib.util.find_spec("ray") is None:
        say("   skipped: Ray is not installed (pip install 'podium[ray]')")
        return []
    sheets = sheets or (5 if quick else 30)
    waiting = waiting or (3 if quick else 10)
    os.environ.update(LOOPBACK_ENV)
    with tempfile.TemporaryDirectory(prefix="podray-", dir="/tmp") as tmp:
        root = Path(tmp)
        local_handoff, local_wall = per_sheet({}, root / "local", sheets)
        say(f"   local: {ms(local_wall):.1f} ms per sheet")
        with LoopbackCluster(root / "cluster", {"node": {"instrument:cli": 100.0}}) as cluster:
            ray_handoff, ray_wall = per_sheet(on_ray(cluster.address), root / "ray", sheets)
            say(f"   ray: {ms(ray_wall):.1f} ms per sheet")
            reattach = reattach_seconds(cluster.address, root / "reattach", waiting)
            say(f"   re-attach of {waiting}: {reattach:.2f} s")
    return [
        Figure(
            f"ray executor: ready → exec, {sheets} true sheets (p50)",
            ms(p50(ray_handoff)),
            "ms",
            baseline=ms(p50(local_handoff)),
            baseline_name="local executor",
        ),
        Figure(
            f"ray executor: wall time per true sheet, {sheets} sheets",
            ms(ray_wall),
            "ms",
            baseline=ms(local_wall),
            baseline_name="local executor",
        ),
        Figure(f"ray executor: re-attach {waiting} running attempts", reattach, "s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=30)
    parser.add_argument("--waiting", type=int, default=10)
    args = parser.parse_args()
    print(table(run(quick=False, sheets=args.sheets, waiting=args.waiting)))


if __name__ == "__main__":
    main()
