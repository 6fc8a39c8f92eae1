"""A real conductor fills placeholders of validation commands, `run_command` hooks and
`skip_when_command` without ever running a value: each value tries to `touch PWNED`."""

import json
import textwrap
from pathlib import Path

import pytest

from podium.ipc.client import RemoteError
from podium.testing.conductor import ConductorProcess

CLOSES_SINGLE = "'; touch PWNED; echo '"
SUBSTITUTES = "$(touch PWNED)"
SKIP_COMMAND = "printf %s \"$(printf %s '{closes}')\" > skip-got"
WORKSPACE_NAME = "w '; touch PWNED; echo ' $(touch PWNED) `touch PWNED` \"x\" *"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def pwned(*folders: Path) -> list[Path]:
    return [f / "PWNED" for f in folders if (f / "PWNED").exists()]


def test_validation_commands_get_their_values_exactly_and_run_none(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score = write(
        tmp_path / "validations.yaml",
        f"""
        name: validations
        workspace: {json.dumps("./" + WORKSPACE_NAME)}
        instrument: cli
        sheet: {{size: 1, total_items: 1}}
        prompt:
          template: 'true'
          variables: {{closes: {json.dumps(CLOSES_SINGLE)}, substitutes: {json.dumps(SUBSTITUTES)}}}
        validations:
          - type: command_succeeds
            command: test -n "$(printf %s '{{closes}}')" && printf %s "$(printf %s '{{closes}}')" > one
          - type: command_succeeds
            command: "cat <<END > two\\n{{substitutes}}\\nEND"
          - type: command_succeeds
            command: echo "$(echo '{{workspace}}')" > three
        """,
    )
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    workspace = tmp_path / WORKSPACE_NAME
    assert (workspace / "one").read_text() == CLOSES_SINGLE
    assert (workspace / "two").read_text() == SUBSTITUTES + "\n"
    assert (workspace / "three").read_text() == f"{workspace}\n"
    assert pwned(tmp_path, workspace) == []


def test_a_command_hook_gets_a_hostile_workspace_path_exactly_and_runs_nothing(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score = write(
        tmp_path / "hook.yaml",
        f"""
        name: hook
        workspace: {json.dumps("./" + WORKSPACE_NAME)}
        instrument: cli
        sheet: {{size: 1, total_items: 1}}
        prompt: {{template: 'true'}}
        on_success:
          - type: run_command
            command: |
              printf '%s|%s|%s|' {{workspace}} "{{workspace}}" "$(echo '{{workspace}}')" > got
              cat <<END >> got
              {{workspace}}
              END
        """,
    )
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    assert done["hooks"][0]["outcome"] == "succeeded"
    workspace = tmp_path / WORKSPACE_NAME
    assert (workspace / "got").read_text() == f"{workspace}|{workspace}|{workspace}|{workspace}\n"
    assert pwned(tmp_path, workspace) == []


def test_a_skip_when_command_gets_its_value_exactly_and_runs_nothing(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score = write(
        tmp_path / "skip.yaml",
        f"""
        name: skip
        workspace: ./ws
        instrument: cli
        sheet:
          size: 1
          total_items: 2
          skip_when_command:
            2: {{command: {json.dumps(SKIP_COMMAND)}}}
        prompt:
          template: 'true'
          variables: {{closes: {json.dumps(CLOSES_SINGLE)}}}
        """,
    )
    job = conductor.submit(score)
    done = conductor.wait_for_job(job, "completed")
    assert [s["status"] for s in done["sheets"]] == ["completed", "skipped"]
    workspace = tmp_path / "ws"
    assert (workspace / "skip-got").read_text() == CLOSES_SINGLE
    assert pwned(tmp_path, workspace) == []


def test_a_score_with_a_placeholder_in_arithmetic_is_refused_where_it_is_written(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    score = write(
        tmp_path / "arith.yaml",
        """
        name: arith
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'true', variables: {n: "1"}}
        validations:
          - type: command_succeeds
            command: test $(( {n} + 1 )) -eq 2
        """,
    )
    with pytest.raises(RemoteError) as refused:
        conductor.submit(score)
    assert "arith.yaml:9:14: validations.0.command" in str(refused.value)
    assert "line 1, column 10 of the command: {n} is in `$(( ))`" in str(refused.value)
