"""history, errors, diagnose and logs as a user types them."""

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import User, wait_for
from tests.e2e.test_control_commands import job_status, write

FLAKY = """
    name: flaky
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 2, base_delay_seconds: 0.05, max_completion_attempts: 0}
    prompt:
      template: |
        echo try >> tries-{{ sheet_num }}.txt
        n=$(wc -l < tries-{{ sheet_num }}.txt)
        echo "sheet {{ sheet_num }} try $n"
        {% if sheet_num == 2 %}echo "no luck on try $n" >&2; exit 3{% endif %}
"""


def test_history_errors_and_diagnose_of_a_failed_job(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, FLAKY, "flaky.yaml")
    assert podium("run", str(score), "--wait").returncode == 3
    history = podium("history", "flaky")
    assert history.returncode == 0, history.stderr
    blocks = history.stdout.split("\n\n")
    assert blocks[0] == "flaky  failed"
    assert len(blocks) == 5  # the header, then 4 attempts: sheet 1 once, sheet 2 three times
    assert "sheet 2  attempt 3  failed  E009 transient" in blocks[-1]
    assert "cli (default model) · exit code 3 · took " in blocks[-1]
    assert "  stderr  │ no luck on try 3" in blocks[-1]
    one = json.loads(podium("history", "flaky", "--sheet", "1", "--json").stdout)
    assert [(a["sheet"], a["outcome"], a["exit_code"]) for a in one["attempts"]] == [
        (1, "succeeded", 0)
    ]

    errors = podium("errors", "flaky", "--code", "E009", "--verbose")
    assert errors.returncode == 0, errors.stderr
    lines = errors.stdout.splitlines()
    assert lines[0] == "flaky  failed  3 failed attempt(s)"
    assert lines[2] == "sheet 2"
    assert [line.split()[:2] for line in lines if line.startswith("  attempt")] == [
        ["attempt", "1"],
        ["attempt", "2"],
        ["attempt", "3"],
    ]
    assert "    stderr  │ no luck on try 2" in lines
    assert "no failed attempts match" in podium("errors", "flaky", "--code", "E502").stdout

    report = podium("diagnose", "flaky", "--json")
    assert report.returncode == 0, report.stderr
    found = json.loads(report.stdout)
    assert found["job"]["status"] == "failed"
    assert [e["attempt"] for e in found["errors"]] == [3, 2, 1]
    assert [i["name"] for i in found["instruments"]] == ["cli"]
    assert found["instruments"][0]["runnable"] is True
    assert any("podium resume flaky" in step for step in found["next_steps"])
    text = podium("diagnose", "flaky", "--include-logs").stdout
    assert "timeline (latest last):" in text and "sheet 2 attempt 3 failed [E009]" in text
    assert text.rstrip().endswith("stderr  │ no luck on try 3")


def test_logs_show_each_sheets_latest_attempt(podium: User, tmp_path: Path) -> None:
    score = write(tmp_path, FLAKY, "flaky.yaml")
    podium("run", str(score), "--wait")
    shown = podium("logs", "flaky", "--lines", "1")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (
        "==> sheet 1 · attempt 1 · stdout (completed) <==\n"
        "sheet 1 try 1\n"
        "\n"
        "==> sheet 2 · attempt 3 · stdout (failed) <==\n"
        "sheet 2 try 3\n"
        "\n"
        "==> sheet 2 · attempt 3 · stderr (failed) <==\n"
        "no luck on try 3\n"
    )
    unknown = podium("logs", "nope")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "podium: no job 'nope'; 'podium list --all' shows every job\n",
    )
    conductor_log = podium("logs", "-n", "3")
    assert conductor_log.returncode == 0 and conductor_log.stdout.count("\n") == 3


def test_logs_follow_prints_output_as_it_comes_and_ends_with_the_job(
    podium: User, tmp_path: Path
) -> None:
    score = write(
        tmp_path,
        """
        name: slow
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            echo "first line"
            touch started
            while [ ! -e go ]; do sleep 0.02; done
            echo "second line"
        """,
        "slow.yaml",
    )
    assert podium("run", str(score), "--no-wait").returncode == 0
    wait_for((tmp_path / "ws" / "started").exists, "the first line")
    follower = subprocess.Popen(
        podium.argv("logs", "slow", "--follow"),
        env=podium.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    assert follower.stdout.readline() == "==> sheet 1 · attempt 1 · stdout (running) <==\n"
    assert follower.stdout.readline() == "first line\n"
    assert job_status(podium, "slow")["status"] == "running"  # seen before the sheet ended
    (tmp_path / "ws" / "go").touch()
    rest, errors = follower.communicate(timeout=30)
    assert (follower.returncode, errors) == (0, "")
    assert rest == "second line\n"
    wait_for(lambda: job_status(podium, "slow")["status"] == "completed", "the job to end")


REFUSED_KEY = """
    name: refused
    workspace: ./ws
    instrument: fake-agent
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 1}
    retry: {max_retries: 0, max_completion_attempts: 0}
    prompt: {template: "FAKE-AGENT: auth-error"}
"""


def test_an_agents_error_is_shown_in_its_own_words(podium: User, tmp_path: Path) -> None:
    """The fake agent answers as Claude Code does in JSON mode (`"is_error": true`, the
    message in `result`): the sheet's error quotes the message, not the JSON."""
    score = write(tmp_path, REFUSED_KEY, "refused.yaml")
    assert podium("run", str(score), "--wait").returncode == 3
    said = "exit code 1: Invalid API key · Fix external API key (401)"
    for verb in ("status", "errors", "diagnose"):
        shown = podium(verb, "refused")
        assert said in shown.stdout, verb + ":\n" + shown.stdout
        # (diagnose also quotes the end of the attempt's stdout, as printed)
        told = [line for line in shown.stdout.splitlines() if "exit code 1" in line]
        assert told and not [line for line in told if '{"' in line], verb
