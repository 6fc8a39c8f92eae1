"""`podium top` at scale: a model of 300 jobs and 5,000 sheets, 1,000 events applied to it,
then a frame drawn: the plain one (`--once`) and the Textual screen's redraw, headless.

The model is seeded through the same calls the stream makes (a snapshot, then sheet events),
so the figures are the monitor's own cost, without a conductor.

    python bench/top_frame.py [--jobs 300] [--sheets 5000] [--events 1000] [--runs 5]
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from figures import Figure, table
from podium.cli.top import plain
from podium.cli.top.app import Settings, TopApp
from podium.cli.top.model import TopModel
from podium.cli.top.view import Options, Processes, rows
from podium.ipc.schema import JobInfo, StreamEvent

NOW = 1_800_000_000.0
TICK_MS = 250.0
"""The screen redraws at most this often: a redraw within it never falls behind."""
STATUSES = ("pending", "ready", "running", "validating", "completed", "failed", "waiting")


def job_info(n: int, sheets: int) -> JobInfo:
    return {
        "job_id": f"job-{n:04d}",
        "name": f"job-{n:04d}",
        "status": "running" if n % 3 else "paused",
        "score_path": f"/scores/job-{n}.yaml",
        "workspace": f"/work/job-{n}",
        "submitted_at": NOW - n,
        "started_at": NOW - n,
        "finished_at": None,
        "error": None,
        "detail": None,
        "resume_when_idle": False,
        "total_sheets": sheets,
        "completed_sheets": 0,
        "chain_depth": 0,
        "cost": 0.0,
    }


def sheet_event(seq: int, job_id: str, num: int, status: str) -> StreamEvent:
    data: dict[str, Any] = {
        "num": num,
        "status": status,
        "attempts": 1,
        "error": None,
        "due": None,
        "wait": None,
        "cost": 0.01 * num,
        "updated_at": NOW - 10,
    }
    return {"seq": seq, "at": NOW, "kind": "sheet", "job_id": job_id, "data": data}


def seeded(jobs: int, sheets: int) -> TopModel:
    """A model of `jobs` jobs sharing `sheets` sheets, every sheet known."""
    per_job = [sheets // jobs + (1 if n < sheets % jobs else 0) for n in range(jobs)]
    model = TopModel()
    infos = [job_info(n, count) for n, count in enumerate(per_job)]
    model.load_snapshot({"stream": "bench", "seq": 0, "replayed": 0, "gap": False, "jobs": infos})
    seq = 0
    for info, count in zip(infos, per_job, strict=True):
        for num in range(1, count + 1):
            seq += 1
            model.apply(sheet_event(seq, info["job_id"], num, "pending"))
    model.take_changed()
    return model


def events(model: TopModel, count: int) -> list[StreamEvent]:
    """`count` sheet transitions spread over every job."""
    ids = list(model.jobs)
    found = []
    for i in range(count):
        job_id = ids[(i * 7) % len(ids)]
        nums = list(model.sheets[job_id])
        found.append(sheet_event(model.seq + i + 1, job_id, nums[i % len(nums)], STATUSES[i % 7]))
    return found


def best_of(runs: int, once: Callable[[], float]) -> float:
    return statistics.median(once() for _ in range(runs))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def apply_ms(jobs: int, sheets: int, count: int) -> float:
    model = seeded(jobs, sheets)
    batch = events(model, count)
    return timed(lambda: [model.apply(e) for e in batch])


def screen_ms(model: TopModel, batch: list[StreamEvent], expand: bool) -> tuple[float, float]:
    """The screen's rebuild of every row (jobs sorted anew, or every job expanded), then its
    redraw after `batch` (rows changed in place), in ms."""
    app = TopApp(Settings(None, clock=lambda: NOW, tick=3600), model)
    wanted = Options(expanded=frozenset(model.jobs)) if expand else Options(sort="cost")
    found: list[float] = []

    async def main() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            app.options = wanted
            found.append(timed(lambda: app.refresh_view(force=True)))
            await pilot.pause()
            for event in batch:
                model.apply(event)
            found.append(timed(app.refresh_view))
            await pilot.pause()

    asyncio.run(main())
    return found[0], found[1]


def measure(jobs: int, sheets: int, count: int, runs: int) -> list[Figure]:
    scale = f"{jobs} jobs, {sheets:,} sheets"
    model = seeded(jobs, sheets)
    collapsed, expanded = Options(), Options(expanded=frozenset(model.jobs))
    sampled = Processes()
    figures = [
        Figure(
            f"top: apply {count:,} events ({scale})",
            best_of(runs, lambda: apply_ms(jobs, sheets, count)),
            "ms",
            target=TICK_MS,
        ),
        Figure(
            f"top: rows, jobs only ({scale})",
            best_of(runs, lambda: timed(lambda: rows(model, collapsed, sampled, NOW))),
            "ms",
            target=TICK_MS,
        ),
        Figure(
            f"top: rows, every job expanded ({scale})",
            best_of(runs, lambda: timed(lambda: rows(model, expanded, sampled, NOW))),
            "ms",
            target=TICK_MS,
        ),
        Figure(
            f"top --once: one 80x24 frame ({scale})",
            best_of(runs, lambda: timed(lambda: plain.frame(model, None, sampled, NOW))),
            "ms",
            target=TICK_MS,
        ),
    ]
    for expand, label in ((False, "jobs only"), (True, "every job expanded")):
        first, redraw = screen_ms(seeded(jobs, sheets), events(model, count), expand)
        figures.append(Figure(f"top screen: every row rebuilt, {label} ({scale})", first, "ms"))
        figures.append(
            Figure(
                f"top screen: redraw after {count:,} events, {label} ({scale})",
                redraw,
                "ms",
                target=TICK_MS,
            )
        )
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    say("  300 jobs, 5,000 sheets, 1,000 events")
    return measure(300, 5000, 1000, 3 if quick else 5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--sheets", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(table(measure(args.jobs, args.sheets, args.events, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
