"""Prompt templates that ask for gigabytes or for billions of loop iterations are refused
with a located error, quickly and in little memory: by `podium validate`, by a dry run, by
the conductor at submission, and by the conductor when a sheet's prompt only blows up at run
time (the sheet fails, the conductor goes on answering)."""

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.ipc.client import RemoteError
from podium.ipc.methods import JOB_SUBMIT
from podium.testing.conductor import ConductorProcess
from tests.faults.cli import PODIUM

MEMORY_KIB = 1024 * 1024
"""The address space a command may use: far less than what the templates ask for."""

BOMBS = {
    "repeat": ('echo {{ "y" * 10**9 }}', "makes more than 4 MiB of text"),
    "repeat-ten-billion": ('echo {{ "y" * 10000000000 }}', "makes more than 4 MiB of text"),
    "nested-loops": (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "runs more than 1,000,000 loop iterations",
    ),
    "center": ('echo {{ "y" | center(10**9) }}', "makes more than 4 MiB of text"),
    "format-width": ('echo {{ "{:>1000000000}".format(1) }}', "makes more than 4 MiB of text"),
    "doubling": (
        '{% set ns = namespace(s="y") %}{% for i in range(64) %}'
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "makes more than 4 MiB of text",
    ),
}


def _score(line: str) -> str:
    return f"""\
name: bomb
workspace: ./ws
instrument: cli
sheet: {{size: 1, total_items: 1}}
prompt:
  template: |
    echo start
    {line}
"""


def _limited(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `podium` with its memory capped: an unbounded render would fail, not swap."""
    command = f"ulimit -v {MEMORY_KIB}; exec {shlex.join([PODIUM, *args])}"
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=45, check=False
    )


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_validate_refuses_a_template_bomb_with_its_location(tmp_path: Path, bomb: str) -> None:
    line, expected = BOMBS[bomb]
    (tmp_path / "score.yaml").write_text(_score(line))
    done = _limited("validate", "score.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # an invalid score, as any template error
    assert f"score.yaml:8:5: [P010] prompt.template: sheet 1: the prompt template {expected}" in (
        done.stdout
    ), done.stdout + done.stderr


def test_a_dry_run_showing_prompts_refuses_a_template_bomb(tmp_path: Path) -> None:
    (tmp_path / "score.yaml").write_text(_score(BOMBS["repeat"][0]))
    done = _limited("run", "score.yaml", "--dry-run", "--show-prompts", cwd=tmp_path)
    assert done.returncode != 0
    assert "makes more than 4 MiB of text" in done.stdout + done.stderr


def test_the_conductor_refuses_a_template_bomb_at_submission_and_still_answers(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    score = write_score(_score(BOMBS["repeat-ten-billion"][0]))
    with pytest.raises(RemoteError, match=r"score.yaml:8:5: .*makes more than 4 MiB of text"):
        conductor.request(JOB_SUBMIT({"score_path": str(score)}))
    assert _status(conductor).returncode == 0


def _status(conductor: ConductorProcess, *job: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PODIUM, "status", *job],
        env=conductor.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


LATE_BOMB = """
    name: late-bomb
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    cross_sheet: {auto_capture_stdout: true}
    prompt:
      template: |
        {% if previous_outputs %}echo {{ "y" * 10**9 }}{% else %}echo first{% endif %}
"""


def test_a_prompt_that_blows_up_at_run_time_fails_its_sheet_and_the_conductor_goes_on(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(LATE_BOMB))
    conductor.wait_for_job(job, "failed")
    sheets = {s["num"]: s for s in conductor.status(job)["sheets"]}
    assert sheets[1]["status"] == "completed"
    assert sheets[2]["status"] == "failed"
    assert "score.yaml:11:5: prompt.template: sheet 2: the prompt template makes more than" in str(
        sheets[2]["error"]
    )
    assert _status(conductor, job).returncode == 0


def test_validate_refuses_a_validation_path_padded_to_a_gigabyte(tmp_path: Path) -> None:
    (tmp_path / "score.yaml").write_text(
        _score("echo hi")
        + 'validations:\n  - {type: file_exists, path: "{workspace}/{sheet_num:>1000000000}"}\n'
    )
    done = _limited("validate", "score.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "score.yaml:10:31: validations.0.path: '{sheet_num:>1000000000}' asks for" in (
        done.stdout
    ), done.stdout + done.stderr
