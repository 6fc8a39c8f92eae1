"""The small languages inside scores: validation conditions and skip_when expressions."""

import pytest

from podium.domain.expressions import ExpressionError, parse_expression
from podium.score.conditions import ConditionError, parse_condition

KNOWN = frozenset({"stage", "instance", "sheet_num"})


@pytest.mark.parametrize(
    ("text", "variables", "holds"),
    [
        ("stage == 2", {"stage": 2}, True),
        ("stage == 2", {"stage": 3}, False),
        ("stage >= 2 and instance != 1", {"stage": 4, "instance": 2}, True),
        ("stage >= 2 and instance != 1", {"stage": 4, "instance": 1}, False),
        ("sheet_num<3", {"sheet_num": 2}, True),
        ("sheet_num > -1", {"sheet_num": 0}, True),
    ],
)
def test_conditions_compare_variables_with_integers(
    text: str, variables: dict[str, int], holds: bool
) -> None:
    assert parse_condition(text, KNOWN).holds(variables) is holds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stage = 2", "cannot read 'stage = 2'"),
        ("stage == 2 or stage == 3", "cannot read 'stage == 2 or stage == 3'"),
        ("stage == two", "cannot read 'stage == two'"),
        ("phase == 1", "uses 'phase', which is not a variable"),
    ],
)
def test_conditions_that_cannot_be_evaluated_are_errors(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        parse_condition(text, KNOWN)


@pytest.mark.parametrize(
    "text",
    [
        "sheets.get(3) and sheets[3].validation_passed",
        "len(sheets) > 2 and not job.failed",
        "any(s.failed for s in sheets)" if False else "sheets.get(1) is None",
    ],
)
def test_safe_skip_when_expressions_parse(text: str) -> None:
    parse_expression(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('x')", "calls something other than"),
        ("sheets.__class__", "reads '__class__'"),
        ("[s for s in sheets]", "uses ListComp"),
        ("2 ** 1000000", "uses Pow"),
        ("lambda: 1", "uses Lambda"),
        ("open('f')", "calls something other than"),
        ("os", "uses 'os'"),
        ("sheets[", "cannot read"),
    ],
)
def test_unsafe_or_broken_expressions_are_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text)
