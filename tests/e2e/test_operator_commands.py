"""What an operator runs around the jobs: restart, doctor, shell completion."""

import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from podium.host import platform, processes
from tests.e2e.conftest import PODIUM, User, wait_for

GATED = """
name: gate
instrument: cli
sheet: {size: 1, total_items: 1}
prompt:
  template: 'echo $$ >> pids; while [ ! -e go ]; do sleep 0.02; done; echo finished >> out'
"""


def test_restart_during_work_reattaches_the_running_attempt(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "gate.yaml"
    score.write_text(textwrap.dedent(GATED))
    assert podium("run", str(score), "--no-wait").returncode == 0
    workspace = tmp_path / "workspace"
    wait_for((workspace / "pids").exists, "the attempt to start")
    before = json.loads(podium("conductor-status", "--json").stdout)["pid"]

    restarted = podium("restart")

    assert restarted.returncode == 0, restarted.stderr
    assert f"stopped the conductor (pid {before})" in restarted.stdout
    after = json.loads(podium("conductor-status", "--json").stdout)["pid"]
    assert after != before
    attempt = int((workspace / "pids").read_text())
    assert processes.running(attempt)  # the attempt went on through the restart
    (workspace / "go").touch()
    deadline = time.monotonic() + 15
    while (job := json.loads(podium("status", "gate", "--json").stdout))["status"] != "completed":
        assert time.monotonic() < deadline, "the re-attached attempt did not complete"
        time.sleep(0.05)
    assert (workspace / "pids").read_text().split() == [str(attempt)]  # started once
    assert (workspace / "out").read_text() == "finished\n"
    assert job["sheets"][0]["attempts"] == 1


def test_restart_starts_a_conductor_when_none_runs(podium: User) -> None:
    done = podium("restart")
    assert done.returncode == 0, done.stderr
    assert "stopped" not in done.stdout
    assert "started the conductor" in done.stdout
    assert json.loads(podium("conductor-status", "--json").stdout)["running"] is True


def test_doctor_reports_each_area_and_passes_on_a_fresh_home(podium: User) -> None:
    done = podium("doctor", "--json")
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["ok"] is True
    areas = {c["area"] for c in report["checks"]}
    assert areas == {"python", "system", "state", "config", "conductor", "instruments"}
    cli = [c for c in report["checks"] if c["message"].startswith("cli: ")]
    assert cli
    assert cli[0]["level"] == "ok"
    assert any(c["message"] == "not running" for c in report["checks"])

    assert podium("start").returncode == 0
    text = podium("doctor").stdout
    assert "running: pid" in text
    assert "Podium can run here" in text


@pytest.mark.parametrize("portable", ["", "1"], ids=["as-the-system-allows", "forced"])
def test_doctor_says_which_paths_look_at_processes_and_why(podium: User, portable: str) -> None:
    podium.env["PODIUM_PORTABLE"] = portable
    done = podium("doctor", "--json")
    assert done.returncode == 0, done.stdout
    said = [c["message"] for c in json.loads(done.stdout)["checks"] if c["area"] == "system"]
    expected = platform.decide(platform.probe(), force=bool(portable))
    kind = "portable paths" if expected.portable else "Linux fast paths"
    assert said[0] == f"{kind}: {expected.summary()}"
    assert f"exits: {expected.exits.way}, because {expected.exits.reason}" in said
    if portable:
        assert "because PODIUM_PORTABLE=1 forces the portable paths" in said[1]


def test_doctor_fails_on_a_broken_conductor_config(podium: User) -> None:
    home = Path(podium.env["PODIUM_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "conductor.yaml").write_text("max_concurrent_jobs: many\n")
    done = podium("doctor")
    assert done.returncode == 1
    assert "max_concurrent_jobs" in done.stdout
    assert "problem(s) stop Podium here" in done.stdout


def _complete(podium: User, line: str, tmp_path: Path) -> list[str]:
    """What the shell would offer after `line`, through argcomplete's protocol."""
    answers = tmp_path / "completions"
    env = {
        **podium.env,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answers),
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    subprocess.run([PODIUM], env=env, capture_output=True, timeout=30, check=False)
    return [word.strip() for word in answers.read_text().split("\n")]


def test_completion_offers_commands_options_and_job_ids(podium: User, tmp_path: Path) -> None:
    script = podium("completion", "bash")
    assert script.returncode == 0
    assert "complete " in script.stdout
    assert "podium" in script.stdout

    assert {"restart", "resume"} <= set(_complete(podium, "podium re", tmp_path))
    assert "--json" in _complete(podium, "podium list --j", tmp_path)

    score = tmp_path / "gate.yaml"
    score.write_text(textwrap.dedent(GATED))
    assert podium("run", str(score), "--no-wait").returncode == 0
    assert _complete(podium, "podium cancel ga", tmp_path) == ["gate"]
    assert _complete(podium, "podium cancel zz", tmp_path) == [""]


def test_a_conductor_killed_outright_leaves_nothing_that_blocks_the_next_start(
    podium: User,
) -> None:
    assert podium("start").returncode == 0
    info = json.loads(podium("conductor-status", "--json").stdout)
    os.kill(info["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.running(info["pid"]):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert Path(info["socket"]).exists()  # left behind, as a crash leaves it
    assert (Path(info["state_dir"]) / "conductor.pid").read_text().strip() == str(info["pid"])

    assert podium("status").returncode == 4  # nobody answers on the stale socket
    started = podium("start")

    assert started.returncode == 0, started.stderr
    assert json.loads(podium("conductor-status", "--json").stdout)["pid"] != info["pid"]
