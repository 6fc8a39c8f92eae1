"""`podium validate`, `podium run --dry-run` and `podium init`, as a user runs them."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED
from tests.e2e.conftest import User

PODIUM = str(Path(sys.executable).parent / "podium")
SHARED_HELLO = SHARED / "scores" / "marianne" / "examples" / "getting-started" / "hello.yaml"


def podium_(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PODIUM, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_validate_a_good_score_shows_its_sheets() -> None:
    done = podium_("validate", str(REPO / "examples" / "hello.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "hello.yaml: valid - 3 sheets in 3 movements"
    assert "  movement 3: sheet 3  after 1, 2" in done.stdout


def test_validate_explains_every_problem_and_exits_1(tmp_path: Path) -> None:
    score = tmp_path / "bad.yaml"
    score.write_text(
        "name: bad\ninstrument: cli\nsheet: {size: 1, total_items: 2, "
        "dependencies: {2: [3]}}\nprompt: {template: '{{ x }'}\n"
    )
    done = podium_("validate", str(score))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "bad.yaml: invalid"
    assert f"✗ {score}:3:53: sheet.dependencies.2.0: sheet 2 depends on sheet 3" in done.stdout
    assert f"✗ {score}:4:20: [V001] prompt.template: template syntax error" in done.stdout


def test_validate_as_json() -> None:
    done = podium_("validate", str(REPO / "examples" / "hello.yaml"), "--json")
    report = json.loads(done.stdout)
    assert (report["valid"], report["kind"], report["total_sheets"], report["error_count"]) == (
        True,
        "score",
        3,
        0,
    )
    assert report["dag"][2] == {"sheet": 3, "movement": 3, "depends_on": [1, 2]}


def test_what_cannot_be_validated_exits_2(tmp_path: Path) -> None:
    assert podium_("validate", str(tmp_path / "nope.yaml")).returncode == 2
    (tmp_path / "broken.yaml").write_text("name: [\n")
    done = podium_("validate", str(tmp_path / "broken.yaml"))
    assert done.returncode == 2
    assert "cannot validate" in done.stderr and "not valid YAML" in done.stderr


@pytest.mark.skipif(not SHARED_HELLO.exists(), reason="../shared/scores is not here")
def test_dry_run_prints_the_plan_as_json_with_applicable_rule_counts() -> None:
    done = podium_("run", str(SHARED_HELLO), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert list(plan) == ["name", "total_sheets", "sheets"]
    assert (plan["name"], plan["total_sheets"]) == ("hello", 5)
    keys = [
        "num",
        "movement",
        "voice",
        "voice_count",
        "instrument",
        "model",
        "depends_on",
        "timeout_seconds",
        "description",
        "validations",
    ]
    assert all(list(sheet) == keys for sheet in plan["sheets"])
    assert [(s["voice"], s["depends_on"], s["validations"]) for s in plan["sheets"]] == [
        (None, [], 3),
        (1, [1], 3),
        (2, [1], 3),
        (3, [1], 3),
        (None, [2, 3, 4], 3),
    ]
    assert {s["timeout_seconds"] for s in plan["sheets"]} == {600.0}


def test_dry_run_shows_the_table_and_the_prompts() -> None:
    done = podium_("run", str(REPO / "examples" / "hello.yaml"), "--dry-run", "--show-prompts")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split() == [
        "SHEET",
        "MOVEMENT",
        "VOICE",
        "INSTRUMENT",
        "MODEL",
        "TIMEOUT",
        "AFTER",
        "CHECKS",
        "DESCRIPTION",
    ]
    assert "--- sheet 2 prompt ---" in lines
    assert 'echo "sheet 2 of 3: world" > sheet-2.txt' in done.stdout


@pytest.mark.skipif(not SHARED_HELLO.exists(), reason="../shared/scores is not here")
@pytest.mark.skipif(shutil.which("claude") is not None, reason="Claude Code is installed here")
def test_running_a_score_whose_instrument_is_not_installed_says_what_to_do(
    podium: User,
) -> None:
    done = podium("run", str(SHARED_HELLO), "--no-wait")
    assert done.returncode == 2
    assert "instrument 'claude-code' runs 'claude', which is on neither the PATH" in done.stderr
    assert "podium instruments check claude-code" in done.stderr
    assert "no job" not in done.stdout


def test_init_writes_a_score_that_runs_as_it_is(tmp_path: Path, podium: User) -> None:
    assert podium("init", "yes", cwd=tmp_path).returncode == 0  # a YAML word, kept as a name
    run = podium("run", "yes.yaml", "--wait", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].startswith("job yes completed: 3/3 sheets in ")
    assert (tmp_path / "yes-workspace" / "step-3.txt").read_text() == (
        "Step 3 of 3: the three steps\n"
    )


def test_init_writes_a_score_that_validates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    done = podium_("init", "nightly", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "wrote nightly.yaml"
    validated = podium_("validate", "nightly.yaml", "--json", cwd=tmp_path)
    report = json.loads(validated.stdout)
    assert (report["valid"], report["issues"]) == (True, [])
    again = podium_("init", "nightly", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert podium_("init", "bad name", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("verb", [("validate",), ("run", "--no-start", "--no-wait")])
def test_a_mistyped_instrument_is_refused_by_validate_and_run_alike(
    tmp_path: Path, verb: tuple[str, ...]
) -> None:
    score = tmp_path / "typo.yaml"
    score.write_text(
        (REPO / "examples" / "hello.yaml")
        .read_text()
        .replace("instrument: cli", "instrument: clii")
    )
    done = podium_(*verb, str(score), cwd=tmp_path)
    assert done.returncode == (1 if verb == ("validate",) else 2), done.stdout + done.stderr
    assert (
        f"✗ {score}:15:13: [V210] instrument: unknown instrument 'clii'; did you mean 'cli'?"
        in done.stdout + done.stderr
    )
    assert "conductor" not in done.stderr  # refused here, before any submission


def test_a_score_on_marianne_s_http_instrument_is_shown_but_not_run(tmp_path: Path) -> None:
    score = tmp_path / "api.yaml"
    score.write_text(
        (REPO / "examples" / "hello.yaml")
        .read_text()
        .replace("instrument: cli", "instrument: anthropic_api")
    )
    where = f"{score}:15:13: [P011] instrument: 'anthropic_api' is one of Marianne's HTTP"
    validated = podium_("validate", str(score), cwd=tmp_path)
    assert validated.returncode == 0 and f"! {where}" in validated.stdout
    shown = podium_("run", "--dry-run", str(score), cwd=tmp_path)
    assert shown.returncode == 0 and f"! {where}" in shown.stderr
    refused = podium_("run", "--no-start", str(score), cwd=tmp_path)
    assert refused.returncode == 2 and f"✗ {where}" in refused.stderr


def test_show_prompts_heads_each_layer_with_where_it_came_from(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.md").write_text("---\ntags: [api]\n---\nThe API speaks JSON.\n")
    score = tmp_path / "score.yaml"
    score.write_text(
        "name: shown\nworkspace: ./ws\ninstrument: fake-agent\n"
        "sheet: {size: 1, total_items: 2, spec_tags: {2: [api]}}\n"
        'prompt: {template: "Step {{ sheet_num }}.", prompt_extensions: ["Be brief."]}\n'
        "spec: {spec_dir: specs, fragments: [{name: style, content: Plain words., tags: [s]}]}\n"
        "validations: [{type: file_exists, path: '{workspace}/out.md'}]\n"
    )
    done = podium_("run", str(score), "--dry-run", "--show-prompts")
    assert done.returncode == 0, done.stderr
    second = done.stdout.split("--- sheet 2 prompt ---\n")[1]
    headings = [line for line in second.splitlines() if line.startswith("[")]
    assert headings == [
        "[preamble: Podium]",
        f"[template: prompt.template ({score}, line 5)]",
        "[extensions: prompt.prompt_extensions and sheet.prompt_extensions.2]",
        "[spec: spec fragments api]",
        "[success requirements: the sheet's 1 validation(s)]",
    ]
    assert "### api (api)\n\nThe API speaks JSON." in second and "Plain words." not in second
    plan = json.loads(podium_("run", str(score), "--dry-run", "--show-prompts", "--json").stdout)
    first = plan["sheets"][0]
    assert [layer["layer"] for layer in first["layers"]] == [
        "preamble",
        "template",
        "extensions",
        "spec",
        "success requirements",
    ]
    assert first["prompt"] == "\n\n".join(layer["text"] for layer in first["layers"]) + "\n"
    assert "Plain words." in first["prompt"] and "The API speaks JSON." in first["prompt"]
