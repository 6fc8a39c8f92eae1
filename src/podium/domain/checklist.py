"""The checks of an attempt, as a document an instrument can read.

Next to its prompt, each attempt gets its sheet's checks in a JSON file, named by the
environment variable `PODIUM_CHECKS_FILE`: the prompt's "Success requirements" list says the
same in words, for people and agents; the file says it exactly, for programs (Podium's fake
agent in its `--satisfy` mode reads it). Its shape:

    {"version": 1, "checks": [{"kind": "content_regex", "path": "/abs/report.md",
      "pattern": "^# ", "description": "the report has a heading", "command": null}, ...]}

`path` is absolute, placeholders filled in; `command` is a command check's text as people
see it (credentials masked), never what runs.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podium.domain.validation import ValidationKind, ValidationRule

CHECKS_FILE_ENV = "PODIUM_CHECKS_FILE"
"""The variable naming an attempt's checks file."""

VERSION = 1

_WITH_PATTERN = (ValidationKind.CONTENT_CONTAINS, ValidationKind.CONTENT_REGEX)


def checklist(
    rules: Sequence[ValidationRule], redact: Callable[[str], str] = lambda text: text
) -> dict[str, Any]:
    """The document of `rules`; `redact` masks the text of command checks."""
    return {"version": VERSION, "checks": [_check(rule, redact) for rule in rules]}


def _check(rule: ValidationRule, redact: Callable[[str], str]) -> dict[str, Any]:
    command = rule.shown_command
    return {
        "kind": str(rule.kind),
        "path": rule.path,
        "pattern": rule.pattern,
        "description": rule.description,
        "command": redact(command) if command is not None else None,
    }


def read_checklist(document: object) -> tuple[ValidationRule, ...]:
    """The rules of a checks document; ValueError says what is wrong with it."""
    if not isinstance(document, Mapping) or document.get("version") != VERSION:
        raise ValueError(f"not a version {VERSION} checks document")
    checks = document.get("checks")
    if not isinstance(checks, list):
        raise ValueError("its 'checks' is not a list")
    return tuple(_rule(n, item) for n, item in enumerate(checks, 1))


def _rule(n: int, item: object) -> ValidationRule:
    if not isinstance(item, Mapping):
        raise ValueError(f"check {n} is not a mapping")
    try:
        kind = ValidationKind(str(item.get("kind")))
    except ValueError:
        raise ValueError(f"check {n} has an unknown kind {item.get('kind')!r}") from None
    fields = {key: item.get(key) for key in ("path", "pattern", "description", "command")}
    for key, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"check {n}: '{key}' is not text")
    if kind.reads_a_file and not fields["path"]:
        raise ValueError(f"check {n} ({kind}) names no path")
    if kind in _WITH_PATTERN and fields["pattern"] is None:
        raise ValueError(f"check {n} ({kind}) has no pattern")
    return ValidationRule(
        kind,
        description=fields["description"],
        path=fields["path"],
        pattern=fields["pattern"],
        command=fields["command"],
    )
