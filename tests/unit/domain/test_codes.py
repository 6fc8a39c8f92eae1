"""Error codes and their types."""

import pytest

from podium.domain.codes import (
    ERROR_TYPES,
    PERMANENT,
    RATE_LIMIT,
    TRANSIENT,
    codes_of_type,
    error_type,
)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("E001", TRANSIENT),
        ("E003", TRANSIENT),
        ("E009", TRANSIENT),
        ("E102", RATE_LIMIT),
        ("E104", RATE_LIMIT),
        ("E201", PERMANENT),
        ("E209", PERMANENT),
        ("E502", PERMANENT),
        ("E601", PERMANENT),
    ],
)
def test_each_code_has_one_type(code: str, kind: str) -> None:
    assert error_type(code) == kind


def test_the_codes_of_the_types_cover_every_code_once() -> None:
    by_type = {kind: codes_of_type(kind) for kind in ERROR_TYPES}
    assert by_type[RATE_LIMIT] == ("E102", "E103", "E104")
    assert "E204" in by_type[PERMANENT] and "E001" in by_type[TRANSIENT]
    every = [c for codes in by_type.values() for c in codes]
    assert len(every) == len(set(every))
