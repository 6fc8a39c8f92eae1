"""How long validating a score takes, in process: read, parse, plan, render every sheet, check.

By default the largest shared Marianne score (engineering/quality-triage.yaml, 1,663 lines),
or examples/hello.yaml where ../shared is not at hand; or any score given. Prints the median
and the spread over repeated runs; judges nothing.

    python bench/validate.py [SCORE] [--runs 20]
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure
from podium.instruments.registry import discover
from podium.score.checks import check
from podium.score.compiled import load_score

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared/scores/marianne/examples/engineering/quality-triage.yaml"


def timings(score: Path, runs: int) -> list[float]:
    """Seconds per validation of `score`, in process, after one warm-up run."""
    check(load_score(score), discover().names())  # warm: imports, Jinja's caches
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        check(load_score(score), discover().names())
        took.append(time.perf_counter() - started)
    return took


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    score = DEFAULT if DEFAULT.exists() else REPO / "examples" / "hello.yaml"
    lines = len(score.read_text().splitlines())
    say(f"  validating {score.name} ({lines} lines) in process")
    took = timings(score, 5 if quick else 20)
    return [
        Figure(
            f"validate {score.name} ({lines} lines), in process",
            statistics.median(took) * 1000,
            "ms",
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "score",
        nargs="?",
        type=Path,
        default=DEFAULT if DEFAULT.exists() else REPO / "examples" / "hello.yaml",
    )
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not args.score.exists():
        print(f"no score at {args.score}; give one", file=sys.stderr)
        return 2
    lines = len(args.score.read_text().splitlines())
    took = timings(args.score, args.runs)
    score = load_score(args.score)
    found = check(score, discover().names())
    print(
        f"validate {args.score.name} ({lines} lines, {score.plan.total_sheets} sheets, "
        f"{len(found)} findings), {args.runs} runs in process"
    )
    print(f"  median {statistics.median(took) * 1000:7.1f} ms")
    print(f"  min    {min(took) * 1000:7.1f} ms   max {max(took) * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
