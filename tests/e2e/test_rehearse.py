"""`podium run SCORE --rehearse`: the score, unchanged, played by the fake agent in its
--satisfy mode on a real conductor; the score's own checks decide whether the sheets passed."""

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import User, wait_for

# A project profile under the name the score plays: were it ever run, it would leave a mark.
REAL_AGENT = """\
name: {name}
kind: cli
cli:
  command:
    executable: {script}
"""

SCORE = """\
name: rehearsed
workspace: ./ws
instrument: claude-code
instrument_config: {{model: claude-opus-4-1, timeout_seconds: 60}}
instrument_fallbacks: [gemini-cli]
pause_between_sheets_seconds: 0
retry: {{max_retries: 0, max_completion_attempts: 0}}
movements:
  2: {{instrument: codex-cli}}
sheet:
  size: 1
  total_items: 3
  per_sheet_instruments: {{3: aider}}
prompt:
  template: "Write the report of part {{{{ sheet_num }}}} to {{{{ workspace }}}}/report-{{{{ sheet_num }}}}.md."
validations:
  - {{type: file_exists, path: "{{workspace}}/report-{{sheet_num}}.md"}}
  - {{type: content_regex, path: "{{workspace}}/report-{{sheet_num}}.md", pattern: "^# Part \\\\d+$"}}
  - {{type: content_contains, path: "{{workspace}}/report-{{sheet_num}}.md", pattern: "PART_DONE"}}
  - {{type: file_modified, path: "{{workspace}}/log.md"}}
{extra}"""


def write_score(folder: Path, extra: str = "") -> Path:
    """The score in `folder`, every instrument it names a program that marks `contacted`."""
    marker = folder / "contacted"
    script = folder / "real-agent"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    profiles = folder / ".podium" / "instruments"
    profiles.mkdir(parents=True)
    for name in ("claude-code", "gemini-cli", "codex-cli", "aider"):
        (profiles / f"{name}.yaml").write_text(REAL_AGENT.format(name=name, script=script))
    score = folder / "rehearsed.yaml"
    score.write_text(SCORE.format(extra=textwrap.indent(textwrap.dedent(extra), "  ")))
    return score


@pytest.fixture(autouse=True)
def own_cache(podium: User, tmp_path: Path) -> None:
    """The fake agent's cache (hypothesis's tables) in the test's folder, not the user's."""
    podium.env["XDG_CACHE_HOME"] = str(tmp_path / "cache")


def status(podium: User, job: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(podium("status", job, "--json").stdout)
    return found


def test_a_rehearsal_completes_the_score_on_the_fake_agent_and_says_so(
    podium: User, tmp_path: Path
) -> None:
    score = write_score(tmp_path)
    text = score.read_bytes()
    done = podium("run", str(score), "--rehearse", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rehearsal: the fake agent can satisfy every check of this score" in done.stderr
    job = status(podium, "rehearsed")
    assert job["status"] == "completed"
    assert {s["instrument"] for s in job["sheets"]} == {"rehearsal"}
    assert job["history"][0]["text"].startswith("rehearsal: every sheet is played by the fake")
    workspace = tmp_path / "ws"
    for num in (1, 2, 3):
        text_of = (workspace / f"report-{num}.md").read_text()
        assert "PART_DONE" in text_of
        assert "# Part 0" in text_of
    assert score.read_bytes() == text
    assert not (tmp_path / "contacted").exists()
    # Each attempt was given its checks in a file, as the prompt gives them in words.
    prompts = sorted((workspace / ".fake-agent").glob("prompt-*.txt"))
    assert len(prompts) == 3
    assert "## Success requirements (validated automatically)" in prompts[0].read_text()


def test_the_checks_it_cannot_satisfy_are_listed_before_the_run_and_fail_their_sheet(
    podium: User, tmp_path: Path
) -> None:
    score = write_score(
        tmp_path,
        """\
          - type: command_succeeds
            command: "test -f {workspace}/approved"
            description: "a person approved it"
            condition: "sheet_num == 2"
        """,
    )
    plan = podium("run", str(score), "--rehearse", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert plan.stderr.splitlines()[:2] == [
        "rehearsal: the fake agent cannot satisfy 1 check(s) (it runs no command): 1 sheet(s) "
        "will fail, unless their commands pass as things are:",
        f"  sheet 2: a person approved it (command_succeeds test -f {tmp_path}/ws/approved)",
    ]
    rows = [line.split() for line in plan.stdout.splitlines()[2:]]
    assert [row[3] for row in rows] == ["rehearsal", "rehearsal", "rehearsal"]
    assert "submitted" not in plan.stdout

    done = podium("run", str(score), "--rehearse", "--wait")
    assert done.returncode != 0
    assert "sheet 2: a person approved it" in done.stderr
    failed = status(podium, "rehearsed")
    assert [s["status"] for s in failed["sheets"]] == ["completed", "failed", "skipped"]

    # Resumed, the job goes on rehearsing: the fake agent plays the sheets left.
    (tmp_path / "ws" / "approved").write_text("yes\n")
    assert podium("resume", "rehearsed").returncode == 0
    wait_for(lambda: status(podium, "rehearsed")["status"] == "completed", "the resumed job")
    resumed = status(podium, "rehearsed")
    assert {s["instrument"] for s in resumed["sheets"]} == {"rehearsal"}
    assert not (tmp_path / "contacted").exists()


def test_rehearse_refuses_a_fleet(podium: User, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("type: fleet\nname: f\nscores: []\n")
    refused = podium("run", str(fleet), "--rehearse", "--dry-run")
    assert refused.returncode == 2
    assert "--rehearse runs a score" in refused.stderr
