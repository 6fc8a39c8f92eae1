"""Every way a score can be wrong, located at file:line:column and explained."""

from pathlib import Path

import pytest

from podium.domain.ids import SheetNum
from podium.score.compiled import compile_score, load_score
from podium.score.diagnostics import ScoreError
from tests.unit.score.helpers import BASE, compile_text, problems


def test_a_typo_in_a_key_gets_a_suggestion() -> None:
    assert problems(BASE.replace("size: 1", "sise: 1")) == [
        "/scores/demo.yaml:3:1: sheet: missing required key 'size'",
        "/scores/demo.yaml:3:9: sheet.sise: unknown key 'sise'; did you mean 'size'?",
    ]


def test_common_top_level_mistakes_point_to_the_right_place() -> None:
    assert problems(BASE + "retries: 2\n") == [
        "/scores/demo.yaml:5:1: retries: unknown key 'retries'; did you mean 'retry'?"
    ]
    assert problems(BASE + "max_retries: 2\n") == [
        "/scores/demo.yaml:5:1: max_retries: unknown key 'max_retries'; did you mean "
        "'retry.max_retries'?"
    ]


def test_a_nested_unknown_key_is_found_through_lists_and_maps() -> None:
    text = BASE + "validations:\n  - {type: file_exists, path: x, conditon: 'stage == 1'}\n"
    assert problems(text) == [
        "/scores/demo.yaml:6:34: validations.0.conditon: unknown key 'conditon'; did you mean "
        "'condition'?"
    ]
    text = BASE.replace("total_items: 3}", "total_items: 3, prelude: [{file: a, ass: context}]}")
    assert problems(text) == [
        "/scores/demo.yaml:3:44: sheet.prelude.0: missing required key 'as'",
        "/scores/demo.yaml:3:54: sheet.prelude.0.ass: unknown key 'ass'; did you mean 'as'?",
    ]


def test_a_wrong_shape_is_named() -> None:
    assert problems(BASE.replace("sheet: {size: 1, total_items: 3}", "sheets: [1, 2]")) == [
        "/scores/demo.yaml:1:1: missing required key 'sheet'",
        "/scores/demo.yaml:3:1: sheets: unknown key 'sheets'; did you mean 'sheet'?",
    ]
    [problem] = problems(BASE.replace("sheet: {size: 1, total_items: 3}", "sheet: [1, 2]"))
    assert problem == "/scores/demo.yaml:3:8: sheet: expected a mapping of keys, got a list"


def test_wrong_values_say_what_was_given() -> None:
    assert problems(BASE.replace("size: 1", "size: 0")) == [
        "/scores/demo.yaml:3:15: sheet.size: input should be greater than or equal to 1, got 0"
    ]
    assert problems(BASE + "parallel: {max_concurrent: lots}\n") == [
        "/scores/demo.yaml:5:28: parallel.max_concurrent: input should be a valid integer, "
        "unable to parse string as an integer, got 'lots'"
    ]
    assert problems(BASE + "isolation: {mode: docker}\n") == [
        "/scores/demo.yaml:5:19: isolation.mode: 'docker' is not one of the choices: none or "
        "worktree"
    ]


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


def test_fan_out_needs_single_item_sheets_and_real_stages() -> None:
    text = BASE.replace("size: 1, total_items: 3}", "size: 2, total_items: 6, fan_out: {5: 2}}")
    assert problems(text) == [
        "/scores/demo.yaml:3:15: sheet.size: fan-out needs size: 1 (each stage is one sheet), "
        "got size: 2",
        "/scores/demo.yaml:3:44: sheet.fan_out.5: there is no stage 5: the score has 3 stages",
    ]


def test_voices_and_fan_out_must_agree() -> None:
    text = BASE.replace("total_items: 3}", "total_items: 3, fan_out: {2: 3}}") + (
        "movements:\n  2: {voices: 4}\n"
    )
    assert problems(text) == [
        "/scores/demo.yaml:6:15: movements.2.voices: movement 2 has 4 voices but sheet.fan_out "
        "gives stage 2 3 instances; keep one of them"
    ]


