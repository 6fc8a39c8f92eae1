"""How `clear` and `list` read their --older-than and --status arguments."""

import pytest

from podium.cli.job_arguments import job_statuses, seconds
from podium.domain.errors import UserError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0.0),
        ("3600", 3600.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("12h", 43200.0),
        ("7d", 604800.0),
        ("2w", 1209600.0),
        ("1.5h", 5400.0),
        (" 7D ", 604800.0),
    ],
)
def test_an_age_is_seconds_or_a_number_with_its_unit(text: str, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "7 days", "-1", "h", "1y"])
def test_an_age_that_is_not_one_says_how_to_write_it(text: str) -> None:
    with pytest.raises(UserError, match="give seconds \\(3600\\) or a duration such as 30m"):
        seconds(text)


def test_statuses_may_be_repeated_or_separated_by_commas_and_come_once() -> None:
    assert job_statuses(["failed,Cancelled", "failed", " "]) == ["failed", "cancelled"]


def test_an_unknown_status_names_the_valid_ones() -> None:
    with pytest.raises(UserError) as raised:
        job_statuses(["done"])
    assert str(raised.value) == (
        "--status done: there is no such job status; the statuses are queued, running, "
        "paused, paused_at_chain, completed, failed, cancelled"
    )
