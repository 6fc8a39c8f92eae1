"""The prompt of one attempt, layer by layer, from real score text and real files."""

import textwrap
from pathlib import Path

import pytest

from podium.domain.ids import SheetNum
from podium.domain.lessons import Lesson
from podium.score.assembly import AttemptContext, InjectionMissing, assemble, layers
from podium.score.compiled import CompiledScore, compile_score


def score_in(folder: Path, text: str) -> CompiledScore:
    path = folder / "score.yaml"
    path.write_text(textwrap.dedent(text))
    return compile_score(path.read_text(), path)


BASE = """
    name: layers
    workspace: ./ws
    sheet: {size: 1, total_items: 3}
"""


def test_layers_come_in_order_and_the_checklist_names_each_check(tmp_path: Path) -> None:
    (tmp_path / "context.md").write_text("The project is a kite shop.")
    (tmp_path / "skills").mkdir()
    (tmp_path / "skills" / "b.md").write_text("Skill B")
    (tmp_path / "skills" / "a.md").write_text("Skill A")
    (tmp_path / "style.md").write_text("Write plainly.")
    (tmp_path / "ws").mkdir()
    score = score_in(
        tmp_path,
        """
        name: layers
        workspace: ./ws
        sheet:
          size: 1
          total_items: 3
          prelude:
            - {file: context.md, as: context}
            - {directory: skills, as: skill}
          cadenzas:
            2: [{file: "{{ workspace }}/../style.md", as: tool}]
          prompt_extensions:
            2: ["Sheet two must be short."]
        prompt:
          template: "Do step {{ sheet_num }}."
          prompt_extensions: [style.md]
        validations:
          - type: file_exists
            path: "{workspace}/out-{sheet_num}.md"
            description: The step's output
        """,
    )
    prompt = assemble(score, SheetNum(2), AttemptContext(), raw=False)
    order = [
        "<podium-preamble>",
        "You are running sheet 2 of 3 of 'layers' (movement 2).",
        "## Injected Skills",
        "### a.md\n\nSkill A",
        "### b.md\n\nSkill B",
        "## Injected Tools",
        "Write plainly.",
        "## Injected Context",
        "The project is a kite shop.",
        "Do step 2.",
        "Sheet two must be short.",
        "## Success requirements (validated automatically)",
        f"- [ ] The step's output: the file {tmp_path}/ws/out-2.md exists",
    ]
    positions = [prompt.index(part) for part in order]
    assert positions == sorted(positions)
    assert "## Injected Tools" not in assemble(score, SheetNum(1), AttemptContext(), raw=False)


def test_a_raw_prompt_is_the_template_alone(tmp_path: Path) -> None:
    score = score_in(tmp_path, BASE + '    prompt: {template: "echo {{ sheet_num }}"}\n')
    assert assemble(score, SheetNum(3), AttemptContext(), raw=True) == "echo 3"


def test_a_completion_attempt_lists_the_checks_that_still_fail(tmp_path: Path) -> None:
    score = score_in(tmp_path, BASE + '    prompt: {template: "Work."}\n')
    failed = ("file_exists /ws/a.md: file not found",)
    prompt = assemble(
        score, SheetNum(1), AttemptContext(attempt=2, completion_of=failed), raw=False
    )
    assert "## Completion: finish the previous attempt's work" in prompt
    assert "- file_exists /ws/a.md: file not found" in prompt
    retry = assemble(
        score, SheetNum(1), AttemptContext(attempt=3, previous_error="exit code 2"), raw=False
    )
    assert "This is attempt 3; the previous attempt failed: exit code 2" in retry


def test_earlier_outputs_are_capped_and_limited_to_the_lookback(tmp_path: Path) -> None:
    score = score_in(
        tmp_path,
        """
        name: chain
        workspace: ./ws
        sheet: {size: 1, total_items: 5}
        cross_sheet: {auto_capture_stdout: true, lookback_sheets: 2, max_output_chars: 5}
        prompt: {template: "Go."}
        """,
    )
    outputs = {1: "first", 2: "xx-second", 3: "third", 4: "fourth"}
    context = AttemptContext(output_of=outputs.get, skipped=frozenset({4}))
    prompt = assemble(score, SheetNum(5), context, raw=False)
    assert "## Previous sheets" in prompt
    assert "### Sheet 3\n\nthird" in prompt
    assert "### Sheet 4\n\n[SKIPPED]" in prompt
    assert "Sheet 2" not in prompt and "first" not in prompt


