"""Evaluating skip_when expressions: what each allowed form computes, and what fails."""

from typing import Any

import pytest

from podium.domain.expressions import ExpressionError, evaluate

NAMES: dict[str, Any] = {
    "sheets": {1: {"status": "completed", "attempts": 2}, 2: {"status": "failed"}},
    "job": {"failed_sheets": 1, "name": "demo"},
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("sheets[1].status == 'completed'", True),
        ("sheets.get(3) is None", True),
        ("job.failed_sheets + 1", 2),
        ("-job.failed_sheets", -1),
        ("+job.failed_sheets", 1),
        ("not job.failed_sheets", False),
        ("7 // 2 + 7 % 2 - 1 * 3 / 3", 3.0),
        ("'a' if job.failed_sheets else 'b'", "a"),
        ("'b' if not job.failed_sheets else 'a'", "a"),
        ("[1, 2] + [3]", [1, 2, 3]),
        ("(1, 2)", (1, 2)),
        ("{1, 1, 2}", {1, 2}),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("job.failed_sheets in (0, 1)", True),
        ("len(sheets) == 2 and max(1, 5) == 5", True),
        ("sheets[2].status != 'completed' or False", True),
        ("None", None),
        ("max(sheets) == 2", True),
    ],
)
def test_each_allowed_form_evaluates_as_python_would(text: str, value: object) -> None:
    assert evaluate(text, NAMES) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sheets[9].status", "KeyError"),
        ("job.failed_sheets / 0", "ZeroDivisionError"),
        ("len(5)", "TypeError"),
        ("__import__('os')", "calls something other than"),
        ("os.system", "uses 'os'"),
        ("sheets[1].__class__", "reads '__class__'"),
        ("[s for s in sheets]", "ListComp"),
        ("job.items()", "calls something other than"),
        ("2 ** 8", "Pow"),
        ("1 +", "cannot read"),
        ("'a' * 10**20", "Pow"),
        ("'ab' * 100000", "a sequence longer than 10000"),
        ("[0] * 20000 == []", "a sequence longer than 10000"),
        ("int(1e999)", "OverflowError"),
    ],
)
def test_what_fails_says_why(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(")):
        evaluate(text, NAMES)
