"""What a person supplies with an answer, checked against the question's JSON Schema."""

import json

import pytest

from podium.domain.errors import InvalidState
from podium.domain.gates import Answer
from podium.runtime.jobs.approvals import checked_input

SCHEMA = json.dumps({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}})


def test_nothing_asked_and_nothing_supplied_is_nothing() -> None:
    assert checked_input(None, None, Answer.APPROVE) is None


def test_what_matches_comes_back_as_compact_json() -> None:
    assert checked_input(SCHEMA, '{ "n" : 3 }', Answer.APPROVE) == '{"n":3}'
    assert checked_input(None, "[1, 2]", Answer.SKIP) == "[1,2]"


@pytest.mark.parametrize(
    ("supplied", "answer", "says"),
    [
        (None, Answer.APPROVE, "this question asks for input matching"),
        ("{", Answer.APPROVE, "--input is not JSON: "),
        ('{"n": "three"}', Answer.REJECT, "['n']: 'three' is not of type 'integer'"),
        ("{}", Answer.APPROVE, "'n' is a required property"),
    ],
)
def test_what_does_not_match_is_refused_saying_why(
    supplied: str | None, answer: Answer, says: str
) -> None:
    with pytest.raises(InvalidState) as refused:
        checked_input(SCHEMA, supplied, answer)
    assert says in str(refused.value)


def test_a_rejection_or_a_skip_needs_no_input() -> None:
    assert checked_input(SCHEMA, None, Answer.REJECT) is None
    assert checked_input(SCHEMA, None, Answer.SKIP) is None
