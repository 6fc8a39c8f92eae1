"""A score's shell commands are checked when it loads: a placeholder where bash would run its
value is an error located at the command, and the commands that pass carry their values in
their environment."""

import pytest

from podium.domain.ids import SheetNum
from tests.unit.score.helpers import BASE, compile_text, problems


@pytest.mark.parametrize(
    ("block", "where"),
    [
        (
            "validations:\n  - {type: command_succeeds, command: 'test $(( {sheet_num} )) -gt 0'}\n",
            "validations.0.command: line 1, column 10 of the command: {sheet_num} is in `$(( ))`",
        ),
        (
            "on_success:\n  - {type: run_command, command: 'let n={sheet_count}'}\n",
            "on_success.0.command: line 1, column 7 of the command: {sheet_count} is an "
            "argument of `let`",
        ),
        (
            "on_success:\n  - {type: run_script, command: \"bash -c 'ls {workspace}'\"}\n",
            "on_success.0.command: word 3 of the command: {workspace} is in a command given "
            "to another shell",
        ),
        (
            "sheet: {size: 1, total_items: 2, skip_when_command: "
            "{2: {command: \"cat <<'E'\\n{workspace}\\nE\"}}}\n",
            "sheet.skip_when_command.2.command: line 2, column 1 of the command: a "
            "here-document with a quoted delimiter",
        ),
    ],
)
def test_a_placeholder_where_bash_would_run_its_value_stops_the_score(
    block: str, where: str
) -> None:
    text = (
        BASE.replace("sheet: {size: 1, total_items: 3}\n", "")
        if block.startswith("sheet")
        else BASE
    )
    found = problems(text + block)
    assert any(where in p for p in found), found


def test_a_skip_command_carries_its_values_beside_it() -> None:
    score = compile_text(
        BASE.replace("sheet: {size: 1, total_items: 3}\n", "")
        + "workspace: /tmp/w s\n"
        + "sheet: {size: 1, total_items: 2, skip_when_command: {2: {command: 'test -e {workspace}/x'}}}\n"
    )
    command = score.skip_command(SheetNum(2))
    assert command is not None
    assert command.script == 'test -e "$PODIUM_V_workspace"/x'
    assert command.environment == (("PODIUM_V_workspace", "/tmp/w s"),)
    assert command.shown == "test -e /tmp/w s/x"
