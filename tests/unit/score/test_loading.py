"""Reading scores: what a score means once loaded."""

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.ids import SheetNum
from podium.domain.validation import ValidationKind
from podium.score.compiled import load_score, rule_counts
from podium.score.diagnostics import ScoreError
from podium.score.model import SheetConfig
from podium.score.placeholders import expand, shell_command
from podium.score.planner import item_ranges
from tests.conftest import REPO
from tests.unit.score.helpers import BASE, compile_text


def test_the_example_score_plans_and_renders() -> None:
    score = load_score(REPO / "examples" / "hello.yaml")
    score.check()
    assert [(s.num, s.depends_on) for s in score.plan.sheets] == [(1, ()), (2, ()), (3, (1, 2))]
    assert score.workspace == REPO / "examples" / "workspaces" / "hello"
    assert 'echo "sheet 2 of 3: world" > sheet-2.txt' in score.prompt(SheetNum(2))


def test_without_dependencies_sheets_form_a_chain_with_marianne_defaults() -> None:
    score = compile_text(BASE)
    assert [s.depends_on for s in score.plan.sheets] == [(), (1,), (2,)]
    assert score.plan.policy.retry.max_retries == 3
    assert score.plan.policy.pause_between_sheets_seconds == 2
    assert {s.timeout_seconds for s in score.plan.sheets} == {1800.0}
    assert score.workspace == Path("/scores/workspace")


def test_a_score_naming_no_instrument_plays_marianne_default() -> None:
    score = compile_text(BASE.replace("instrument: cli\n", ""))
    assert {s.instrument for s in score.plan.sheets} == {"claude_cli"}


def test_the_workspace_is_resolved_against_the_score_folder() -> None:
    score = compile_text(BASE + "workspace: ../out/./ws\n", Path("/a/b/demo.yaml"))
    assert score.workspace == Path("/a/out/ws")


@pytest.mark.parametrize(
    ("size", "total", "start", "expected"),
    [
        (5, 10, 1, [(1, 5), (6, 10)]),
        (3, 10, 1, [(1, 3), (4, 6), (7, 9), (10, 10)]),
        (2, 7, 4, [(4, 5), (6, 7)]),
        (10, 3, 1, [(1, 3)]),
    ],
)
def test_item_ranges(size: int, total: int, start: int, expected: list[tuple[int, int]]) -> None:
    ranges = item_ranges(SheetConfig(size=size, total_items=total, start_item=start))
    assert [(r.start_item, r.end_item) for r in ranges] == expected


@given(size=st.integers(1, 20), total=st.integers(1, 200), start=st.integers(1, 200))
def test_item_ranges_cover_every_item_once(size: int, total: int, start: int) -> None:
    if start > total:
        return
    ranges = item_ranges(SheetConfig(size=size, total_items=total, start_item=start))
    covered = [i for r in ranges for i in range(r.start_item, r.end_item + 1)]
    assert covered == list(range(start, total + 1))
    assert all(r.end_item - r.start_item + 1 <= size for r in ranges)


def test_every_built_in_reaches_the_template() -> None:
    score = compile_text("""
        name: vars
        workspace: /ws
        instrument: cli
        sheet: {size: 1, total_items: 3, fan_out: {2: 2}, dependencies: {2: [1], 3: [2]}}
        prompt:
          variables: {who: team}
          stakes: high
          thinking_method: step by step
          template: >-
            {{ sheet_num }}/{{ total_sheets }} items {{ start_item }}-{{ end_item }}
            {{ workspace }} {{ instrument_name }} stage {{ stage }}={{ movement }}
            of {{ total_stages }}={{ total_movements }} voice {{ instance }}={{ voice }}
            of {{ fan_count }}={{ voice_count }} {{ who }} {{ stakes }} {{ thinking_method }}
            {{ previous_outputs }} {{ previous_files }} {{ skipped_upstream }}
    """)
    assert score.prompt(SheetNum(3)) == (
        "3/4 items 3-3 /ws cli stage 2=2 of 3=3 voice 2=2 of 2=2 team high step by step {} {} []"
    )
    assert score.prompt(SheetNum(1)).startswith(
        "1/4 items 1-1 /ws cli stage 1=1 of 3=3 voice 1=1 of 1=1"
    )


def test_user_variables_override_built_ins_in_prompts_but_not_in_validations() -> None:
    score = compile_text("""
        name: shadow
        workspace: /ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: "{{ workspace }} {{ 1 in table }}", variables: {workspace: mine, table: {1: one}}}
        validations:
          - {type: file_exists, path: "{workspace}/out"}
    """)
    assert score.prompt(SheetNum(1)) == "mine True"  # integer keys stay integers
    [rule] = score.validations(SheetNum(1))
    assert rule.path == "/ws/out"


def test_batched_sheets_get_their_item_ranges() -> None:
    score = compile_text(
        BASE.replace("size: 1, total_items: 3", "size: 5, total_items: 12").replace(
            "echo {{ sheet_num }}", "{{ start_item }}-{{ end_item }}"
        )
    )
    assert [score.prompt(SheetNum(n)) for n in (1, 2, 3)] == ["1-5", "6-10", "11-12"]


