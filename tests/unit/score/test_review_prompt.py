"""The prompt an AI reviewer gets: the task, the answer, the checks that passed, and how to
answer; or the score's own template."""

from pathlib import Path

from podium.domain.ids import SheetNum
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.score.review import SHOWN_CHARS, review_prompt
from tests.unit.score.test_assembly import score_in

PASSED = ValidationResult(ValidationRule(ValidationKind.FILE_EXISTS, path="/w/a.md"), True, "")
FAILED = ValidationResult(ValidationRule(ValidationKind.FILE_EXISTS, path="/w/b.md"), False, "x")


def test_the_default_prompt_gives_the_task_the_answer_and_the_passed_checks(
    tmp_path: Path,
) -> None:
    score = score_in(
        tmp_path,
        'name: r\nworkspace: ./ws\nsheet: {size: 1, total_items: 1}\nprompt: {template: "Go."}\n',
    )
    text = review_prompt(score, SheetNum(1), "Write a.md.", "Done.", (PASSED, FAILED))
    assert "## The task\n\nWrite a.md.\n\n## The agent's answer\n\nDone." in text
    assert "- file_exists /w/a.md" in text and "/w/b.md" not in text
    assert text.endswith("SCORE: <0-100>\nREASON: <one sentence>\n")
    long = review_prompt(score, SheetNum(1), "x" * (SHOWN_CHARS + 5), "", ())
    assert "[…]" + "x" * SHOWN_CHARS in long and "(no answer text)" in long
    assert "- (none)" in long


def test_the_scores_template_replaces_it_with_the_review_variables(tmp_path: Path) -> None:
    score = score_in(
        tmp_path,
        """
        name: r
        workspace: ./ws
        sheet: {size: 1, total_items: 1}
        prompt: {template: "Go.", variables: {who: Ann}}
        ai_review:
          enabled: true
          min_score: 50
          review_prompt_template: "{{ who }}: rate '{{ output }}' for '{{ prompt }}' ({{ checks | length }} passed, {{ min_score }}-{{ target_score }})"
        """,
    )
    text = review_prompt(score, SheetNum(1), "Write a.md.", "Done.", (PASSED,))
    assert text == "Ann: rate 'Done.' for 'Write a.md.' (1 passed, 50-80)"
