"""Reading scores: what is accepted, and how each mistake is located and explained."""

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.ids import SheetNum
from podium.domain.validation import ValidationKind
from podium.score.compiled import CompiledScore, compile_score, load_score
from podium.score.diagnostics import ScoreError
from podium.score.model import SheetConfig
from podium.score.placeholders import expand
from podium.score.planner import item_ranges
from tests.conftest import REPO

BASE = """\
name: demo
instrument: cli
sheet: {size: 1, total_items: 3}
prompt: {template: "echo {{ sheet_num }}"}
"""


def compile_text(text: str, path: Path = Path("/scores/demo.yaml")) -> CompiledScore:
    return compile_score(textwrap.dedent(text), path)


def problems(text: str) -> list[str]:
    with pytest.raises(ScoreError) as raised:
        compile_text(text).check()
    return [str(d) for d in raised.value.diagnostics]


def test_the_example_score_plans_and_renders() -> None:
    score = load_score(REPO / "examples" / "hello.yaml")
    score.check()
    assert [(s.num, s.depends_on) for s in score.plan.sheets] == [(1, ()), (2, ()), (3, (1, 2))]
    assert score.workspace == REPO / "examples" / "workspaces" / "hello"
    assert 'echo "sheet 2 of 3: world" > sheet-2.txt' in score.prompt(SheetNum(2))


def test_without_dependencies_sheets_form_a_chain_with_marianne_defaults() -> None:
    score = compile_text(BASE)
    assert [s.depends_on for s in score.plan.sheets] == [(), (1,), (2,)]
    assert {s.max_retries for s in score.plan.sheets} == {3}
    assert {s.timeout_seconds for s in score.plan.sheets} == {1800.0}
    assert score.workspace == Path("/scores/workspace")


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


def test_built_in_variables_reach_the_template() -> None:
    score = compile_text("""
        name: vars
        workspace: /ws
        instrument: cli
        sheet: {size: 4, total_items: 10, start_item: 3}
        prompt:
          variables: {who: team, 1: first}
          template: "{{ sheet_num }}/{{ total_sheets }} {{ start_item }}-{{ end_item }} {{ workspace }} {{ who }}"
    """)
    assert [score.prompt(SheetNum(n)) for n in (1, 2)] == ["1/2 3-6 /ws team", "2/2 7-10 /ws team"]


def test_validations_fill_placeholders_and_quote_them_in_commands() -> None:
    score = compile_text("""
        name: checks
        workspace: "/tmp/my ws"
        instrument: cli
        sheet: {size: 1, total_items: 2}
        prompt: {template: "true", variables: {tag: "v1"}}
        validations:
          - {type: file_exists, path: "out-{sheet_num}-{tag}.txt"}
          - {type: content_contains, path: "{workspace}/log", pattern: "{sheet_num} done"}
          - type: command_succeeds
            command: "grep -c x {workspace}/out-{sheet_num}.txt && python3 -c 'print({n: 1 for n in []})'"
    """)
    exists, contains, command = score.validations(SheetNum(2))
    assert (exists.kind, exists.path) == (ValidationKind.FILE_EXISTS, "/tmp/my ws/out-2-v1.txt")
    assert (contains.path, contains.pattern) == ("/tmp/my ws/log", "{sheet_num} done")
    assert command.command == (
        "grep -c x '/tmp/my ws'/out-2.txt && python3 -c 'print({n: 1 for n in []})'"
    )


def test_expand_leaves_unknown_braces_alone() -> None:
    assert expand("{a}{b}{{c}} {len(x)}", {"a": "1"}) == "1{b}{{c}} {len(x)}"
    assert expand("rm {path}", {"path": "x; rm -rf /"}, quote=True) == "rm 'x; rm -rf /'"


def test_a_typo_in_a_key_gets_a_suggestion() -> None:
    assert problems(BASE.replace("size: 1", "sise: 1")) == [
        "/scores/demo.yaml:3:1: sheet: missing required key 'size'",
        "/scores/demo.yaml:3:9: sheet.sise: unknown key 'sise'; did you mean 'size'?",
    ]


