"""The agent's feedback on a real conductor: taken from its answer, kept with the attempt,
shown by `history` and `status`, and given to the next sheet's template."""

import json
from collections.abc import Callable
from pathlib import Path

from podium.ipc.methods import JOB_HISTORY
from podium.testing.conductor import ConductorProcess
from tests.integration.test_agent_attempts import recorded_prompts

SCORE = """
    name: feedback
    workspace: ./ws
    instrument: fake-agent
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    feedback: {enabled: true}
    prompt:
      template: |
        {% if sheet_num == 1 %}
        FAKE-AGENT: print text="Done. FEEDBACK_START {\\"score\\": 8, \\"next\\": \\"tests\\"} FEEDBACK_END"
        {% else %}
        The last sheet asks for {{ previous_feedback[1].next }} (score {{ previous_feedback[1].score }}).
        {% endif %}
        FAKE-AGENT: write out-{{ sheet_num }}.md text="ok"
    validations:
      - type: file_exists
        path: "{workspace}/out-{sheet_num}.md"
"""


def test_feedback_is_kept_shown_and_handed_to_the_next_sheet(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(write_score(SCORE))
    conductor.wait_for_job(job, "completed")
    [(kept,)] = conductor.query("SELECT feedback FROM attempts WHERE sheet = 1")
    assert json.loads(kept) == {"score": 8, "next": "tests"}
    assert conductor.query("SELECT feedback FROM attempts WHERE sheet = 2") == [(None,)]
    _, second = recorded_prompts(tmp_path / "ws")
    assert "The last sheet asks for tests (score 8)." in second
    history = conductor.request(JOB_HISTORY({"job_id": job}))
    [first] = [a for a in history["attempts"] if a["sheet"] == 1]
    assert first["feedback"] == {"score": 8, "next": "tests"}
    shown = conductor.podium("history", job)
    assert 'feedback  {"score": 8, "next": "tests"}' in shown.stdout
    status = conductor.podium("status", job)
    assert 'feedback:\n  sheet 1  {"score": 8, "next": "tests"}' in status.stdout
