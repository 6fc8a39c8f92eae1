"""Profiles load in Marianne's format, and a wrong one says where it is wrong."""

from pathlib import Path

import pytest

from podium.domain.classify import ErrorPatterns
from podium.instruments.profile import InstrumentProfile
from podium.instruments.registry import ProfileError, discover, load_profile, parse_profile
from tests.unit.instruments.recorded import MARIANNE_PROFILES

MARIANNE = sorted(MARIANNE_PROFILES.glob("*.yaml")) if MARIANNE_PROFILES.is_dir() else []
BUILTIN = discover(env={})

MINIMAL = """\
name: tool
kind: cli
cli:
  command:
    executable: tool
"""


@pytest.mark.skipif(not MARIANNE, reason="../shared/instruments/marianne is not here")
def test_there_are_nine_marianne_profiles() -> None:
    assert len(MARIANNE) == 9


@pytest.mark.parametrize("path", MARIANNE, ids=lambda p: p.stem)
def test_a_marianne_profile_loads_unchanged(path: Path) -> None:
    profile = load_profile(path)
    assert profile.name == path.stem
    assert profile.cli is not None


def test_the_built_in_profiles_load_without_problems() -> None:
    assert BUILTIN.problems == ()
    assert {
        "cli",
        "claude-code",
        "codex-cli",
        "gemini-cli",
        "aider",
        "goose",
        "opencode",
        "crush",
        "cline-cli",
    } <= set(BUILTIN.names())
    assert all(BUILTIN.origin(name) == "built-in" for name in BUILTIN.names())


def test_every_agent_profile_prices_its_models() -> None:
    for name in BUILTIN.names():
        profile = BUILTIN.profiles[name]
        for model in profile.models:
            assert model.cost_per_1k_input is not None, (name, model.name)
            assert model.cost_per_1k_output is not None, (name, model.name)
            assert model.max_concurrent >= 1


def test_the_cli_profile_runs_the_prompt_file_with_bash() -> None:
    cli = BUILTIN.profiles["cli"]
    assert cli.raw_prompt
    assert cli.default_timeout_seconds == 300
    assert cli.cli is not None
    assert cli.cli.command.executable == "bash"
    assert cli.cli.command.prompt_as_file


def test_defaults_follow_marianne() -> None:
    profile = parse_profile(MINIMAL, "tool.yaml")
    assert profile.display_name == "tool"
    assert profile.default_timeout_seconds == 1800
    assert not profile.raw_prompt
    assert profile.cli is not None
    assert profile.cli.command.prompt_via_stdin
    assert profile.cli.output.format == "text"
    assert profile.cli.errors.success_exit_codes == (0,)


def test_every_documented_key_is_accepted() -> None:
    text = """\
name: full
display_name: Full
description: every key
kind: cli
capabilities: [tool_use, code_mode]
code_mode:
  runtime: node_vm
  interfaces: [{name: Workspace, typescript: "interface Workspace {}"}]
models:
  - {name: m, context_window: 1000, cost_per_1k_input: 0.1, cost_per_1k_output: 0.2,
     max_output_tokens: 10}
default_model: m
default_timeout_seconds: 60
raw_prompt: false
cli:
  command:
    executable: full
    subcommand: run
    prompt_flag: -p
    model_flag: -m
    auto_approve_flag: --yes
    output_format_flag: --format
    output_format_value: json
    system_prompt_flag: --system
    allowed_tools_flag: --tools
    mcp_config_flag: --mcp
    mcp_disable_args: [--no-mcp]
    timeout_flag: --timeout
    working_dir_flag: --cwd
    extra_flags: [--quiet]
    env: {A: "${HOME}/a"}
    prompt_via_stdin: false
    stdin_sentinel: "-"
    start_new_session: true
    required_env: [API_KEY]
    prompt_as_file: false
  output:
    format: jsonl
    result_path: a.b
    error_path: error
    completion_event_type: done
    completion_event_filter: {kind: final}
    input_tokens_path: usage.in
    output_tokens_path: usage.out
    aggregate_tokens: true
  errors:
    success_exit_codes: [0, 3]
    rate_limit_patterns: [rate]
    auth_error_patterns: [auth]
    capacity_patterns: [busy]
    timeout_patterns: [slow]
    crash_patterns: [segfault]
    stale_patterns: [stuck]
    rate_limit_event_type: limit
    rate_limit_event_filter: {reason: rate}
    quota_patterns: [quota]
    failure_patterns: ["^failed"]
http:
  base_url: http://localhost:1
  schema_family: openai
  auth_env_var: KEY
"""
    profile = parse_profile(text, "full.yaml")
    assert profile.model_spec("m") is not None
    assert profile.model_spec("m").max_concurrent == 4  # type: ignore[union-attr]
    assert profile.model_spec("other") is None
    assert profile.error_patterns() == ErrorPatterns(
        rate_limit=("rate",),
        auth=("auth",),
        capacity=("busy",),
        timeout=("slow",),
        crash=("segfault",),
        stale=("stuck",),
        quota=("quota",),
        failure=("^failed",),
    )


def test_a_typo_is_an_error_naming_the_line_and_the_key() -> None:
    text = MINIMAL + "    prompt_flagg: -p\n"
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "tool.yaml")
    assert str(caught.value) == (
        "tool.yaml:6: cli.command.prompt_flagg: unknown key (a typo?); fix it or remove the file"
    )


def test_a_bad_regex_names_the_field_the_line_and_the_pattern() -> None:
    text = MINIMAL + "  errors:\n    auth_error_patterns:\n      - ok\n      - 'bad(('\n"
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "tool.yaml")
    message = str(caught.value)
    assert message.startswith("tool.yaml:9: cli.errors.auth_error_patterns.1: not a valid")
    assert "'bad(('" in message


def test_a_cli_profile_needs_its_cli_block() -> None:
    with pytest.raises(ProfileError, match=r"tool.yaml:1: .*no 'cli:' block"):
        parse_profile("name: tool\nkind: cli\n", "tool.yaml")


def test_broken_yaml_says_where() -> None:
    with pytest.raises(ProfileError, match=r"^tool.yaml:2: not valid YAML"):
        parse_profile("name: tool\nkind: cli: x\n", "tool.yaml")


def test_a_list_is_not_a_profile() -> None:
    with pytest.raises(ProfileError, match="a profile is a mapping"):
        parse_profile("- name: tool\n", "tool.yaml")


def test_an_unreadable_file_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(tmp_path / "missing.yaml")


def test_profiles_are_frozen() -> None:
    profile = parse_profile(MINIMAL, "tool.yaml")
    with pytest.raises(ValueError, match="frozen"):
        profile.name = "other"
    assert isinstance(profile, InstrumentProfile)
