"""`podium status JOB` and `--watch`, on real jobs, as a person at a terminal (or a script
reading its output) sees them."""

import json
import signal
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

from podium.cli.main import COMMANDS
from tests.e2e.conftest import User

GATED = """
name: gated
instrument: cli
pause_between_sheets_seconds: 0
sheet: {size: 1, total_items: 2}
prompt:
  template: '{% if sheet_num == 1 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}'
"""


def _submit_gated(podium: User, tmp_path: Path) -> Path:
    score = tmp_path / "gated.yaml"
    score.write_text(GATED)
    assert podium("run", str(score), "--no-wait").returncode == 0
    deadline = time.monotonic() + 15
    while _status(podium, "gated")["sheets"][0]["status"] != "running":
        assert time.monotonic() < deadline, "sheet 1 did not start"
        time.sleep(0.05)
    return tmp_path / "workspace" / "go"


def _status(podium: User, job: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(podium("status", job, "--json").stdout)
    return found


def _watch(podium: User, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        podium.argv("status", *args),
        env=podium.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_snapshot(watcher: subprocess.Popen[str], last: str = "2      pending") -> str:
    """Read until the first snapshot has been printed whole: up to its `last` line (by
    default the gated job's second sheet) and the blank line that follows each snapshot."""
    assert watcher.stdout is not None
    seen = [watcher.stdout.readline()]
    while not seen[-1].startswith(last):
        seen.append(watcher.stdout.readline())
        assert seen[-1], "the watch ended before its first snapshot was whole"
    seen.append(watcher.stdout.readline())
    assert seen[-1] == "\n", seen
    return "".join(seen)


def test_status_shows_the_progress_bar_and_the_running_sheet(podium: User, tmp_path: Path) -> None:
    gate = _submit_gated(podium, tmp_path)
    shown = podium("status", "gated").stdout.splitlines()
    budget = _status(podium, "gated")["sheets"][0]["max_attempts"]
    gate.touch()
    assert shown[0] == "gated  running  0/2 sheets completed  ░░░░░░░░░░░░░░░░░░░░░░░░ 0%"
    row = next(line for line in shown if line.startswith("1 "))
    assert row.split()[:5] == ["1", "running", f"1/{budget}", "cli", "for"]
    assert next(line for line in shown if line.startswith("2 ")).split()[1] == "pending"


def test_watch_without_a_terminal_prints_snapshots_until_the_job_completes(
    podium: User, tmp_path: Path
) -> None:
    gate = _submit_gated(podium, tmp_path)
    # The clocks' interval is long: what shows the job's end at once is the event stream.
    watcher = _watch(podium, "gated", "--watch", "--interval", "120")
    first = _first_snapshot(watcher)
    gate.touch()
    rest, errors = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, rest + errors
    assert "gated  running  0/2 sheets completed" in first
    assert first.endswith("\n\n")  # snapshots are separated by a blank line
    assert "\033" not in first + rest
    assert "gated  completed  2/2 sheets completed" in rest
    assert rest.splitlines()[-1].startswith("job gated completed: 2/2 sheets in ")


def test_ctrl_c_stops_watching_and_the_job_goes_on(podium: User, tmp_path: Path) -> None:
    gate = _submit_gated(podium, tmp_path)
    watcher = _watch(podium, "gated", "-W", "-i", "0.2")
    _first_snapshot(watcher)
    watcher.send_signal(signal.SIGINT)
    _, errors = watcher.communicate(timeout=30)
    assert watcher.returncode == 0
    assert errors.strip() == "stopped watching (the job goes on)"
    assert _status(podium, "gated")["status"] == "running"
    gate.touch()


def test_a_failed_job_says_what_to_do_next_and_its_watch_exits_3(
    podium: User, tmp_path: Path
) -> None:
    score = tmp_path / "broken.yaml"
    score.write_text(
        textwrap.dedent("""
        name: broken
        instrument: cli
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 0, max_completion_attempts: 0}
        prompt: {template: 'echo "no network" >&2; exit 9'}
    """)
    )
    assert podium("run", str(score), "--wait").returncode == 3
    shown = podium("status", "broken").stdout.splitlines()
    assert "recent errors (latest last):" in shown
    assert any("sheet 1  attempt 1/1  [E" in line and "no network" in line for line in shown)
    hints = [" ".join(line.split()) for line in shown[shown.index("next:") + 1 :]]
    assert hints[-1] == "podium resume broken run the sheets that did not complete again"
    named = {hint.split()[1] for hint in hints}
    assert named == {"resume"} | ({"errors", "diagnose"} & {name for name, *_ in COMMANDS})
    watched = podium("status", "broken", "--watch", "--interval", "0.2")
    assert watched.returncode == 3
    assert watched.stdout.splitlines()[-1] == "  details: podium status broken"


def test_watch_refuses_an_interval_below_a_fifth_of_a_second(podium: User) -> None:
    refused = podium("status", "--watch", "--interval", "0.1")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "podium: --interval must be at least 0.2 seconds, got 0.1"


def test_watch_without_a_job_watches_the_conductor_until_ctrl_c(podium: User) -> None:
    assert podium("start").returncode == 0
    watcher = _watch(podium, "--watch", "--interval", "0.2")
    first = _first_snapshot(watcher, last="no active jobs")
    watcher.send_signal(signal.SIGINT)
    _, errors = watcher.communicate(timeout=30)
    assert watcher.returncode == 0
    assert errors.strip() == "stopped watching"
    assert "conductor: pid " in first and "no active jobs" in first
