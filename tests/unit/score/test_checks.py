"""`podium validate`'s checks: each fires on the score it is about, with its code."""

from pathlib import Path

import pytest

from podium.instruments.registry import discover
from podium.score.checks import check
from podium.score.diagnostics import Diagnostic, Severity
from tests.unit.score.helpers import BASE, compile_text


def findings(text: str, path: Path = Path("/tmp/demo.yaml")) -> list[Diagnostic]:
    return check(compile_text(text, path), discover().names())


def codes(text: str, path: Path = Path("/tmp/demo.yaml")) -> set[str]:
    return {d.code for d in findings(text, path)}


CLEAN = BASE + "validations:\n  - {type: content_contains, path: '{workspace}/o', pattern: x}\n"


def test_a_clean_score_has_nothing_to_say() -> None:
    assert findings(CLEAN) == []


@pytest.mark.parametrize(
    ("change", "code", "severity", "fragment"),
    [
        (
            "workspace: /nope/missing/ws",
            "V002",
            Severity.WARNING,
            "neither the workspace's parent folder (/nope/missing) nor its own parent exists",
        ),
        (
            "backend: {system_prompt_file: nope.md}",
            "V004",
            Severity.ERROR,
            "system prompt file not found: /tmp/nope.md",
        ),
        (
            "backend: {working_directory: nope}",
            "V005",
            Severity.ERROR,
            "working directory does not exist",
        ),
        ("instrument_config: {timeout_seconds: 10}", "V103", Severity.WARNING, "very short"),
        ("instrument_config: {timeout_seconds: 90000}", "V104", Severity.INFO, "25.0h"),
        (
            "instrument_fallbacks: [gemni-cli]",
            "V211",
            Severity.WARNING,
            "unknown instrument 'gemni-cli', so sheets will not fall back to it; did you mean 'gemini-cli'?",
        ),
        (
            "movements: {1: {instrument: claud-code}}",
            "V210",
            Severity.ERROR,
            "unknown instrument 'claud-code'; did you mean 'claude-code'?",
        ),
        ("learning: {enabled: true}", "P001", Severity.WARNING, "accepted, not acted on yet"),
        ("isolation: {enabled: true}", "P007", Severity.WARNING, "is not in a git repository"),
        ("state_backend: json", "P002", Severity.INFO, "accepted, has no effect"),
        ("instrument_config: {modle: x}", "P003", Severity.WARNING, "did you mean 'model'?"),
    ],
)
def test_each_check_fires_with_its_code(
    change: str, code: str, severity: Severity, fragment: str
) -> None:
    [found] = [d for d in findings(CLEAN + change + "\n") if d.code == code]
    assert found.severity is severity
    assert fragment in found.message


def test_a_workspace_one_missing_folder_down_is_the_usual_layout(tmp_path: Path) -> None:
    """`./workspaces/NAME` beside a score: created with the first sheet, nothing to say."""
    score = tmp_path / "score.yaml"
    assert "V002" not in codes(CLEAN + "workspace: ./workspaces/demo\n", score)
    assert "V002" in codes(CLEAN + "workspace: ./workspace/s/demo\n", score)


def test_template_checks() -> None:
    text = (
        CLEAN.replace(
            '"echo {{ sheet_num }}"',
            '"{{ sheet_nun }} {workspace} {{ x | default(1) }} {% set y = 1 %}{{ y }}"',
        )
        + "prompt_vars: null\n"
    )
    text = text.replace("prompt_vars: null\n", "")
    found = {d.code: d.message for d in findings(text)}
    # 'sheet_nun' breaks rendering (an error, P010); 'x' has a default (a warning, V101).
    assert [d.message for d in findings(text) if d.code == "V101"] == [
        "undefined variable 'x'; define it in prompt.variables"
    ]
    assert "'sheet_nun' is undefined" in found["P010"]
    assert found["V202"].startswith("'{workspace}' in the template is Python format syntax")
    shadow = CLEAN.replace(
        '{template: "echo {{ sheet_num }}"}', '{template: "x", variables: {stage: 1}}'
    )
    assert "V208" in codes(shadow)


def test_validation_checks() -> None:
    assert "V203" in codes(BASE)
    only_exists = BASE + "validations:\n  - {type: file_exists, path: '{workspace}/o'}\n"
    assert "V205" in codes(only_exists)
    jinja_path = BASE + "validations:\n  - {type: file_exists, path: '{{ workspace }}/o'}\n"
    assert "V201" in codes(jinja_path)
    missing = BASE + "validations:\n  - {type: content_contains, path: /nope/x.md, pattern: a}\n"
    assert "V107" in codes(missing)


def test_fan_out_and_claude_checks() -> None:
    fan = CLEAN.replace("total_items: 3}", "total_items: 3, fan_out: {2: 2}}")
    assert "V207" in codes(fan)  # parallel is off: the voices take turns
    claude = CLEAN.replace("instrument: cli\n", "") + (
        "backend: {skip_permissions: false, disable_mcp: false}\n"
    )
    assert {"V204", "V209"} <= codes(claude)


