"""The `podium` command, driven as a person would, on real scores."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from podium.host import processes
from tests.conftest import REPO
from tests.e2e.conftest import PODIUM, User


def test_hello_runs_end_to_end_starting_the_conductor(podium: User, tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("workspaces"))

    run = podium("run", "examples/hello.yaml", "--wait", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "started the conductor in the background (pid" in run.stderr
    assert "warning" not in run.stderr  # a first run says nothing it need not
    assert run.stdout.splitlines()[0] == (
        f"job hello submitted: 3 sheet(s), workspace {examples}/workspaces/hello"
    )
    assert "sheet 3   completed" in run.stdout
    assert run.stdout.splitlines()[-1].startswith("job hello completed: 3/3 sheets in ")
    assert (examples / "workspaces/hello/sheet-3.txt").read_text() == "sheet 3 of 3: Hello world\n"

    status = json.loads(podium("status", "hello", "--json").stdout)
    assert status["status"] == "completed"
    assert [s["attempts"] for s in status["sheets"]] == [1, 1, 1]
    human = podium("status", "hello").stdout
    assert human.startswith("hello  completed  3/3 sheets completed")

    listed = json.loads(podium("list", "--all", "--json").stdout)
    assert [(j["job_id"], j["status"]) for j in listed["jobs"]] == [("hello", "completed")]
    assert podium("list").stdout.startswith("no active jobs")

    again = podium("run", "examples/hello.yaml", "--no-wait", "--json", cwd=tmp_path)
    assert json.loads(again.stdout)["job_id"] == "hello-2"
    assert "started the conductor" not in again.stderr


def test_a_failing_job_exits_3_naming_the_sheet_and_why(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "broken.yaml"
    score.write_text(
        textwrap.dedent("""
        name: broken
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 2}
        retry: {max_retries: 0, base_delay_seconds: 0.05, max_completion_attempts: 0}
        prompt:
          template: '{% if sheet_num == 2 %}echo "no network" >&2; exit 9{% endif %}'
    """)
    )
    run = podium("run", str(score), "--wait")
    assert run.returncode == 3, run.stdout + run.stderr
    assert "sheet 2   failed    exit code 9: no network" in run.stdout
    assert (
        "job broken failed after" in run.stdout
        and "sheet 2 failed after 1 attempt: exit code 9: no network" in run.stdout
    )
    logs = next(line for line in run.stdout.splitlines() if "logs of sheet 2:" in line)
    assert (Path(logs.split(": ", 1)[1]) / "attempt-1.stderr.log").read_text() == "no network\n"


def test_a_wrong_score_is_explained_and_nothing_is_started(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "typo.yaml"
    score.write_text(
        "name: typo\ninstrument: cli\nsheet:\n  size: 1\n  total_itmes: 2\n"
        "prompt: {template: 'true'}\n"
    )
    run = podium("run", str(score))
    assert run.returncode == 2
    assert (
        f"{score}:5:3: sheet.total_itmes: unknown key 'total_itmes'; did you mean "
        "'total_items'?" in run.stderr
    )
    assert podium("conductor-status").returncode == 4


def test_commands_say_when_the_conductor_is_not_running(podium: User) -> None:
    status = podium("status")
    assert status.returncode == 4
    assert "the conductor is not running" in status.stderr
    assert "start it with 'podium start'" in status.stderr
    stopped = podium("stop")
    assert (stopped.returncode, stopped.stdout.strip()) == (0, "the conductor is not running")


def test_start_status_and_stop_the_conductor(podium: User) -> None:
    started = podium("start")
    assert started.returncode == 0 and started.stdout.startswith("started the conductor (pid")
    assert podium("start").stdout.startswith("the conductor is already running (pid")
    info = json.loads(podium("conductor-status", "--json").stdout)
    assert info["running"] and info["active_jobs"] == 0
    assert (info["executor"]["type"], info["executor"]["running"]) == ("local", 0)
    assert info["executor"]["nodes"] == []
    text = podium("conductor-status").stdout.splitlines()
    assert "  executor        local (this machine): 0 attempts running" in text
    summary = podium("status")
    assert summary.returncode == 0 and "no active jobs" in summary.stdout
    stopped = podium("stop")
    assert stopped.stdout.strip() == f"stopped the conductor (pid {info['pid']})"
    assert not processes.running(info["pid"])
    assert podium("conductor-status").returncode == 4


def test_unknown_job_is_a_user_error(podium: User) -> None:
    podium("start")
    missing = podium("status", "ghost")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "podium: no job or fleet 'ghost'; 'podium list --all' shows every job and fleet"
    )


def test_status_and_help_stay_lean(tmp_path: Path) -> None:
    """`podium --help` and `podium status` import no part of the conductor, Jinja or the score
    model: they must start fast."""
    probe = textwrap.dedent("""
        import contextlib, io, sys
        from podium.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["--help"])
            except SystemExit:
                pass
        for args in (["status"], ["list"]):
            main(args)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("jinja2", "pydantic", "yaml")
                       or m.startswith(("podium.conductor.daemon", "podium.runtime", "podium.score",
                                        "podium.store", "podium.domain.engine")))
        print(heavy)
    """)
    env = {**os.environ, "PODIUM_HOME": str(tmp_path), "PODIUM_SOCKET": str(tmp_path / "s")}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_run_with_no_start_refuses_to_start_a_conductor(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "one.yaml"
    score.write_text(
        "name: one\ninstrument: cli\nsheet: {size: 1, total_items: 1}\nprompt: {template: 'true'}\n"
    )
    run = podium("run", str(score), "--no-start")
    assert run.returncode == 4
    assert "the conductor is not running" in run.stderr
    assert podium("conductor-status").returncode == 4


def ready(podium: User) -> dict[str, Any]:
    """The conductor's status once it is ready (it answers before: 'loading', 'starting')."""
    status = podium("conductor-status", "--json")
    if status.returncode != 0:
        return {}
    info: dict[str, Any] = json.loads(status.stdout)
    return info if info["state"] == "ready" else {}