def test_a_marianne_key_not_run_yet_says_so() -> None:
    [problem] = problems(BASE + "parallel:\n  enabled: true\n")
    assert problem == (
        "/scores/demo.yaml:5:1: parallel: 'parallel' is part of Marianne's "
        "score format, but this version of Podium does not run it yet; remove "
        "it to run this score"
    )


def test_a_wrong_shape_is_named() -> None:
    [problem] = problems(BASE.replace("sheet: {size: 1, total_items: 3}", "sheet: [1, 2]"))
    assert problem == "/scores/demo.yaml:3:8: sheet: expected a mapping of keys, got a list"


def test_dependencies_out_of_range_and_on_themselves() -> None:
    text = BASE.replace("total_items: 3}", "total_items: 3, dependencies: {2: [2, 7], 9: [1]}}")
    assert problems(text) == [
        "/scores/demo.yaml:3:53: sheet.dependencies.2.0: sheet 2 cannot depend on itself",
        "/scores/demo.yaml:3:56: sheet.dependencies.2.1: sheet 2 depends on sheet 7, but the "
        "score has 3 sheets",
        "/scores/demo.yaml:3:60: sheet.dependencies.9: there is no sheet 9: the score has 3 sheets",
    ]


def test_a_dependency_cycle_is_shown_as_a_path() -> None:
    text = BASE.replace(
        "total_items: 3}", "total_items: 3, dependencies: {1: [3], 2: [1], 3: [2]}}"
    )
    [problem] = problems(text)
    assert problem.endswith(
        "the dependencies form a cycle: 1 → 2 → 3 → 1; a sheet can never wait for itself"
    )


def test_a_jinja_syntax_error_points_at_the_template_line() -> None:
    [problem] = problems("""
        name: demo
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt:
          template: |
            echo one
            {% if sheet_num %}
            echo two
    """)
    assert problem.startswith("/scores/demo.yaml:8:5: prompt.template: template syntax error: ")
    assert "endif" in problem


def test_an_undefined_variable_fails_at_submission_with_advice() -> None:
    [problem] = problems(BASE.replace("echo {{ sheet_num }}", "echo {{ nope }}"))
    assert problem == (
        "/scores/demo.yaml:4:20: prompt.template: sheet 1: 'nope' is undefined; "
        "define it under prompt.variables, or use '| default(...)' in the "
        "template"
    )


def test_validation_rules_need_their_fields() -> None:
    [missing, unknown] = problems(
        BASE + "validations:\n  - {type: content_contains, path: x}\n"
        "  - {type: file_modified, path: x}\n"
    )
    assert missing == (
        "/scores/demo.yaml:6:5: validations.0: a content_contains rule needs 'pattern'"
    )
    assert unknown.endswith(
        "validations.1.type: validation type 'file_modified' is part of "
        "Marianne's score format, but this version of Podium does not run "
        "it yet"
    )


def test_only_the_cli_instrument_runs_for_now() -> None:
    [problem] = problems(BASE.replace("instrument: cli", "instrument: claude-code"))
    assert problem.startswith(
        "/scores/demo.yaml:2:13: instrument: instrument 'claude-code' is not available"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "/scores/demo.yaml:2:1: not valid YAML: "),
        ("", "/scores/demo.yaml:1:1: the file is empty"),
        ("- a\n- b\n", "/scores/demo.yaml:1:1: a score is a mapping of keys"),
        (
            "a: &a [1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
            "/scores/demo.yaml:1:1: the document expands to more than 1,000,000 values",
        ),
    ],
)
def test_unreadable_yaml_is_refused_with_a_location(text: str, message: str) -> None:
    with pytest.raises(ScoreError) as raised:
        compile_text(text)
    assert str(raised.value).startswith(message)


def test_a_missing_file_is_a_score_error(tmp_path: Path) -> None:
    with pytest.raises(ScoreError, match="no such file"):
        load_score(tmp_path / "absent.yaml")
