"""Turn pydantic's validation errors into located messages a person can act on."""

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from podium.score.diagnostics import Diagnostic
from podium.score.yamlsource import Key, SourceMap

TYPOS = {
    "retries": "retry",
    "paralel": "parallel",
    "parralel": "parallel",
    "parrallel": "parallel",
    "backend_type": "instrument",
    "max_retries": "retry.max_retries",
    "timeout": "instrument_config.timeout_seconds",
    "timeout_seconds": "instrument_config.timeout_seconds",
    "preamble": "prompt.template (the preamble is written by Podium)",
    "task": "prompt.template",
    "template": "prompt.template",
    "variables": "prompt.variables",
    "stager_delay_ms": "parallel.stagger_delay_ms",
    "stagger_delay": "parallel.stagger_delay_ms",
    "insturment": "instrument",
    "instrumnet": "instrument",
    "insturment_config": "instrument_config",
    "instrumnet_config": "instrument_config",
    "validation": "validations",
    "notification": "notifications",
    "sheets": "sheet",
    "prompts": "prompt",
    "dependencies": "sheet.dependencies",
    "fan_out": "sheet.fan_out",
}
"""Top-level mistakes people make, and what they meant."""


def diagnostics(
    error: ValidationError, source: SourceMap, model: type[BaseModel]
) -> list[Diagnostic]:
    found = []
    for detail in error.errors(include_url=False):
        loc = tuple(p for p in detail["loc"] if p != "[key]")
        path: tuple[Key, ...] = tuple(p for p in loc if isinstance(p, str | int))
        message = _message(detail, path, model)
        if detail["type"] == "missing":
            # Point at the mapping that lacks the key, by its own key.
            found.append(source.diagnostic(path[:-1], message, key=True))
        else:
            found.append(source.diagnostic(path, message, key=detail["type"] == "extra_forbidden"))
    return sorted(set(found), key=lambda d: (d.line, d.column, d.message))


def _message(detail: ErrorDetails, path: tuple[Key, ...], model: type[BaseModel]) -> str:
    kind, given = detail["type"], detail.get("input")
    match kind:
        case "extra_forbidden":
            return _unknown_key(str(path[-1]), path[:-1], model)
        case "missing":
            return f"missing required key '{path[-1]}'"
        case "model_type" | "dict_type" | "model_attributes_type":
            return f"expected a mapping of keys, got {_shape(given)}"
        case "list_type":
            return f"expected a list, got {_shape(given)}"
        case "literal_error":
            return f"{given!r} is not one of the choices: {_expected(detail)}"
        case "value_error" | "assertion_error":
            return (
                str(detail["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
            )
        case _:
            msg = str(detail["msg"])
            text = msg[0].lower() + msg[1:] if msg else kind
            return text if isinstance(given, dict | list) else f"{text}, got {_shape(given)}"


def _unknown_key(key: str, where: Sequence[Key], model: type[BaseModel]) -> str:
    if not where and key in TYPOS:
        return f"unknown key '{key}'; did you mean '{TYPOS[key]}'?"
    known = known_keys(model, where)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    listing = f"; expected one of: {', '.join(known)}" if 0 < len(known) <= 12 else ""
    return f"unknown key '{key}'{listing}"


def known_keys(model: type[BaseModel], path: Sequence[Key]) -> list[str]:
    """The keys a mapping at `path` may have, by walking the model's annotations."""
    current: Any = model
    for part in path:
        current = _child(current, part)
        if current is None:
            return []
    found = _model_in(current)
    if found is None:
        return []
    return sorted(field.alias or name for name, field in found.model_fields.items())


def _child(annotation: Any, part: Key) -> Any:
    found = _model_in(annotation)
    if found is not None and isinstance(part, str):
        for name, field in found.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    for option in _options(annotation):
        origin = typing.get_origin(option)
        if origin is dict:
            return typing.get_args(option)[1]
        if origin is list and isinstance(part, int):
            return typing.get_args(option)[0]
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def _options(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _expected(detail: ErrorDetails) -> str:
    context = detail.get("ctx") or {}
    return str(context.get("expected", "")).replace("'", "")


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)