def test_a_template_that_places_earlier_outputs_itself_gets_them_once(tmp_path: Path) -> None:
    score = score_in(
        tmp_path,
        """
        name: chain
        workspace: ./ws
        sheet: {size: 1, total_items: 2}
        cross_sheet: {auto_capture_stdout: true}
        prompt:
          template: "Before: {{ previous_outputs[sheet_num - 1] }}"
        """,
    )
    prompt = assemble(score, SheetNum(2), AttemptContext(output_of={1: "hello"}.get), raw=False)
    assert "Before: hello" in prompt
    assert prompt.count("hello") == 1


def test_captured_files_are_found_by_rendered_jinja_patterns(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes-1.md").write_text("from sheet one")
    (ws / "notes-2.md").write_text("from sheet two")
    score = score_in(
        tmp_path,
        """
        name: files
        workspace: ./ws
        sheet: {size: 1, total_items: 3}
        cross_sheet:
          capture_files: ["{{ workspace }}/notes-{{ sheet_num - 1 }}.md"]
        prompt:
          template: "{% for path, text in previous_files.items() %}[{{ text }}]{% endfor %}"
        """,
    )
    prompt = assemble(score, SheetNum(3), AttemptContext(), raw=False)
    assert "[from sheet two]" in prompt
    assert "from sheet one" not in prompt


def test_a_required_injection_that_is_missing_stops_the_attempt_with_a_fix(
    tmp_path: Path,
) -> None:
    required = score_in(
        tmp_path,
        """
        name: needs
        workspace: ./ws
        sheet:
          size: 1
          total_items: 1
          prelude: [{file: missing.md, as: context, required: true}]
        prompt: {template: "Go."}
        """,
    )
    with pytest.raises(InjectionMissing, match="create it or set required: false"):
        assemble(required, SheetNum(1), AttemptContext(), raw=False)
    optional = score_in(
        tmp_path,
        """
        name: optional
        workspace: ./ws
        sheet:
          size: 1
          total_items: 1
          prelude: [{file: missing.md, as: context}]
        prompt: {template: "Go."}
        """,
    )
    assert "## Injected Context" not in assemble(optional, SheetNum(1), AttemptContext(), raw=False)


def test_injected_files_with_odd_names_or_binary_content_still_make_a_prompt(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "context"
    folder.mkdir()
    (folder / "notes.txt").write_text("plain notes")
    (folder / "logo.png").write_bytes(b"\x89PNG\x00\x00binary")
    weird = folder.as_posix().encode() + b"/caf\xe9.txt"
    with open(weird, "w") as f:  # noqa: PTH123 - a name that is not UTF-8
        f.write("latin-1 name")
    score = score_in(
        tmp_path,
        """
        name: odd
        workspace: ./ws
        sheet:
          size: 1
          total_items: 1
          prelude: [{directory: context, as: context}]
        prompt: {template: "Go."}
        """,
    )
    prompt = assemble(score, SheetNum(1), AttemptContext(), raw=False)
    assert "\0" not in prompt
    assert "plain notes" in prompt and "latin-1 name" in prompt
    prompt.encode("utf-8")  # every character can be written out


def test_lessons_follow_the_task_unless_the_score_turns_them_off(tmp_path: Path) -> None:
    lesson = Lesson(1, 1, "E009", "exit code 2")
    context = AttemptContext(attempt=2, lessons=(lesson,))
    on = score_in(tmp_path, BASE + '    prompt: {template: "Go."}\n')
    prompt = assemble(on, SheetNum(2), context, raw=False)
    assert "## Lessons from previous sheets" in prompt
    assert "- Sheet 1, attempt 1 [E009]: exit code 2" in prompt
    assert prompt.index("Go.") < prompt.index("## Lessons")
    [shown] = [p for p in layers(on, SheetNum(2), context, raw=False) if p.name == "lessons"]
    assert shown.origin == "1 failed attempt(s) of this job (prompt.lessons)"
    off = score_in(tmp_path, BASE + '    prompt: {template: "Go.", lessons: false}\n')
    assert "Lessons" not in assemble(off, SheetNum(2), context, raw=False)
    assert "Lessons" not in assemble(on, SheetNum(2), context, raw=True)


def test_a_raw_prompt_is_one_layer_and_a_missing_template_is_podiums_default(
    tmp_path: Path,
) -> None:
    score = score_in(tmp_path, BASE + '    prompt: {template: "Go."}\n')
    [raw] = layers(score, SheetNum(1), AttemptContext(), raw=True)
    assert raw.name == "template" and raw.text == "Go."
    assert raw.origin.endswith("(raw_prompt: the template alone)")
    bare = score_in(tmp_path, BASE + "    prompt: {variables: {a: 1}}\n")
    [template] = [
        p for p in layers(bare, SheetNum(1), AttemptContext(), raw=False) if p.name == "template"
    ]
    assert template.origin == "Podium's default (the score has no template)"
    assert template.text == "Carry out sheet 1 of 3 of this score."
