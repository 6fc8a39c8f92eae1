"""The smallest schema-valid value, answered to structured-output requests."""

from typing import Any

import pytest

from podium.testing.provider.schema import example_for

ROUTER = {
    "type": "object",
    "properties": {
        "complexity_reasoning": {"type": "string"},
        "complexity_score": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    "required": ["complexity_reasoning", "complexity_score"],
}


def test_the_gemini_router_schema_gets_every_required_property() -> None:
    assert example_for(ROUTER) == {"complexity_reasoning": "scripted", "complexity_score": 1}


def test_openapi_upper_case_types_are_understood() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {"next_speaker": {"type": "STRING", "enum": ["user", "model"]}},
        "required": ["next_speaker"],
    }
    assert example_for(schema) == {"next_speaker": "user"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "scripted"),
        ({"type": "string", "minLength": 10}, "scripted.."),
        ({"type": "string", "maxLength": 3}, "scr"),
        ({"type": "integer"}, 1),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "integer", "exclusiveMinimum": 5}, 6),
        ({"type": "number", "minimum": 0.5}, 0.5),
        ({"type": "number", "minimum": True}, 1.0),
        ({"type": "boolean"}, False),
        ({"type": "null"}, None),
        ({"type": ["null", "integer"]}, 1),
        ({"type": ["null"]}, None),
        ({"const": "fixed"}, "fixed"),
        ({"enum": [3, 4]}, 3),
        ({"anyOf": [{"type": "boolean"}, {"type": "string"}]}, False),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1, 1]),
        ({"type": "array"}, []),
        ({"properties": {"a": {"type": "string"}}}, {"a": "scripted"}),
        ({}, "scripted"),
        (
            {"type": "object", "properties": {"a": {}, "b": {}}, "required": ["b"]},
            {"b": "scripted"},
        ),
    ],
)
def test_each_kind_of_schema_gets_its_smallest_value(
    schema: dict[str, Any], expected: object
) -> None:
    assert example_for(schema) == expected
