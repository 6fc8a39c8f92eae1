"""An attempt's checks as a document: written, read back, refused when malformed."""

from typing import Any

import pytest

from podium.domain.checklist import checklist, read_checklist
from podium.domain.validation import ValidationKind, ValidationRule

RULES = (
    ValidationRule(ValidationKind.FILE_EXISTS, path="/w/a.md"),
    ValidationRule(ValidationKind.FILE_MODIFIED, path="/w/b.md", description="b changes"),
    ValidationRule(ValidationKind.CONTENT_CONTAINS, path="/w/a.md", pattern="DONE"),
    ValidationRule(ValidationKind.CONTENT_REGEX, path="/w/a.md", pattern="^# Report"),
    ValidationRule(
        ValidationKind.COMMAND_SUCCEEDS,
        command='test -n "$P1"',
        command_shown="test -n secret-token",
        description="the token is set",
    ),
)


def test_rules_read_back_as_written_with_commands_as_people_see_them() -> None:
    document = checklist(RULES, redact=lambda text: text.replace("secret-token", "***"))
    assert document["version"] == 1
    assert document["checks"][4] == {
        "kind": "command_succeeds",
        "path": None,
        "pattern": None,
        "description": "the token is set",
        "command": "test -n ***",
    }
    read = read_checklist(document)
    assert read[:4] == RULES[:4]
    assert read[4] == ValidationRule(
        ValidationKind.COMMAND_SUCCEEDS, command="test -n ***", description="the token is set"
    )


def test_without_a_redactor_the_text_is_kept() -> None:
    assert checklist(RULES[4:])["checks"][0]["command"] == "test -n secret-token"


def check(**fields: Any) -> dict[str, Any]:
    return {"kind": "file_exists", "path": "/w/a", **fields}


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([], "not a version 1 checks document"),
        ({"version": 2, "checks": []}, "not a version 1 checks document"),
        ({"version": 1, "checks": {}}, "its 'checks' is not a list"),
        ({"version": 1, "checks": ["file_exists"]}, "check 1 is not a mapping"),
        ({"version": 1, "checks": [check(kind="file_gone")]}, "unknown kind 'file_gone'"),
        ({"version": 1, "checks": [check(path=3)]}, "check 1: 'path' is not text"),
        ({"version": 1, "checks": [check(path=None)]}, "check 1 (file_exists) names no path"),
        (
            {"version": 1, "checks": [check(), check(kind="content_regex")]},
            "check 2 (content_regex) has no pattern",
        ),
    ],
)
def test_a_malformed_document_is_refused_saying_where(document: object, says: str) -> None:
    with pytest.raises(ValueError) as refused:
        read_checklist(document)
    assert says in str(refused.value)
