"""Per-sheet orchestration overhead: a chain of trivial sheets through a real conductor.

Runs a score of N sheets whose prompt is `true` (no validations; each sheet depends on the one
before, so they run one at a time) and divides the job's wall time by N. Beside it, the same
machine's cost of spawning the instrument's command (`bash -c true`) and plain `true` N times
straight from Python. Prints figures; judges nothing.

    python bench/overhead.py [--sheets 200]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podium.testing.conductor import ConductorProcess

SCORE = """\
name: overhead
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: {sheets}}}
retry: {{max_retries: 0}}
pause_between_sheets_seconds: 0
prompt: {{template: "true"}}
"""


def spawn_cost(argv: list[str], count: int) -> float:
    """Seconds per spawn-and-wait of `argv`, from Python."""
    started = time.perf_counter()
    for _ in range(count):
        subprocess.run(argv, check=True)
    return (time.perf_counter() - started) / count


def run_chain(sheets: int, folder: Path) -> tuple[float, list[float], list[float]]:
    score = folder / "overhead.yaml"
    score.write_text(SCORE.format(sheets=sheets))
    with ConductorProcess(folder / "home", {"max_concurrent_sheets": 1}) as conductor:
        job = conductor.submit(score)
        # Ask rarely: every answer costs the conductor time it would spend on the sheets.
        done = conductor.wait_for_job(job, "completed", timeout=600, poll=0.5)
        rows = conductor.query(
            "SELECT sheet, started_at, exited_at, ended_at FROM attempts ORDER BY sheet"
        )
    wall = done["finished_at"] - done["started_at"]
    # From one sheet's end to the next one's dispatch, and from exit to decided.
    handoff = [rows[i + 1][1] - rows[i][3] for i in range(len(rows) - 1)]
    settle = [end - exited for _, _, exited, end in rows]
    return wall, handoff, settle


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        wall, handoff, settle = run_chain(args.sheets, Path(tmp))
    per_sheet = wall / args.sheets
    bash = spawn_cost(["bash", "-c", "true"], args.sheets)
    true = spawn_cost(["true"], args.sheets)
    print(f"{args.sheets} sheets of `true`, one at a time, through a real conductor")
    print(f"  job wall time                      {wall:8.3f} s")
    print(f"  per sheet (wall / sheets)          {ms(per_sheet)}")
    print(
        f"    sheet end -> next dispatch  p50  {ms(statistics.median(handoff))}" if handoff else ""
    )
    print(f"    exit -> decided             p50  {ms(statistics.median(settle))}")
    print(f"  baseline: spawn `bash -c true`     {ms(bash)}")
    print(f"  baseline: spawn `true`             {ms(true)}")
    print(f"  ratio per sheet / spawn `true`     {per_sheet / true:8.2f} x")
    print(f"  ratio per sheet / bash -c true     {per_sheet / bash:8.2f} x")
    print(f"  overhead per sheet beyond bash     {ms(per_sheet - bash)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
