"""A conductor keeps the environment it was started with; a submission carries the submitting
shell's PATH and the variables its instruments ask for (docs/environment.md). Each test starts
the conductor from a shell that lacks a program, then works from a shell that has it."""

import contextlib
import json
import os
import signal
import sqlite3
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import User, wait_for

PROBE = "podium-env-probe"

PROBE_SCRIPT = """#!/bin/sh
# Records what the attempt saw; holds while a 'hold' file is in the workspace.
[ "$1" = --version ] && { echo "probe 1.0"; exit 0; }
while [ -f hold ]; do sleep 0.05; done
printf 'key=%s mode=%s stray=%s\\n' "$PROBE_API_KEY" "$PROBE_OPT_MODE" "$PROBE_STRAY" >> seen.txt
[ "$PROBE_API_KEY" != bad ]
"""

PROFILE = f"""
name: probe
kind: cli
cli:
  command:
    executable: {PROBE}
    prompt_as_file: true
    prompt_via_stdin: false
    required_env: [PROBE_API_KEY, PROBE_OPT_*]
  output: {{format: text}}
"""


def project(
    tmp_path: Path, sheets: int = 1, instrument: str = "probe", template: str = "x"
) -> Path:
    """A score folder with the probe's profile and a score of `sheets` sheets."""
    folder = tmp_path / "project"
    (folder / ".podium" / "instruments").mkdir(parents=True)
    (folder / ".podium" / "instruments" / "probe.yaml").write_text(PROFILE)
    (folder / "ws").mkdir()
    score = folder / "probe.yaml"
    score.write_text(
        textwrap.dedent(f"""
        name: probe
        instrument: {instrument}
        workspace: ./ws
        pause_between_sheets_seconds: 0
        sheet: {{size: 1, total_items: {sheets}}}
        retry: {{max_retries: 0, max_completion_attempts: 0}}
        prompt: {{template: '{template}'}}
        """)
    )
    return score


