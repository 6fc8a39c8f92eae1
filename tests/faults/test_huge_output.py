"""A sheet that prints hundreds of megabytes on one line: the conductor goes on answering,
stays small, and the job completes with the line cut in the copies users read."""

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from podium.testing.conductor import ConductorProcess
from tests.faults.cli import PODIUM

LINE_BYTES = 200 * 1000 * 1000
RSS_GROWTH_MAX = 150 * 1024 * 1024

ONE_HUGE_LINE = f"""
    name: huge
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    prompt:
      template: |
        head -c {LINE_BYTES} /dev/zero | tr '\\0' y
"""


def test_a_sheet_printing_one_huge_line_leaves_the_conductor_answering_and_small(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    assert conductor.process is not None
    daemon = psutil.Process(conductor.process.pid)
    before = daemon.memory_info().rss
    job = conductor.submit(write_score(ONE_HUGE_LINE))
    peak, status = before, ""
    deadline = time.monotonic() + 50
    while status not in ("completed", "failed") and time.monotonic() < deadline:
        # `podium status` must answer all along (its own timeout is shorter than the test's).
        done = subprocess.run(
            [PODIUM, "status", job],
            env=conductor.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        peak = max(peak, daemon.memory_info().rss)
        status = conductor.status(job)["status"]
    assert status == "completed"
    assert peak - before < RSS_GROWTH_MAX, f"the conductor grew by {(peak - before) >> 20} MiB"
    copy = Path(conductor.status(job)["workspace"]) / "logs" / "sheet-01.stdout.log"
    kept = copy.read_bytes()
    assert len(kept) < 100 * 1024
    assert kept.startswith(b"yyyy")
    assert kept.endswith(b" bytes of this line left out]")
