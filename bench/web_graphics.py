"""The dashboard's pictures at scale: the DAG, the attempts' timeline and the cost chart of a
500-sheet job with 3 attempts per sheet, drawn in process (what one page load costs the
server), and the size of the markup each one sends.

The job: 100 movements of 5 voices, each voice depending on every voice of the movement before
(2,000 edges); every sheet hit a rate limit, then failed once, then ran (the last 5 still run).

    python bench/web_graphics.py [--sheets 500] [--attempts 3] [--runs 5]
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from figures import Figure, table
from podium.ipc.schema import AttemptDetailInfo, SheetInfo
from podium.web.graphics import render_cost_chart, render_dag, render_gantt, summarize

NOW = 1_800_000_000.0
VOICES = 5
PAGE_MS = 100.0
"""A page that draws one picture should not wait on it for longer than this."""


def sheets(count: int) -> list[SheetInfo]:
    found: list[SheetInfo] = []
    for n in range(1, count + 1):
        movement, voice = (n - 1) // VOICES + 1, (n - 1) % VOICES + 1
        before = range((movement - 2) * VOICES + 1, (movement - 1) * VOICES + 1)
        found.append(
            {
                "num": n,
                "status": "completed" if n <= count - VOICES else "running",
                "movement": movement,
                "voice": voice,
                "instrument": "claude-code",
                "model": "opus" if voice % 2 else "sonnet",
                "voice_count": VOICES,
                "depends_on": [d for d in before if d >= 1],
                "description": f"movement {movement}, part {voice}: review & fix <things>",
                "attempts": 3,
                "max_attempts": 5,
                "error": None,
                "blocked_by": None,
                "updated_at": NOW,
                "due": None,
                "wait": None,
                "cost": 0.3,
                "logs": "",
                "last_attempt": None,
            }
        )
    return found


def attempts(count: int, per_sheet: int) -> list[AttemptDetailInfo]:
    found: list[AttemptDetailInfo] = []
    for n in range(1, count + 1):
        at = NOW - 86400 + n * 120
        for k in range(1, per_sheet + 1):
            last = k == per_sheet
            running = last and n > count - VOICES
            found.append(attempt(n, k, at, None if running else at + 60, last))
            at += 60 + (300 if k == 1 else 30)
    return found


def attempt(sheet: int, k: int, start: float, end: float | None, last: bool) -> AttemptDetailInfo:
    first = k == 1
    return {
        "sheet": sheet,
        "attempt": k,
        "outcome": "succeeded" if last else "rate_limited" if first else "failed",
        "error_code": None if last else "E102" if first else "E009",
        "exit_code": 0,
        "instrument": "claude-code",
        "model": "opus" if sheet % 2 else "sonnet",
        "input_tokens": 12_000,
        "output_tokens": 3_400,
        "cost": None if end is None else 0.1,
        "cost_estimated": sheet % 7 == 0,
        "checks": [],
        "started_at": start,
        "ended_at": end,
        "exited_at": end,
        "signal": None,
        "error": None,
        "error_type": None if last else "rate_limit" if first else "transient",
        "mode": "normal",
        "stdout_tail": "",
        "stderr_tail": "",
        "logs": "",
    }


def timed(action: Callable[[], object], runs: int) -> tuple[float, object]:
    """The median time of `action` in ms over `runs` runs, and what it returned."""
    took = []
    result: object = None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), result


def measure(count: int, per_sheet: int, runs: int) -> list[Figure]:
    job, tried = sheets(count), attempts(count, per_sheet)
    scale = f"{count} sheets, {per_sheet} attempts each"
    figures = []
    for name, draw in (
        ("DAG", lambda: render_dag("bench-job", job)),
        ("timeline", lambda: render_gantt("bench-job", tried, NOW)),
        ("cost chart", lambda: render_cost_chart(tried, NOW)),
    ):
        ms, markup = timed(draw, runs)
        figures.append(Figure(f"web: draw the {name} ({scale})", ms, "ms", target=PAGE_MS))
        figures.append(Figure(f"web: the {name}'s markup ({scale})", len(str(markup)) / 1024, "KB"))
    ms, _ = timed(lambda: summarize("bench-job", tried), runs)
    figures.append(Figure(f"web: cost totals ({scale})", ms, "ms", target=PAGE_MS))
    both, _ = timed(
        lambda: (render_dag("bench-job", job), render_gantt("bench-job", tried, NOW)), runs
    )
    figures.append(Figure(f"web: DAG + timeline together ({scale})", both, "ms", target=PAGE_MS))
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    say("  500 sheets, 3 attempts each, drawn in process")
    return measure(500, 3, 3 if quick else 7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(table(measure(args.sheets, args.attempts, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