@pytest.fixture
def shell(tmp_path: Path, podium: User) -> User:
    """A conductor started from a shell without the probe; `podium` then has it on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / PROBE).write_text(PROBE_SCRIPT)
    (bin_dir / PROBE).chmod(0o755)
    podium.env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    home = Path(podium.env["PODIUM_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "conductor.yaml").write_text("environment: {pass: [PROBE_OPT_*]}\n")
    started = podium("start")
    assert started.returncode == 0, started.stderr
    podium.env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    podium.env["PROBE_API_KEY"] = "k-from-the-shell"
    podium.env["PROBE_OPT_MODE"] = "fast"
    podium.env["PROBE_STRAY"] = "stays-home"
    return podium


def seen(score: Path) -> list[str]:
    return (score.parent / "ws" / "seen.txt").read_text().splitlines()


def test_a_job_runs_a_program_only_the_submitting_shell_has(shell: User, tmp_path: Path) -> None:
    score = project(tmp_path)
    run = shell("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert seen(score) == ["key=k-from-the-shell mode=fast stray="]
    database = Path(shell.env["PODIUM_HOME"]) / "podium.db"
    with contextlib.closing(sqlite3.connect(database)) as db:
        (stored,) = db.execute("SELECT environment FROM job_specs").fetchone()
    assert json.loads(stored) == {
        "PATH": shell.env["PATH"],
        "PROBE_API_KEY": "k-from-the-shell",
        "PROBE_OPT_MODE": "fast",
    }
    card = (Path(shell.env["PODIUM_HOME"]) / "jobs" / "probe" / "job.json").read_text()
    assert "k-from-the-shell" not in card


def test_only_path_and_the_allow_list_travel_for_the_cli_instrument(
    shell: User, tmp_path: Path
) -> None:
    score = project(tmp_path, instrument="cli", template=PROBE)
    run = shell("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert seen(score) == ["key= mode=fast stray="]


def test_the_job_keeps_its_environment_through_a_conductor_crash(
    shell: User, tmp_path: Path
) -> None:
    score = project(tmp_path, sheets=2)
    hold = score.parent / "ws" / "hold"
    hold.touch()
    run = shell("run", str(score), "--no-wait", "--json")
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)["job_id"]

    def sheet_1_runs() -> bool:
        sheets = json.loads(shell("status", job, "--json").stdout)["sheets"]
        return bool(sheets[0]["status"] == "running")

    wait_for(sheet_1_runs, "sheet 1 to run")
    info = json.loads(shell("conductor-status", "--json").stdout)
    os.kill(info["pid"], signal.SIGKILL)
    wait_for(lambda: shell("conductor-status").returncode != 0, "the conductor to be gone")
    # A new conductor, from a shell that still lacks the probe, runs sheet 2.
    without = User(Path(shell.env["PODIUM_HOME"]), Path(shell.env["PODIUM_SOCKET"]))
    assert without("start").returncode == 0
    hold.unlink()
    wait_for(
        lambda: json.loads(shell("status", job, "--json").stdout)["status"] == "completed",
        "the job to complete",
    )
    assert seen(score) == ["key=k-from-the-shell mode=fast stray="] * 2


def test_a_resume_takes_the_resuming_shells_environment(shell: User, tmp_path: Path) -> None:
    score = project(tmp_path)
    shell.env["PROBE_API_KEY"] = "bad"
    run = shell("run", str(score), "--wait", "--json")
    job = json.loads(run.stdout.splitlines()[0])["job_id"]
    assert json.loads(shell("status", job, "--json").stdout)["status"] == "failed"
    shell.env["PROBE_API_KEY"] = "good"
    resumed = shell("resume", job)
    assert resumed.returncode == 0, resumed.stderr
    wait_for(
        lambda: json.loads(shell("status", job, "--json").stdout)["status"] == "completed",
        "the job to complete",
    )
    assert seen(score) == ["key=bad mode=fast stray=", "key=good mode=fast stray="]


def test_conductor_env_refuses_saying_what_to_do(shell: User, tmp_path: Path) -> None:
    score = project(tmp_path)
    run = shell("run", str(score), "--conductor-env")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"instrument 'probe' runs '{PROBE}', which is not on the conductor's PATH" in run.stderr
    assert "'podium stop && podium start'" in run.stderr
    bin_dir = tmp_path / "bin" / PROBE
    assert f"this shell finds '{PROBE}' at {bin_dir}" in run.stderr


def test_a_shell_without_the_program_is_told_where_it_was_looked_for(
    shell: User, tmp_path: Path
) -> None:
    score = project(tmp_path)
    shell.env["PATH"] = "/nowhere:" + os.environ["PATH"]
    run = shell("run", str(score))
    assert run.returncode == 2, run.stdout + run.stderr
    sent = "the PATH your shell sent nor the conductor's (/nowhere:"
    assert f"runs '{PROBE}', which is on neither {sent}" in run.stderr
    assert f"where 'which {PROBE}' works" in run.stderr


def test_instruments_check_answers_for_the_conductor(shell: User, tmp_path: Path) -> None:
    score = project(tmp_path)
    check = shell("instruments", "check", "probe", "--score", str(score))
    assert check.returncode == 0, check.stdout + check.stderr
    assert (
        "conductor:    ready on the conductor with your PATH, which 'podium run' sends "
        f"({tmp_path / 'bin' / PROBE}); the conductor's own PATH lacks it" in check.stdout
    )
    assert "PROBE_API_KEY (from your shell)" in check.stdout
    shell.env["PATH"] = os.environ["PATH"]
    lacking = shell("instruments", "check", "probe", "--score", str(score), "--json")
    assert lacking.returncode == 1
    view = json.loads(lacking.stdout)["conductor"]
    assert (view["ready"], view["conductor_binary"], view["carried_binary"]) == (False, None, None)
    assert f"install '{PROBE}'" in view["fix"]


def test_instruments_check_says_it_is_the_local_view_without_a_conductor(
    shell: User, tmp_path: Path
) -> None:
    assert shell("stop").returncode == 0
    check = shell("instruments", "check", "probe", "--score", str(project(tmp_path)))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "conductor:    no conductor runs: this is what this shell finds" in check.stdout


def test_doctor_shows_the_conductors_view_where_it_differs(shell: User, tmp_path: Path) -> None:
    folder = tmp_path / "config" / "podium" / "instruments"
    folder.mkdir(parents=True)
    (folder / "probe.yaml").write_text(PROFILE)
    doctor = shell("doctor", "--json")
    checks = json.loads(doctor.stdout)["checks"]
    probe = [c["message"] for c in checks if c["message"].startswith("probe:")]
    assert probe == [
        f"probe: {tmp_path / 'bin' / PROBE} (probe 1.0)",
        f"probe: ready on the conductor with your PATH, which 'podium run' sends "
        f"({tmp_path / 'bin' / PROBE}); the conductor's own PATH lacks it ('podium run "
        "--conductor-env' would be refused)",
    ]


def test_a_fleets_jobs_carry_the_submitting_shells_environment(shell: User, tmp_path: Path) -> None:
    score = project(tmp_path)
    fleet = score.parent / "fleet.yaml"
    fleet.write_text("type: fleet\nname: probes\nscores:\n  - {path: probe.yaml}\n")
    run = shell("run", str(fleet), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert seen(score) == ["key=k-from-the-shell mode=fast stray="]
