"""A minimal value that satisfies a JSON schema, for structured-output requests.

Gemini CLI asks its model router and its next-speaker check for JSON shaped by a schema
(`responseJsonSchema`, or `responseSchema` with upper-case OpenAPI types). A reply that does not
fit makes the CLI retry for minutes, so the scripted provider answers with the smallest value
that fits: required properties only, the first enum value, the minimum of a number. Pure.
"""

from collections.abc import Mapping
from typing import Any

JSON = Any
"""A decoded JSON value: this module works at the JSON edge."""


_SCALARS: Mapping[str, JSON] = {"boolean": False, "null": None}


def example_for(schema: Mapping[str, JSON]) -> JSON:
    """The smallest value valid for `schema` (objects, arrays, strings, numbers, booleans)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_for(schema[key][0])
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema)
    if kind == "array":
        item = schema.get("items") or {}
        return [example_for(item) for _ in range(int(schema.get("minItems", 0)))]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    return _SCALARS[kind] if kind in _SCALARS else _string(schema)


def _type_of(schema: Mapping[str, JSON]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if kind is None:
        return "object" if "properties" in schema else "string"
    return str(kind).lower()


def _object(schema: Mapping[str, JSON]) -> dict[str, JSON]:
    properties: Mapping[str, JSON] = schema.get("properties") or {}
    required = schema.get("required")
    names = list(required) if required is not None else list(properties)
    return {name: example_for(properties.get(name) or {}) for name in names}


def _number(schema: Mapping[str, JSON], kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 1))
    if isinstance(low, bool) or not isinstance(low, int | float):
        low = 1
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low = low + 1
    return int(low) if kind == "integer" else float(low)


def _string(schema: Mapping[str, JSON]) -> str:
    text = "scripted".ljust(int(schema.get("minLength", 0)), ".")
    return text[: int(schema.get("maxLength", len(text)))]
