"""How validation rules and their results read to a person."""

import pytest

from podium.domain.validation import (
    ValidationKind,
    ValidationResult,
    ValidationRule,
    failure_summary,
)
from podium.domain.work import plain_text

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
        (
            ValidationRule(K.FILE_CHECKSUM, "grounding refs", path="/w/r.csv", pattern="ab"),
            "grounding refs (file_checksum /w/r.csv)",
        ),
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


def test_a_failed_rule_says_what_it_expected_and_how_to_fix_it() -> None:
    rule = ValidationRule(ValidationKind.FILE_EXISTS, path="/ws/out.md")
    missing = ValidationResult(rule, False, "file not found")
    assert rule.expectation() == "the file /ws/out.md exists"
    assert "must write /ws/out.md" in missing.fix
    assert ValidationResult(rule, True, "").fix == ""
    later = ValidationResult(rule, False, "not checked", checked=False)
    assert later.fix == "fix the failed rule of the earlier stage first"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (ValidationRule(ValidationKind.FILE_MODIFIED, path="/a"), "must change /a"),
        (
            ValidationRule(ValidationKind.CONTENT_CONTAINS, path="/a", pattern="x"),
            "expected content",
        ),
        (ValidationRule(ValidationKind.CONTENT_REGEX, path="/a", pattern="x"), "expected content"),
        (ValidationRule(ValidationKind.COMMAND_SUCCEEDS, command="make"), "run the command"),
        (ValidationRule(ValidationKind.FILE_CHECKSUM, path="/a", pattern="ab"), "restore it"),
        (ValidationRule(ValidationKind.AI_REVIEW, pattern="60"), "the review's reason"),
    ],
)
def test_each_kind_of_rule_suggests_its_own_fix(rule: ValidationRule, words: str) -> None:
    assert words in ValidationResult(rule, False, "no").fix
    assert rule.expectation()


def test_a_folder_where_a_file_should_be_gets_the_general_advice() -> None:
    rule = ValidationRule(ValidationKind.FILE_EXISTS, path="/ws/out")
    assert ValidationResult(rule, False, "a folder, not a file").fix == (
        "check the rule's path and pattern"
    )


def test_plain_text_output_is_the_answer_itself() -> None:
    assert plain_text("hello\n").result == "hello\n"


def test_a_rule_names_its_command_as_written_with_its_values_not_as_run() -> None:
    rule = ValidationRule(
        ValidationKind.COMMAND_SUCCEEDS,
        command='test -s "$PODIUM_V_workspace"/out',
        command_environment=(("PODIUM_V_workspace", "/w"),),
        command_shown="test -s /w/out",
    )
    assert rule.summary() == "command_succeeds test -s /w/out"
    assert rule.expectation() == "the command `test -s /w/out` exits with code 0"


def test_a_checksum_rule_says_which_digest_it_expects() -> None:
    rule = ValidationRule(K.FILE_CHECKSUM, path="/w/r.csv", pattern="ab12", algorithm="md5")
    assert rule.expectation() == "the file /w/r.csv has the md5 checksum ab12"