def test_conditions_and_the_sheet_shorthand_choose_which_rules_apply() -> None:
    score = compile_text("""
        name: rules
        workspace: /ws
        instrument: cli
        sheet: {size: 1, total_items: 3, fan_out: {2: 3}}
        prompt: {template: "true"}
        validations:
          - {type: file_exists, path: "a", condition: "stage == 1"}
          - {type: file_exists, path: "b-{instance}", condition: "stage == 2 and instance >= 2"}
          - {type: file_exists, path: "c", sheet: 5}
          - {type: file_exists, path: "d"}
    """)
    assert rule_counts(score) == {1: 2, 2: 1, 3: 2, 4: 2, 5: 2}
    assert [r.path for r in score.validations(SheetNum(4))] == ["/ws/b-3", "/ws/d"]
    assert [r.path for r in score.validations(SheetNum(5))] == ["/ws/c", "/ws/d"]


def test_validation_rules_carry_every_field() -> None:
    score = compile_text("""
        name: fields
        workspace: "/tmp/my ws"
        instrument: cli
        sheet: {size: 1, total_items: 2}
        prompt: {template: "true", variables: {tag: "v1"}}
        validations:
          - {type: file_modified, path: "out-{sheet_num}-{tag}.txt", retry_count: 5, retry_delay_ms: 50}
          - {type: content_regex, path: "{workspace}/log", pattern: "^done {3}$", stage: 2}
          - type: command_succeeds
            command: "grep -c x {workspace}/out-{sheet_num}.txt && python3 -c 'print({n: 1 for n in []})'"
            working_directory: sub
            timeout_seconds: 9
    """)
    modified, regex, command = score.validations(SheetNum(2))
    assert (modified.kind, modified.path, modified.retry_count, modified.retry_delay_ms) == (
        ValidationKind.FILE_MODIFIED,
        "/tmp/my ws/out-2-v1.txt",
        5,
        50,
    )
    assert (regex.kind, regex.pattern, regex.stage) == (
        ValidationKind.CONTENT_REGEX,
        "^done {3}$",
        2,
    )
    assert command.command == (
        'grep -c x "$PODIUM_V_workspace"/out-"$PODIUM_V_sheet_num".txt'
        " && python3 -c 'print({n: 1 for n in []})'"
    )
    assert command.command_environment == (
        ("PODIUM_V_workspace", "/tmp/my ws"),
        ("PODIUM_V_sheet_num", "2"),
    )
    assert command.command_shown == (
        "grep -c x /tmp/my ws/out-2.txt && python3 -c 'print({n: 1 for n in []})'"
    )
    assert (command.working_directory, command.timeout_seconds, command.retry_count) == (
        "/tmp/my ws/sub",
        9.0,
        0,
    )


@pytest.mark.parametrize(
    "command",
    [
        "printf '%s\\n' {ws}/x",
        'printf "%s\\n" "{ws}/x"',
        "printf '%s\\n' '{ws}/x'",
        'printf "%s\\n" {ws}"/x"',
    ],
)
def test_placeholders_reach_the_shell_as_their_values_wherever_they_land(command: str) -> None:
    """Bare, in double quotes or in single quotes, the shell sees the value itself."""
    value = '/a b/it\'s $HOME `id` \\ "q"'
    filled = shell_command(command, {"ws": value})
    out = subprocess.run(
        ["bash", "-c", filled.script],
        env={**os.environ, **dict(filled.environment)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == f"{value}/x\n"


def test_only_known_placeholders_are_filled() -> None:
    assert expand("{a}{b}{{c}} {len(x)}", {"a": "1"}) == "1{b}{{c}} {len(x)}"


def test_a_template_file_is_read_relative_to_the_score(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "main.j2").write_text("sheet {{ sheet_num }}\n{% if x %}\n")
    score_path = tmp_path / "s.yaml"
    score_path.write_text(
        BASE.replace(
            'prompt: {template: "echo {{ sheet_num }}"}', "prompt: {template_file: prompts/main.j2}"
        )
    )
    with pytest.raises(ScoreError) as raised:
        load_score(score_path)
    [problem] = raised.value.diagnostics
    assert (problem.file, problem.line) == (str(tmp_path / "prompts" / "main.j2"), 2)
    (tmp_path / "prompts" / "main.j2").write_text("sheet {{ sheet_num }}\n")
    assert load_score(score_path).prompt(SheetNum(2)) == "sheet 2\n"


def test_a_plan_of_every_sheet_has_what_dry_run_shows() -> None:
    score = compile_text("""
        name: plan
        instrument: claude-code
        instrument_config: {model: sonnet, timeout_seconds: 600}
        instruments:
          fast: {profile: gemini-cli, config: {model: flash, timeout_seconds: 120}}
        instrument_fallbacks: [codex-cli]
        movements:
          2: {name: Review, instrument: fast, voices: 2}
        sheet:
          size: 1
          total_items: 3
          descriptions: {1: Survey}
          per_sheet_fallbacks: {4: []}
        prompt: {template: "x"}
    """)
    rows = [
        (
            s.num,
            s.movement,
            s.voice,
            s.instrument,
            s.model,
            s.timeout_seconds,
            s.fallbacks,
            s.description,
        )
        for s in score.plan.sheets
    ]
    assert rows == [
        (1, 1, None, "claude-code", "sonnet", 600.0, ("codex-cli",), "Survey"),
        (2, 2, 1, "gemini-cli", "flash", 120.0, ("codex-cli",), None),
        (3, 2, 2, "gemini-cli", "flash", 120.0, ("codex-cli",), None),
        (4, 3, None, "claude-code", "sonnet", 600.0, (), None),
    ]


def test_outputs_of_earlier_sheets_can_be_used_before_they_exist() -> None:
    score = compile_text(
        BASE.replace('"echo {{ sheet_num }}"', '"[{{ previous_outputs[sheet_num - 1] }}]"')
    )
    score.check()
    assert score.prompt(SheetNum(2)) == "[]"
