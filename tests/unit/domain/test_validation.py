"""How validation rules and their results read to a person."""

import pytest

from podium.domain.validation import (
    ValidationKind,
    ValidationResult,
    ValidationRule,
    failure_summary,
)

K = ValidationKind


@pytest.mark.parametrize(
    ("rule", "summary"),
    [
        (ValidationRule(K.FILE_EXISTS, path="/w/a.md"), "file_exists /w/a.md"),
        (ValidationRule(K.FILE_MODIFIED, path="/w/a.md"), "file_modified /w/a.md"),
        (
            ValidationRule(K.CONTENT_CONTAINS, path="/w/a.md", pattern="# "),
            "content_contains '# ' in /w/a.md",
        ),
        (
            ValidationRule(K.CONTENT_REGEX, "has a date", path="/w/a.md", pattern=r"\d{4}"),
            r"has a date (content_regex '\\d{4}' in /w/a.md)",
        ),
        (ValidationRule(K.COMMAND_SUCCEEDS, command="make test"), "command_succeeds make test"),
    ],
)
def test_a_rule_names_itself_as_a_person_would(rule: ValidationRule, summary: str) -> None:
    assert rule.summary() == summary


def test_the_failure_summary_names_the_first_failure_and_counts_the_rest() -> None:
    rule = ValidationRule(K.FILE_EXISTS, path="/w/a.md")
    results = [
        ValidationResult(rule, True, ""),
        ValidationResult(rule, False, "file not found"),
        ValidationResult(rule, False, "file not found"),
        ValidationResult(rule, False, "not checked", checked=False),
    ]
    assert failure_summary(results) == (
        "validation failed: file_exists /w/a.md: file not found "
        "(1 more of 4 checks failed; 1 not checked after it)"
    )
    assert failure_summary(results[1:2]) == (
        "validation failed: file_exists /w/a.md: file not found"
    )
