"""The prompt's spec and lessons layers on a real conductor: what the fake agent was given,
read from its own record of every prompt."""

import textwrap
from collections.abc import Callable
from pathlib import Path

from podium.testing.conductor import ConductorProcess
from tests.integration.test_agent_attempts import recorded_prompts

SCORE = """
    name: layered
    workspace: ./ws
    instrument: fake-agent
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 2, spec_tags: {{1: [api], 2: [ui]}}}}
    retry: {{max_retries: 2, base_delay_seconds: 0.05, max_completion_attempts: 0, jitter: false}}
    spec: {{spec_dir: specs}}
    prompt:
      lessons: {lessons}
      template: "Write out-{{{{ sheet_num }}}}.txt for sheet {{{{ sheet_num }}}}."
    validations:
      - type: content_contains
        path: "{{workspace}}/out-{{sheet_num}}.txt"
        pattern: "DONE"
"""

# The first attempt of sheet 1 writes the file without the word its check wants; later ones
# write it right.
SCRIPT = r"""
- match: 'Write (out-1\.txt)'
  times: 1
  actions: [{write: {path: '\1', text: "not yet"}}]
- match: 'Write (out-\d\.txt)'
  actions: [{write: {path: '\1', text: "DONE"}}]
"""


def layered(tmp_path: Path, write_score: Callable[..., Path], lessons: bool) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "api.md").write_text("---\ntags: [api]\n---\nThe API speaks JSON.\n")
    (specs / "ui.yaml").write_text("name: ui\ncontent: The UI is plain HTML.\ntags: [ui]\n")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / ".fake-agent.yaml").write_text(textwrap.dedent(SCRIPT))
    return write_score(SCORE.format(lessons=str(lessons).lower()))


def test_retries_and_later_sheets_learn_from_failures_and_each_sheet_gets_its_spec(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(layered(tmp_path, write_score, lessons=True))
    conductor.wait_for_job(job, "completed")
    first, retry, second = recorded_prompts(tmp_path / "ws")
    assert "## Specification\n\n### api (api)\n\nThe API speaks JSON." in first
    assert "The UI is plain HTML." not in first
    assert "Lessons from previous sheets" not in first
    lesson = (
        "- Sheet 1, attempt 1 [E203]: 1 check(s) failed\n"
        f"  - expected the file {tmp_path}/ws/out-1.txt contains the text `DONE`; found text "
        'not found in the file (7 bytes): "not yet"\n'
    )
    for later in (retry, second):
        assert "## Lessons from previous sheets" in later
        assert lesson in later, later
        assert later.index("## Specification") < later.index("## Lessons from previous sheets")
        assert later.index("## Lessons") < later.index("## Success requirements")
    assert "### ui (ui)\n\nThe UI is plain HTML." in second and "JSON" not in second


def test_lessons_can_be_switched_off(
    conductor: ConductorProcess, write_score: Callable[..., Path], tmp_path: Path
) -> None:
    job = conductor.submit(layered(tmp_path, write_score, lessons=False))
    conductor.wait_for_job(job, "completed")
    prompts = recorded_prompts(tmp_path / "ws")
    assert len(prompts) == 3
    assert not any("Lessons from previous sheets" in p for p in prompts)
