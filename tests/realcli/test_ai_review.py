"""An AI review by a real agent CLI: Claude Code, pointed at the scripted provider, reviews a
sheet's work once its checks passed; the provider's model scores it low.
A low score is retried against the sheet's budget, and each review's score, tokens and cost
are kept with its attempt, as `podium history` shows them."""

import textwrap
from pathlib import Path

import pytest

from podium.testing.provider import ScriptedProvider
from tests.realcli.conftest import SealedConductor
from tests.realcli.hermetic import CLIS, environment

pytestmark = pytest.mark.timeout(240)

SCORE = """
    name: reviewed
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 1, base_delay_seconds: 0.1, max_completion_attempts: 0, jitter: false}}
    prompt:
      template: "echo 'The report.' > report.md"
    ai_review:
      enabled: true
      instrument: claude-code
      instrument_config: {{base_url: "{low}", timeout_seconds: 120}}
      min_score: 60
      on_low_score: retry
    validations:
      - type: file_exists
        path: "{{workspace}}/report.md"
"""


def test_claude_code_reviews_the_work_and_a_low_score_is_retried(
    realcli_bin: Path, provider: ScriptedProvider, tmp_path: Path
) -> None:
    sealed = environment(
        CLIS["claude"], tmp_path / "sealed", root=realcli_bin.parent, trap_url=provider.trap_url
    )
    # The model scores every review low: the retry is reviewed low again, and the sheet
    # fails once its budget (one retry) is spent.
    low = provider.base_url("text", say="SCORE: 35\nREASON: one line is not a report", tag="low")
    score = tmp_path / "reviewed.yaml"
    score.write_text(textwrap.dedent(SCORE.format(low=low)))
    conductor = SealedConductor(tmp_path / "podium", sealed)
    conductor.start(timeout=60)
    try:
        job = conductor.submit(score)
        conductor.wait_for_job(job, "failed", timeout=200, poll=0.5)
        history = conductor.podium_json("history", job)
        reviews = [a["review"] for a in sorted(history["attempts"], key=lambda a: a["attempt"])]
        assert [r["score"] for r in reviews] == [35, 35]
        assert reviews[0]["reason"] == "one line is not a report"
        assert reviews[0]["instrument"] == "claude-code"
        assert reviews[0]["input_tokens"] > 0 and reviews[0]["cost"] > 0
        codes = [a["error_code"] for a in history["attempts"]]
        assert codes == ["E206", "E206"]
        shown = conductor.podium("history", job).stdout
        assert "review    35/100 · by claude-code" in shown
        assert len(provider.requests(tag="low")) >= 2  # one review per attempt, at least
    finally:
        conductor.stop()