def test_start_in_the_foreground_logs_here_and_stops_on_ctrl_c(podium: User) -> None:
    with subprocess.Popen(
        [PODIUM, "start", "--foreground"],
        env=podium.env,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    ) as conductor:
        assert conductor.stderr is not None
        try:
            deadline = time.monotonic() + 20
            while not ready(podium):
                assert conductor.poll() is None, conductor.stderr.read()
                assert time.monotonic() < deadline, "the conductor never became ready"
                time.sleep(0.05)
            conductor.send_signal(signal.SIGINT)
            assert conductor.wait(timeout=30) == 0
        finally:
            if conductor.poll() is None:
                conductor.kill()
        log = conductor.stderr.read()
    assert "ready on" in log and "SIGINT received: shutting down gracefully" in log


def test_two_starts_at_once_end_with_one_conductor(podium: User) -> None:
    starts = [
        subprocess.Popen(
            [PODIUM, "start"],
            env=podium.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in starts]
    assert [p.returncode for p in starts] == [0, 0], outputs
    info = json.loads(podium("conductor-status", "--json").stdout)
    pids = {int(out.split("pid ")[1].split(")")[0].split(",")[0]) for out, _ in outputs}
    assert pids == {info["pid"]}


def test_a_relative_config_is_read_from_where_start_was_run(podium: User, tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("max_concurrent_sheets: 3\n")
    with subprocess.Popen(
        [PODIUM, "start", "--foreground", "--config", "mine.yaml"],
        env=podium.env,
        cwd=tmp_path,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    ) as conductor:
        try:
            deadline = time.monotonic() + 20
            while not (info := ready(podium)):
                assert conductor.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            assert info["max_concurrent_sheets"] == 3
        finally:
            conductor.send_signal(signal.SIGTERM)
            conductor.wait(timeout=30)
    missing = podium("start", "--foreground", "--config", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2
    assert f"no conductor config at {tmp_path}/nope.yaml" in missing.stderr


def test_status_says_what_a_failed_check_expected_found_and_how_to_fix_it(
    podium: User, tmp_path: Path
) -> None:
    score = tmp_path / "unfinished.yaml"
    score.write_text(
        textwrap.dedent("""
        name: unfinished
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 1}
        retry: {max_retries: 0, max_completion_attempts: 0}
        prompt:
          template: 'echo "# Report" > report.md; echo wrote the report'
        validations:
          - type: content_contains
            path: "{workspace}/report.md"
            pattern: "## Findings"
            stage: 1
          - type: file_exists
            path: "{workspace}/summary.md"
            stage: 2
    """)
    )
    run = podium("run", str(score), "--wait")
    assert run.returncode == 3, run.stdout + run.stderr
    shown = podium("status", "unfinished").stdout
    workspace = tmp_path / "workspace"
    assert "sheet 1 [E203]: validation failed" in shown
    assert f"expected  the file {workspace}/report.md contains the text `## Findings`" in shown
    assert 'found     text not found in the file (9 bytes): "# Report\\n"' in shown
    assert "fix       the sheet must write the expected content into" in shown
    assert "(1 later-stage check(s) not run)" in shown
    checks = json.loads(podium("status", "unfinished", "--json").stdout)["sheets"][0][
        "last_attempt"
    ]["checks"]
    assert [(c["passed"], c["checked"]) for c in checks] == [(False, True), (False, False)]
    assert (workspace / "logs" / "sheet-01.stdout.log").read_text() == "wrote the report\n"
    assert not (workspace / "logs" / "sheet-01.stderr.log").exists()  # it wrote nothing there
    # A failed check is worth another attempt (as in Marianne), and is labelled so.
    errors = podium("errors", "unfinished").stdout
    assert "E203 transient" in errors, errors


def test_stop_refuses_while_a_job_runs_and_force_leaves_its_attempt_running(
    podium: User, tmp_path: Path
) -> None:
    score = tmp_path / "gate.yaml"
    score.write_text(
        textwrap.dedent("""
        name: gate
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: 'echo $$ > pid; while [ ! -e go ]; do sleep 0.02; done'
    """)
    )
    assert podium("run", str(score), "--no-wait").returncode == 0
    pid_file = tmp_path / "workspace" / "pid"
    deadline = time.monotonic() + 15
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    refused = podium("stop")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "1 job(s) are running; 'podium stop --drain' waits" in refused.stderr
    assert podium("stop", "--force").returncode == 0
    attempt = int(pid_file.read_text())
    assert processes.running(attempt)  # the attempt outlives the conductor
    assert podium("start").returncode == 0  # and the next conductor picks it up
    (tmp_path / "workspace" / "go").touch()
    deadline = time.monotonic() + 15
    while json.loads(podium("status", "gate", "--json").stdout)["status"] != "completed":
        assert time.monotonic() < deadline, "the re-attached attempt did not complete"
        time.sleep(0.05)
