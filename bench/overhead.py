"""Per-sheet orchestration overhead: sheets of `true` through a real conductor.

A score of N sheets whose prompt is `true`, in `lanes` independent chains (sheet n depends on
sheet n - lanes), so a sheet waits only for the one before it in its chain. From the attempts
the engine records:

- ready → exec: from the decision on a sheet (its dependent is ready then) to the moment the
  next sheet of its chain runs as a process (the runtime records it once spawned);
- exit → decided: from the moment the runtime saw a sheet's process end to the sheet's
  decision (its output read, its checks run, the result committed);
- throughput: sheets run per second, from the first start to the last end.

One at a time (one chain), with no validations, then with one `file_exists` each; on a fresh
conductor, with many finished jobs in the store, and after the conductor has run many jobs in
the same process (the overhead must grow with neither). Many at once: the conductor's
`max_concurrent_sheets` at 8 and at 32, as many chains as that, spread over jobs of at most
16 chains each (a score runs at most 20 sheets at once). Beside it: spawning `bash -c true`
straight from Python.

    python bench/overhead.py [--sheets 1000] [--history 10000] [--uptime 5000]
"""

import argparse
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from figures import Figure, ms, p50, percentile, table
from podium.testing.conductor import ConductorProcess
from seed import seed

ONE_READY_P50_MS = 2.5
ONE_SETTLE_P50_MS = 2.0
ONE_P99_MS = 20.0
MANY_READY_P50_MS = 5.0
MANY_READY_P99_MS = 25.0
MANY_RATE = 300.0
"""Sheets per second, many at once."""
AT_ONCE = (8, 32)
LANES_PER_JOB = 16
POLL_SECONDS = 0.2

HEADER = """\
name: overhead-{tag}
workspace: ./ws-{tag}
instrument: cli
retry: {{max_retries: 0}}
pause_between_sheets_seconds: 0
prompt: {{template: "true"}}
"""


def score_text(tag: str, sheets: int, lanes: int, check: Path | None) -> str:
    text = HEADER.format(tag=tag)
    deps = "".join(f"    {n}: [{n - lanes}]\n" for n in range(lanes + 1, sheets + 1))
    text += f"sheet:\n  size: 1\n  total_items: {sheets}\n"
    text += "  dependencies:\n" + deps if deps else "  dependencies: {}\n"
    if lanes > 1:
        text += f"parallel: {{enabled: true, max_concurrent: {lanes}}}\n"
    if check is not None:
        text += f'validations:\n  - {{type: file_exists, path: "{check}"}}\n'
    return text


def spawn_cost(argv: list[str], count: int) -> list[float]:
    """Seconds per spawn-and-wait of `argv`, from Python."""
    took = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run(argv, check=True)
        took.append(time.perf_counter() - started)
    return took


class Run:
    """What the attempts of some jobs recorded: handoffs and settles (seconds), and the span
    from the first start to the last end."""

    def __init__(self) -> None:
        self.handoff: list[float] = []
        self.settle: list[float] = []
        self.sheets = 0
        self.started = math.inf
        self.finished = -math.inf

    @property
    def wall(self) -> float:
        """Seconds per sheet."""
        return (self.finished - self.started) / self.sheets

    @property
    def rate(self) -> float:
        """Sheets per second."""
        return self.sheets / (self.finished - self.started)