@pytest.mark.parametrize(
    ("sheet", "warned"),
    [
        # No dependencies: 1, then the voices of 2 side by side, then 3 once they are all done.
        ("fan_out: {2: 3}", False),
        ("fan_out: {2: 3}, dependencies: {2: [1], 3: [2]}", False),
        ("fan_out: {3: 2}, dependencies: {3: [1]}", False),  # named as a stage that waits
        ("fan_out: {1: 3}, dependencies: {3: [1]}", False),  # named as one waited for
        # Dependencies declared, and the fanned stage in none of them: it runs detached.
        ("fan_out: {2: 3}, dependencies: {3: [1]}", True),
    ],
)
def test_a_fan_out_is_warned_about_only_when_the_dependencies_leave_it_out(
    sheet: str, warned: bool
) -> None:
    text = CLEAN.replace("total_items: 3}", f"total_items: 3, {sheet}}}") + (
        "parallel: {enabled: true}\n"
    )
    found = [d for d in findings(text) if d.code == "V206"]
    assert bool(found) is warned
    if warned:
        assert found[0].path == "sheet.fan_out.2"
        assert "names it nowhere: its voices start at once" in found[0].message


def test_keys_out_of_range_are_pointed_out() -> None:
    text = CLEAN.replace(
        "total_items: 3}",
        "total_items: 3, descriptions: {7: x}, skip_when_command: {9: {command: 'true'}}}",
    )
    found = {d.code: d.message for d in findings(text)}
    assert found["V214"] == "descriptions names sheet 7, but the score has 3 sheets"
    assert found["V212"] == "skip_when_command key 9 is out of range (1-3); it will never apply"


def test_an_evolved_score_still_naming_its_last_version(tmp_path: Path) -> None:
    text = CLEAN.replace("name: demo", "name: demo-v2")
    found = {d.code: d for d in findings(text, tmp_path / "demo-v3.yaml")}
    assert found["V009"].severity is Severity.ERROR


def test_injected_files_that_do_not_exist(tmp_path: Path) -> None:
    (tmp_path / "here.md").write_text("x")
    text = CLEAN.replace(
        "total_items: 3}",
        "total_items: 3, prelude: [{file: here.md, as: "
        "context}, {file: gone.md, as: skill}, {file: '{{ workspace }}/x', as: "
        "context}]}",
    )
    v108 = [d for d in findings(text, tmp_path / "s.yaml") if d.code == "V108"]
    assert [d.message for d in v108] == [f"injected file not found: {tmp_path / 'gone.md'}"]


def test_a_prompt_that_does_not_render_is_an_error() -> None:
    text = CLEAN.replace("echo {{ sheet_num }}", "{{ {}[sheet_num] }}")
    found = [d for d in findings(text) if d.code == "P010"]
    assert [d.message.split(":")[0] for d in found] == ["sheet 1", "sheet 2", "sheet 3"]
    assert {d.severity for d in found} == {Severity.ERROR}


def test_timeouts_point_at_where_they_were_set() -> None:
    text = CLEAN + "backend: {timeout_seconds: 10, timeout_overrides: {3: 20000}}\n"
    found = {d.code: d for d in findings(text)}
    assert (found["V103"].path, found["V103"].message) == (
        "backend.timeout_seconds",
        "a very short timeout (10s, sheets 1, 2) may stop work that was going fine",
    )
    assert (found["V104"].path, found["V104"].message) == (
        "backend.timeout_overrides.3",
        "a very long timeout (5.6h, sheet 3) is it needed?",
    )


def test_backend_settings_for_another_backend_are_pointed_out() -> None:
    text = BASE.replace("instrument: cli\n", "") + (
        "backend: {type: anthropic_api, skip_permissions: false, max_tokens: 10}\n"
    )
    [p004] = [d for d in findings(text) if d.code == "P004"]
    assert p004.message == (
        "backend.type is 'anthropic_api', so these settings for another "
        "backend are ignored: skip_permissions"
    )
    assert "P004" in codes(BASE.replace("instrument: cli\n", "") + "backend: {type: mystery}\n")


def test_settings_command_line_instruments_do_not_take_are_pointed_out() -> None:
    text = CLEAN + (
        "instrument_config: {model: m, skip_permissions: true, temperature: 0.2, "
        "timeout_seconds: 90}\n"
    )
    [found] = [d for d in findings(text) if d.code == "P002" and "temperature" in d.message]
    assert found.message == (
        "accepted, has no effect: temperature (command-line instruments do not take them; "
        "the profile decides the output format)"
    )


def test_a_gateway_and_a_config_file_are_not_said_to_have_no_effect() -> None:
    text = CLEAN + "instrument_config: {base_url: 'http://127.0.0.1:8765', config_file: c.json}\n"
    assert [d.message for d in findings(text) if d.code == "P002"] == []


def test_a_score_without_any_prompt_is_pointed_out() -> None:
    assert "P005" in codes(
        CLEAN.replace('prompt: {template: "echo {{ sheet_num }}"}', "prompt: {variables: {a: 1}}")
    )


def test_hook_settings_that_change_nothing_are_pointed_out() -> None:
    text = CLEAN + (
        "on_success:\n"
        "  - {type: run_job, job_path: next.yaml, detached: false, inherit_learning: true}\n"
        "  - {type: run_job, job_path: next.yaml, detached: true}\n"
    )
    found = sorted(d.message for d in findings(text) if d.code == "P002")
    assert found == [
        "accepted, has no effect: a run_job hook never waits for the job it submits",
        "accepted, has no effect: there is no learning",
    ]