def test_instrument_and_backend_type_together_are_refused() -> None:
    [problem] = problems(BASE + "backend: {type: anthropic_api}\n")
    assert problem.startswith(
        "/scores/demo.yaml:2:13: instrument: both 'instrument: cli' and "
        "'backend.type: anthropic_api' are set"
    )


def test_a_sheet_given_to_two_instruments_is_refused() -> None:
    text = BASE.replace("total_items: 3}", "total_items: 3, instrument_map: {a: [1, 2], b: [2]}}")
    [problem] = problems(text)
    assert problem == (
        "/scores/demo.yaml:3:66: sheet.instrument_map.b.0: sheet 2 is given to "
        "both 'a' and 'b' in instrument_map; a sheet has one instrument"
    )


def test_a_bad_regex_is_caught_when_the_score_loads() -> None:
    with pytest.raises(ScoreError) as raised:
        compile_text(BASE + "validations:\n  - {type: content_regex, path: x, pattern: '(['}\n")
    [found] = raised.value.diagnostics
    assert (found.code, str(found)) == (
        "V007",
        "/scores/demo.yaml:6:45: validations.0.pattern: '([' is not a valid regular expression: "
        "unterminated character set at position 1",
    )


def test_validation_rules_need_their_fields() -> None:
    with pytest.raises(ScoreError) as raised:
        compile_text(BASE + "validations:\n  - {type: content_contains, path: x}\n")
    [found] = raised.value.diagnostics
    assert (found.code, str(found)) == (
        "V008",
        "/scores/demo.yaml:6:5: validations.0: a content_contains rule needs 'pattern'",
    )


def test_conditions_are_checked_when_the_score_loads() -> None:
    text = BASE + (
        "validations:\n  - {type: file_exists, path: x, condition: 'stage = 2'}\n"
        "  - {type: file_exists, path: y, condition: 'phase == 2'}\n"
    )
    first, second = problems(text)
    assert first.startswith(
        "/scores/demo.yaml:6:45: validations.0.condition: cannot read 'stage = 2'"
    )
    assert second.startswith(
        "/scores/demo.yaml:7:45: validations.1.condition: condition "
        "'phase == 2' uses 'phase', which is not a variable"
    )


def test_an_unknown_placeholder_in_a_path_is_an_error_not_a_silent_failure() -> None:
    [problem] = problems(BASE + "validations:\n  - {type: file_exists, path: '{workspce}/x'}\n")
    assert problem.startswith(
        "/scores/demo.yaml:6:31: validations.0.path: '{workspce}' is not a variable; known:"
    )


def test_skip_when_expressions_are_checked_for_safety() -> None:
    text = BASE.replace("total_items: 3}", "total_items: 3, skip_when: {2: \"__import__('os')\"}}")
    [problem] = problems(text)
    assert "calls something other than all, any, bool, int, len, max, min, str or .get()" in problem
    ok = BASE.replace(
        "total_items: 3}", "total_items: 3, skip_when: {2: 'sheets.get(1) and sheets[1].failed'}}"
    )
    assert compile_text(ok).plan.total_sheets == 3


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
        "/scores/demo.yaml:4:20: prompt.template: sheets 1, 2, 3: 'nope' is "
        "undefined; "
        "define it under prompt.variables, or use '| default(...)' in the "
        "template"
    )


def test_a_python_error_inside_the_template_is_the_score_s() -> None:
    [problem] = problems(BASE.replace("echo {{ sheet_num }}", "{{ 1 // (sheet_num - 1) }}"))
    assert "sheet 1: the template failed to render: ZeroDivisionError" in problem
    assert problem.startswith("/scores/demo.yaml:4:20: prompt.template: ")


def test_a_missing_template_file_is_located(tmp_path: Path) -> None:
    score = tmp_path / "s.yaml"
    score.write_text(
        BASE.replace(
            'prompt: {template: "echo {{ sheet_num }}"}', "prompt:\n  template_file: nope.j2\n"
        )
    )
    with pytest.raises(ScoreError) as raised:
        load_score(score)
    assert str(raised.value) == (
        f"{score}:5:18: prompt.template_file: template file not found: {tmp_path / 'nope.j2'}"
    )