def wait_ended(conductor: ConductorProcess, jobs: list[str], timeout: float = 1200) -> None:
    """Wait until every job completed, reading the store: asking the conductor would cost it
    time it should spend on the sheets (a status of 1,000 sheets is not free)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = conductor.query(
            f"SELECT job_id, status FROM jobs WHERE job_id IN ({','.join('?' * len(jobs))})",
            *jobs,
        )
        ended = {job: status for job, status in rows if status not in ("queued", "running")}
        if len(ended) == len(jobs):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs {jobs} still running after {timeout} s")
        time.sleep(POLL_SECONDS)
    failed = {job: status for job, status in ended.items() if status != "completed"}
    if failed:
        raise RuntimeError(f"jobs ended otherwise than completed: {failed}\n{conductor.log}")


def run_jobs(
    conductor: ConductorProcess,
    folder: Path,
    tag: str,
    sheets: int,
    *,
    lanes: int,
    check: bool,
    jobs: int = 1,
) -> Run:
    """`sheets` sheets in `lanes` chains, spread over `jobs` jobs submitted together."""
    submitted = []
    for n in range(jobs):
        name = f"{tag}-{n}" if jobs > 1 else tag
        score = folder / f"overhead-{name}.yaml"
        score.write_text(score_text(name, sheets // jobs, lanes // jobs, score if check else None))
        submitted.append((conductor.submit(score), lanes // jobs))
    wait_ended(conductor, [job for job, _ in submitted])
    found = Run()
    for job, chains in submitted:
        rows = conductor.query(
            "SELECT sheet, spawned_at, exited_at, ended_at FROM attempts WHERE job_id = ? "
            "ORDER BY sheet",
            job,
        )
        by_sheet = {int(s): (spawned, exited, end) for s, spawned, exited, end in rows}
        # Sheet n is ready once sheet n - chains (the one before it in its chain) is decided.
        found.handoff += [
            by_sheet[n][0] - by_sheet[n - chains][2] for n in by_sheet if n - chains in by_sheet
        ]
        found.settle += [end - exited for _, exited, end in by_sheet.values()]
        found.sheets += len(by_sheet)
        found.started = min(found.started, *(spawned for spawned, _, _ in by_sheet.values()))
        found.finished = max(found.finished, *(end for _, _, end in by_sheet.values()))
    return found


def run_job(
    conductor: ConductorProcess, folder: Path, tag: str, sheets: int, *, lanes: int, check: bool
) -> tuple[list[float], list[float], float]:
    """Handoffs, settles (seconds) and wall time per sheet of one job."""
    found = run_jobs(conductor, folder, tag, sheets, lanes=lanes, check=check)
    return found.handoff, found.settle, found.wall


def figures_of(
    label: str, handoff: list[float], settle: list[float], wall: float, bash: list[float]
) -> list[Figure]:
    """One at a time. `bash`: seconds per spawn of `bash -c true` from Python (what ready →
    exec includes)."""
    spawn = "spawn bash -c true"
    return [
        Figure(
            f"overhead: {label}, ready → exec (p50)",
            ms(p50(handoff)),
            "ms",
            baseline=ms(p50(bash)),
            baseline_name=spawn,
            target=ONE_READY_P50_MS,
        ),
        Figure(
            f"overhead: {label}, ready → exec (p99)",
            ms(percentile(handoff, 99)),
            "ms",
            baseline=ms(percentile(bash, 99)),
            baseline_name=spawn,
            target=ONE_P99_MS,
        ),
        Figure(
            f"overhead: {label}, exit → decided (p50)",
            ms(p50(settle)),
            "ms",
            target=ONE_SETTLE_P50_MS,
        ),
        Figure(
            f"overhead: {label}, exit → decided (p99)",
            ms(percentile(settle, 99)),
            "ms",
            target=ONE_P99_MS,
        ),
        Figure(
            f"overhead: {label}, wall per sheet",
            ms(wall),
            "ms",
            baseline=ms(p50(bash)),
            baseline_name=spawn,
        ),
    ]


def many_figures(label: str, found: Run, bash: list[float]) -> list[Figure]:
    """Many at once: handoffs, settles, and sheets per second."""
    spawn = "spawn bash -c true"
    return [
        Figure(
            f"overhead: {label}, ready → exec (p50)",
            ms(p50(found.handoff)),
            "ms",
            baseline=ms(p50(bash)),
            baseline_name=spawn,
            target=MANY_READY_P50_MS,
        ),
        Figure(
            f"overhead: {label}, ready → exec (p99)",
            ms(percentile(found.handoff, 99)),
            "ms",
            baseline=ms(percentile(bash, 99)),
            baseline_name=spawn,
            target=MANY_READY_P99_MS,
        ),
        Figure(f"overhead: {label}, exit → decided (p50)", ms(p50(found.settle)), "ms"),
        Figure(f"overhead: {label}, exit → decided (p99)", ms(percentile(found.settle, 99)), "ms"),
        Figure(
            f"overhead: {label}, throughput",
            found.rate,
            "sheets/s",
            baseline=1 / p50(bash),
            baseline_name="bash -c true spawned one after another",
            target=MANY_RATE,
            higher_is_better=True,
        ),
    ]


def run_uptime(conductor: ConductorProcess, folder: Path, jobs: int, width: int = 50) -> None:
    """Run `jobs` one-sheet jobs through the conductor, `width` at a time (a score runs as one
    job at a time, so each of `width` scores is submitted again once its last job ended)."""
    scores = []
    for n in range(width):
        scores.append(folder / f"uptime-{n}.yaml")
        scores[-1].write_text(
            f"name: uptime-{n}\nworkspace: ./ws-uptime\ninstrument: cli\n"
            "sheet: {size: 1, total_items: 1}\nprompt: {template: 'true'}\n"
        )
    submitted: list[str] = []
    for n in range(jobs):
        if n >= width:
            conductor.wait_for_job(submitted[n - width], "completed", timeout=600, poll=0.02)
        submitted.append(conductor.submit(scores[n % width]))
    for job in submitted[-width:]:
        conductor.wait_for_job(job, "completed", timeout=600, poll=0.05)


def measure(
    sheets: int, history: int, uptime: int, folder: Path, say: Callable[[str], None]
) -> list[Figure]:
    bash = spawn_cost(["bash", "-c", "true"], 200)
    figures: list[Figure] = []
    config = {"max_concurrent_sheets": 8, "max_concurrent_jobs": 50}
    with ConductorProcess(folder / "fresh", config) as conductor:
        for check in (False, True):
            tag = f"c1{'-check' if check else ''}"
            say(f"  {sheets} sheets, 1 at once{', file_exists each' if check else ''}")
            label = f"{sheets} sheets, 1 at once{', 1 check' if check else ''}"
            figures += figures_of(
                label, *run_job(conductor, folder, tag, sheets, lanes=1, check=check), bash
            )
    for lanes in AT_ONCE:
        many = {"max_concurrent_sheets": lanes, "max_concurrent_jobs": 50}
        with ConductorProcess(folder / f"many-{lanes}", many) as conductor:
            jobs = math.ceil(lanes / LANES_PER_JOB)
            say(f"  {sheets} sheets, {lanes} at once ({jobs} job{'s' if jobs > 1 else ''})")
            found = run_jobs(
                conductor, folder, f"c{lanes}", sheets, lanes=lanes, check=False, jobs=jobs
            )
            figures += many_figures(f"{sheets} sheets, {lanes} at once", found, bash)
    home = folder / "history"
    say(f"  seeding {history:,} finished jobs")
    seed(home, history)
    with ConductorProcess(home, config) as conductor:
        say(f"  {sheets} sheets with {history:,} finished jobs in the store")
        label = f"{sheets} sheets, 1 at once, {history:,} jobs in the store"
        figures += figures_of(
            label, *run_job(conductor, folder, "history", sheets, lanes=1, check=False), bash
        )
    with ConductorProcess(folder / "uptime", config) as conductor:
        say(f"  running {uptime:,} jobs in one conductor")
        run_uptime(conductor, folder, uptime)
        say(f"  {sheets} sheets after {uptime:,} jobs")
        label = f"{sheets} sheets, 1 at once, after {uptime:,} jobs"
        figures += figures_of(
            label, *run_job(conductor, folder, "uptime", sheets, lanes=1, check=False), bash
        )
    return figures


def run(quick: bool, say: Callable[[str], None] = print) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        if quick:
            return measure(200, 1000, 200, Path(tmp), say)
        return measure(1000, 10_000, 5000, Path(tmp), say)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=1000)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--uptime", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        found = measure(args.sheets, args.history, args.uptime, Path(tmp), print)
    print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
