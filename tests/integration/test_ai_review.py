"""AI review on a real conductor: after a sheet's checks pass, the fake agent reviews its
work; a low score is retried against the sheet's budget, and each review is kept with its
attempt (score, tokens, cost), shown by `history`."""

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from podium.testing.conductor import ConductorProcess

SCORE = """
    name: reviewed
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 2, base_delay_seconds: 0.05, max_completion_attempts: 0, jitter: false}}
    prompt:
      template: "echo 'The report.' > report.md"
    ai_review:
      enabled: true
      instrument: fake-agent
      min_score: 60
      target_score: 80
      on_low_score: {low}
    validations:
      - type: file_exists
        path: "{{workspace}}/report.md"
"""

# The first review finds the work thin; the next ones find it good.
REVIEWER = r"""
- match: 'You review the work'
  times: 1
  actions: [{print: "SCORE: 40\nREASON: the report is one line"}]
- match: 'You review the work'
  actions: [{print: "SCORE: 90\nREASON: it is what was asked"}]
"""


def reviewed(tmp_path: Path, write_score: Callable[..., Path], low: str) -> Path:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / ".fake-agent.yaml").write_text(textwrap.dedent(REVIEWER))
    return write_score(SCORE.format(low=low))


def test_a_low_review_is_retried_and_each_review_is_kept_with_its_attempt(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(reviewed(tmp_path, write_score, "retry"))
    done = conductor.wait_for_job(job, "completed")
    rows = conductor.query("SELECT attempt, outcome, error_code, review FROM attempts")
    assert [(a, o, c) for a, o, c, _ in rows] == [
        (1, "validation_failed", "E206"),
        (2, "succeeded", None),
    ]
    first, second = (json.loads(r) for *_, r in rows)
    assert (first["score"], first["reason"]) == (40, "the report is one line")
    assert (second["score"], second["instrument"]) == (90, "fake-agent")
    assert second["input_tokens"] > 0 and second["cost"] > 0
    assert done["cost"] >= first["cost"] + second["cost"] > 0
    shown = conductor.podium("history", job).stdout
    assert "review    40/100 · by fake-agent (fake-model) · " in shown, shown
    assert "review    90/100 · by fake-agent" in shown
    assert "scored 40/100, below the target of 80: the report is one line" in shown
    [prompt] = [
        p.read_text() for p in sorted((tmp_path / "ws" / ".fake-agent").glob("prompt-*.txt"))[:1]
    ]
    assert "## The task\n\necho 'The report.' > report.md" in prompt
    assert "- file_exists" in prompt


def test_a_low_review_with_on_low_score_warn_is_only_noted(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(reviewed(tmp_path, write_score, "warn"))
    conductor.wait_for_job(job, "completed")
    assert conductor.query("SELECT outcome FROM attempts") == [("succeeded",)]
    noted = conductor.podium("status", job).stdout  # in the job's history
    assert "scored 40/100, below the target of 80" in noted


def test_a_low_review_with_on_low_score_fail_fails_the_sheet_at_once(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(reviewed(tmp_path, write_score, "fail"))
    conductor.wait_for_job(job, "failed")
    assert conductor.query("SELECT attempt, error_code FROM attempts") == [(1, "E206")]