def test_template_and_template_file_together_are_refused() -> None:
    [problem] = problems(
        BASE.replace('{template: "echo {{ sheet_num }}"}', '{template: "x", template_file: y.j2}')
    )
    assert problem == (
        "/scores/demo.yaml:4:9: prompt: give 'template' or 'template_file', not both"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "/scores/demo.yaml:2:1: not valid YAML: "),
        ("", "/scores/demo.yaml:1:1: the file is empty"),
        ("- a\n- b\n", "/scores/demo.yaml:1:1: a score is a mapping of keys"),
        (
            "name: x\nname: y\n",
            "/scores/demo.yaml:2:1: the key 'name' appears twice in one mapping (first on line 1)",
        ),
        (
            "a: &a [1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
            "/scores/demo.yaml:1:1: the document expands to more than 1,000,000 values",
        ),
        ("!!python/object/apply:os.system ['true']\n", "/scores/demo.yaml:1:1: not valid YAML"),
    ],
)
def test_unreadable_yaml_is_refused_with_a_location(text: str, message: str) -> None:
    with pytest.raises(ScoreError) as raised:
        compile_score(text, Path("/scores/demo.yaml"))
    assert str(raised.value).startswith(message)


def test_an_oversized_text_is_refused() -> None:
    with pytest.raises(ScoreError, match="larger than 8 MiB"):
        compile_score("#" * (9 * 1024 * 1024), Path("/scores/demo.yaml"))


def test_an_endless_file_is_refused_without_being_read() -> None:
    with pytest.raises(ScoreError, match="is not a regular file"):
        load_score(Path("/dev/zero"))


def test_an_oversized_file_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    score = tmp_path / "big.yaml"
    score.write_bytes("é".encode() * (5 * 1024 * 1024))  # 10 MiB
    with pytest.raises(ScoreError, match="a score may be at most 8 MiB"):
        load_score(score)


def test_a_missing_file_is_a_score_error(tmp_path: Path) -> None:
    with pytest.raises(ScoreError, match="no such file"):
        load_score(tmp_path / "absent.yaml")


def test_a_fleet_file_is_not_run_as_a_score() -> None:
    [problem] = problems("type: fleet\nname: f\nscores: [{path: a.yaml}]\n")
    assert "this is a fleet file, not a score" in problem


def test_yaml_merge_keys_may_override_what_they_merge() -> None:
    score = compile_text("""
        name: merged
        instrument: cli
        instrument_config: &defaults {timeout_seconds: 60}
        movements:
          1: {instrument_config: {<<: *defaults, timeout_seconds: 30}}
        sheet: {size: 1, total_items: 2}
        prompt: {template: x}
    """)
    assert [s.timeout_seconds for s in score.plan.sheets] == [30.0, 60.0]


def test_placeholders_in_paths_take_format_specs_and_report_bad_ones() -> None:
    score = compile_text(
        BASE + "workspace: /ws\nvalidations:\n"
        "  - {type: file_exists, path: 'out-{sheet_num:03d}.md'}\n"
    )
    assert [r.path for r in score.validations(SheetNum(2))] == ["/ws/out-002.md"]
    [problem] = problems(BASE + "validations:\n  - {type: file_exists, path: '{workspace:d}'}\n")
    assert "validations.0.path: cannot fill in '{workspace:d}'" in problem
    [problem] = problems(BASE + "validations:\n  - {type: file_exists, path: '{a.b}'}\n")
    assert "'{a.b}' is not a placeholder" in problem


def test_a_score_with_no_items_is_refused() -> None:
    [problem] = problems(BASE.replace("total_items: 3}", "total_items: 3, start_item: 4}"))
    assert "start_item (4) is past total_items (3); there would be no sheets" in problem


def test_instrument_settings_pass_through_as_marianne_s_do() -> None:
    score = compile_text(BASE + "instrument_config: {allowed_tools: 'Read,Write', model: 4}\n")
    assert score.plan.sheets[0].model == "4"
    [problem] = problems(BASE + "instrument_config: {timeout_seconds: soon}\n")
    assert "instrument_config.timeout_seconds: input should be a valid number" in problem
