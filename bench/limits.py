"""Limits under load: many sheets that could all run at once, on an instrument capped at 4.
Each attempt counts the peers alive beside it; the most ever seen must be the cap, never more.
And no slot stays idle while work waits: from the times the attempts themselves wrote as they
started and ended, the longest stretch with fewer than `cap` running before the last one
started.

    python bench/limits.py [--sheets 500] [--cap 4]
"""

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from figures import Figure, ms, table
from podium.testing.conductor import ConductorProcess

SCORE = """\
name: capped
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1, fan_out: {{1: {sheets}}}}}
parallel: {{enabled: true, max_concurrent: 20}}
retry: {{max_retries: 0}}
prompt:
  template: >-
    echo "$(date +%s.%N) 1" >> events.txt; touch peers/$$; ls peers | wc -l >> counts.txt;
    sleep 0.05; rm peers/$$; echo "$(date +%s.%N) -1" >> events.txt
"""
GAP_TARGET_S = 1.0


def longest_short_stretch(events: list[tuple[float, int]], cap: int) -> float:
    """Seconds: the longest stretch with fewer than `cap` attempts running, from the first
    start to the last (after it, nothing waits). `events`: (time, +1 start or -1 end), sorted."""
    last_start = max(at for at, step in events if step > 0)
    longest, running, short_since = 0.0, 0, None
    for at, step in events:
        if at > last_start:
            break
        running += step
        if running < cap and short_since is None:
            short_since = at
        elif running >= cap and short_since is not None:
            longest, short_since = max(longest, at - short_since), None
    if short_since is not None:
        longest = max(longest, last_start - short_since)
    return longest


def measure(sheets: int, cap: int, folder: Path, say: Callable[[str], None]) -> list[Figure]:
    config = {"max_concurrent_sheets": 20, "instruments": {"cli": {"max_concurrent": cap}}}
    score = folder / "capped.yaml"
    score.write_text(SCORE.format(sheets=sheets))
    (folder / "ws" / "peers").mkdir(parents=True)
    say(f"  {sheets} sheets on an instrument capped at {cap}")
    with ConductorProcess(folder / "home", config) as conductor:
        job = conductor.submit(score)
        conductor.wait_for_job(job, "completed", timeout=1200, poll=0.5)
    counts = [int(line) for line in (folder / "ws" / "counts.txt").read_text().split()]
    events = sorted(
        (float(at), int(step))
        for at, step in (line.split() for line in (folder / "ws" / "events.txt").open())
    )
    return [
        Figure(
            f"limits: {sheets} sheets, cap {cap}: most peers alive at once",
            max(counts),
            "",
            baseline=cap,
            baseline_name="the cap",
            target=cap,
        ),
        Figure(
            f"limits: {sheets} sheets, cap {cap}: longest idle slot while work waits",
            ms(longest_short_stretch(events, cap)),
            "ms",
            target=ms(GAP_TARGET_S),
        ),
    ]


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        return measure(100 if quick else 500, 4, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=500)
    parser.add_argument("--cap", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        print(table(measure(args.sheets, args.cap, Path(tmp), print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
