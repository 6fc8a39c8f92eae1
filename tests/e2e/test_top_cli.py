"""`podium top --once` and `--json`: one frame, one snapshot, over a pipe."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.e2e.conftest import User, wait_for

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        while [ ! -e go ]; do sleep 0.02; done
"""


def running_job(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "gated.yaml"
    score.write_text(textwrap.dedent(GATED))
    assert podium("run", str(score), "--no-wait").returncode == 0

    def sheet_runs() -> bool:
        found = json.loads(podium("status", "gated", "--json").stdout)
        return bool(found["sheets"][0]["status"] == "running")

    wait_for(sheet_runs, "sheet 1 to run")

    def attempt_runs() -> bool:
        found = json.loads(podium("conductor-status", "--json").stdout)
        return bool(found["executor"]["running"] == 1)

    wait_for(attempt_runs, "its attempt to run on this machine")


def test_json_is_the_conductor_its_jobs_their_sheets_and_processes(
    podium: User, tmp_path: Path
) -> None:
    running_job(podium, tmp_path)
    shown = podium("top", "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert found["conductor"]["state"] == "ready"
    assert [j["job_id"] for j in found["jobs"]] == ["gated"]
    assert [s["status"] for s in found["active"][0]["sheets"]] == ["running", "pending"]
    assert {p["sheet"] for p in found["processes"]["processes"]} == {1}
    (tmp_path / "ws" / "go").touch()


def test_once_prints_one_frame_with_the_jobs_sheets(podium: User, tmp_path: Path) -> None:
    running_job(podium, tmp_path)
    shown = podium("top", "--once")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("conductor ")
    assert lines[2] == "jobs: 1 running · sheets: 1 pending, 1 running"
    assert lines[4] == "executor: local (this machine): 1 attempt running"
    assert [line.split()[:2] for line in lines[7:9]] == [["gated", "running"], ["sheet", "1"]]
    (tmp_path / "ws" / "go").touch()


def test_top_without_a_terminal_says_what_works_instead(podium: User) -> None:
    shown = podium("top")
    assert shown.returncode == 2
    assert shown.stderr == (
        "podium: podium top needs a terminal; 'podium top --once' prints one frame, "
        "'podium top --json' one snapshot\n"
    )


def test_once_without_a_conductor_says_how_to_start_one(podium: User) -> None:
    shown = podium("top", "--once")
    assert shown.returncode == 4
    assert "start it with 'podium start'" in shown.stderr


def test_once_json_and_status_never_load_the_terminal_interface(podium: User) -> None:
    """Textual (and Rich under it) are for the live monitor alone: `status` must start fast,
    and `--once` and `--json` run where no terminal is."""
    assert podium("start").returncode == 0
    probe = textwrap.dedent("""
        import contextlib, io, sys
        from podium.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            codes = [main(args) for args in (["status"], ["top", "--once"], ["top", "--json"])]
        print(codes, sorted({m.split(".")[0] for m in sys.modules} & {"textual", "rich"}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=podium.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert out.stdout.strip().splitlines()[-1] == "[0, 0, 0] []", out.stderr
