"""What `podium errors` prints, from the conductor's answer."""

from podium.cli.attempt_view import group_by_sheet
from podium.cli.commands.errors import render_errors
from podium.cli.output import when
from tests.unit.cli.answers import CHECK, attempt, found_of


def test_errors_are_grouped_by_sheet_oldest_first() -> None:
    found = [attempt(2, 1), attempt(1, 2), attempt(1, 1)]
    assert [(s, [a["attempt"] for a in g]) for s, g in group_by_sheet(found)] == [
        (1, [1, 2]),
        (2, [1]),
    ]
    checked = attempt(
        1,
        1,
        "validation_failed",
        error_code="E201",
        error_type="permanent",
        checks=[CHECK],
        stdout_tail="x\n",
    )
    answer = found_of([checked])
    text = render_errors(answer, False, verbose=True)
    assert text.splitlines()[2:] == [
        "sheet 1",
        f"  attempt 1   {when(1010.0)}  E201 permanent  validation_failed, exit code 0",
        "    ✗ out.txt exists",
        "        expected  the file exists",
        "        found     file not found",
        "        fix       write out.txt",
        "    stdout  │ x",
    ]
    assert render_errors(answer, False, verbose=False).endswith(
        "--verbose shows the failed checks and the end of each attempt's output"
    )
