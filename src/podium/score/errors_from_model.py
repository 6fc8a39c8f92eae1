"""Turn pydantic's validation errors into located messages a person can act on."""

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from podium.score.diagnostics import Diagnostic
from podium.score.model import (
    MARIANNE_KEYS,
    MARIANNE_VALIDATION_TYPES,
    InstrumentConfig,
    PromptConfig,
    RetryConfig,
    ScoreModel,
    SheetConfig,
    ValidationConfig,
)
from podium.score.yamlsource import Key, SourceMap

_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): ScoreModel,
    ("sheet",): SheetConfig,
    ("prompt",): PromptConfig,
    ("validations", "*"): ValidationConfig,
    ("retry",): RetryConfig,
    ("instrument_config",): InstrumentConfig,
}


def diagnostics(error: ValidationError, source: SourceMap) -> list[Diagnostic]:
    found = []
    for detail in error.errors(include_url=False):
        loc = tuple(p for p in detail["loc"] if p != "[key]")
        path: tuple[Key, ...] = tuple(p for p in loc if isinstance(p, str | int))
        message = _message(detail, path)
        if detail["type"] == "missing":
            # Point at the mapping that lacks the key, by its own key.
            found.append(source.diagnostic(path[:-1], message, key=True))
        else:
            found.append(source.diagnostic(path, message, key=detail["type"] == "extra_forbidden"))
    return sorted(found, key=lambda d: (d.line, d.column))


def _pattern(path: Sequence[Key]) -> tuple[str, ...]:
    return tuple("*" if isinstance(p, int) else p for p in path)


def _message(detail: ErrorDetails, path: tuple[Key, ...]) -> str:
    kind, given = detail["type"], detail.get("input")
    match kind:
        case "extra_forbidden":
            return _unknown_key(str(path[-1]), _pattern(path[:-1]))
        case "missing":
            return f"missing required key '{path[-1]}'"
        case "literal_error" if path and path[-1] == "type":
            return _validation_type(given)
        case "model_type" | "dict_type":
            return f"expected a mapping of keys, got {_shape(given)}"
        case "list_type":
            return f"expected a list, got {_shape(given)}"
        case "value_error" | "assertion_error":
            return (
                str(detail["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
            )
        case _:
            msg = str(detail["msg"])
            text = msg[0].lower() + msg[1:] if msg else kind
            return f"{text}, got {_shape(given)}" if not isinstance(given, dict | list) else text


def _unknown_key(key: str, where: tuple[str, ...]) -> str:
    if key in MARIANNE_KEYS.get(where, frozenset()):
        return (
            f"'{key}' is part of Marianne's score format, but this version of Podium "
            "does not run it yet; remove it to run this score"
        )
    model = _MODELS.get(where)
    known = sorted(model.model_fields) if model else []
    close = difflib.get_close_matches(key, [*known, *MARIANNE_KEYS.get(where, ())], n=1)
    hint = (
        f"; did you mean '{close[0]}'?"
        if close
        else (f"; expected one of: {', '.join(known)}" if known else "")
    )
    return f"unknown key '{key}'{hint}"


def _validation_type(given: Any) -> str:
    if given in MARIANNE_VALIDATION_TYPES:
        return (
            f"validation type '{given}' is part of Marianne's score format, but this "
            "version of Podium does not run it yet"
        )
    return (
        f"unknown validation type {given!r}; expected one of: "
        "file_exists, content_contains, command_succeeds"
    )


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)
