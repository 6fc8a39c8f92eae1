"""An AI review's answer read, and the check it makes."""

import pytest

from podium.domain.review import Verdict, read_verdict, review_result
from podium.domain.validation import ValidationKind, ValidationRule

RULE = ValidationRule(ValidationKind.AI_REVIEW, description="AI review by x", pattern="60")


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("SCORE: 85\nREASON: does what was asked", Verdict(85, "does what was asked")),
        ("**Score:** 72\n**Reason:** misses the tests", Verdict(72, "misses the tests")),
        ("score = 90", Verdict(90, "")),
        ("SCORE: 40\nREASON: first\n\nOn reflection:\nSCORE: 55\nREASON: second", Verdict(55, "second")),
        ("SCORE: 250", Verdict(100, "")),
        ("I would give it a high score.\nREASON: fine", Verdict(None, "fine")),
        ("", Verdict(None, "")),
    ],
)  # fmt: skip
def test_the_last_score_and_reason_lines_count(answer: str, verdict: Verdict) -> None:
    assert read_verdict(answer) == verdict


def test_the_check_passes_at_min_score_and_notes_a_score_below_target() -> None:
    passed = review_result(RULE, Verdict(70, "good"), 80, "")
    assert passed.passed and passed.detail == "scored 70/100, below the target of 80: good"
    assert review_result(RULE, Verdict(90), 80, "").detail == "scored 90/100"
    low = review_result(RULE, Verdict(59, "thin"), 80, "")
    assert not low.passed and low.rule == RULE


def test_a_review_without_a_score_does_not_judge_the_work() -> None:
    fatal = ValidationRule(ValidationKind.AI_REVIEW, pattern="60", fatal=True)
    found = review_result(fatal, Verdict(None), 80, "I   cannot\nsay")
    assert not found.passed
    assert found.rule.advisory and not found.rule.fatal
    assert found.detail == "the review gave no score (it said: I cannot say)"
    assert "nothing" in review_result(RULE, Verdict(None), 80, "").detail


def test_a_review_rule_reads_as_a_person_would_say_it() -> None:
    assert RULE.summary() == "AI review by x (ai_review at least 60)"
    assert RULE.expectation() == "a review scores the work 60/100 or more"
    assert not ValidationKind.AI_REVIEW.reads_a_file
