"""Command lines and environments, checked against what the real CLIs accepted."""

from pathlib import Path
from typing import Any

import pytest

from podium.conductor.compiler import unroutable
from podium.domain.errors import UserError
from podium.instruments.command import (
    ARGUMENT_LIMIT,
    InstrumentNotFound,
    Invocation,
    NotRunnable,
    build_invocation,
    child_environment,
    choose_model,
    expand,
)
from podium.instruments.profile import InstrumentProfile
from podium.instruments.registry import discover, parse_profile
from tests.unit.instruments.recorded import CLI_OF_PROFILE, MARIANNE_PROFILES, recordings_of

BUILTIN = discover(env={})
PROMPT = "Say hello."
PROMPT_FILE = Path("/work/ws/.podium/prompt-1.txt")
WORKSPACE = Path("/work/ws")


def on_path(name: str) -> str:
    return f"/opt/bin/{name}"


def invoke(
    profile: InstrumentProfile | str,
    prompt: str = PROMPT,
    model: str | None = None,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    **more: Any,
) -> Invocation:
    found = BUILTIN.profiles[profile] if isinstance(profile, str) else profile
    return build_invocation(
        found,
        prompt=prompt,
        prompt_file=PROMPT_FILE,
        model=model,
        timeout_seconds=more.pop("timeout_seconds", None),
        working_dir=WORKSPACE,
        settings=settings or {},
        parent_env=env or {},
        which=more.pop("which", on_path),
        **more,
    )


# What each built-in emits, with the model and settings of a recorded run. Claude's MCP
# arguments are off here: the recorded runs did not use them (see the test below).
EXPECTED = {
    "claude-code": (
        None,
        {"disable_mcp": False},
        ["claude", "--dangerously-skip-permissions", "--output-format", "json", "-p", "-"],
        True,
    ),
    "codex-cli": (
        None,
        {},
        [
            "codex",
            "exec",
            "--dangerously-bypass-approvals-and-sandbox",
            "--json",
            "-",
            "--skip-git-repo-check",
        ],
        True,
    ),
    "gemini-cli": (
        "gemini-2.5-flash",
        {},
        ["gemini", "--yolo", "--output-format", "json", "-m", "gemini-2.5-flash", "-p", PROMPT],
        False,
    ),
    "opencode": (
        "fake/fake-model",
        {},
        ["opencode", "run", "--format", "json", "--model", "fake/fake-model", PROMPT],
        False,
    ),
    "aider": (
        "openai/gpt-4o",
        {},
        [
            "aider",
            "--yes-always",
            "--model",
            "openai/gpt-4o",
            "--message",
            PROMPT,
            "--no-check-update",
            "--analytics-disable",
            "--no-show-release-notes",
            "--no-pretty",
            "--no-stream",
            "--no-git",
            "--no-auto-commits",
            "--no-gitignore",
            "--no-show-model-warnings",
            "--no-detect-urls",
        ],
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_built_in_builds_the_expected_command(name: str) -> None:
    model, settings, argv, on_stdin = EXPECTED[name]
    done = invoke(name, model=model, settings=settings)
    assert done.argv == (on_path(argv[0]), *argv[1:])
    assert done.prompt_on_stdin is on_stdin


@pytest.mark.parametrize("name", sorted(CLI_OF_PROFILE))
def test_every_argument_was_accepted_by_the_real_cli(name: str) -> None:
    """Each flag, and each flag with its value, appears in a recorded run that exited 0; the
    prompt sits where the recorded runs put it (or on stdin, behind the stdin sentinel)."""
    model, settings, _, _ = EXPECTED[name]
    done = invoke(name, model=model, settings=settings)
    recorded = [r["argv"][1:] for r in recordings_of(CLI_OF_PROFILE[name]) if r["rc"] == 0]
    assert recorded
    tokens = {t for argv in recorded for t in argv}
    pairs = {(a[i], a[i + 1]) for a in recorded for i in range(len(a) - 1)}
    ours = list(done.argv[1:])
    sentinel = BUILTIN.profiles[name].cli.command.stdin_sentinel  # type: ignore[union-attr]
    for i, token in enumerate(ours):
        if done.prompt_on_stdin and token == sentinel:
            continue
        assert token in tokens, f"{token!r} was never passed to {name} in a recorded run"
        following = ours[i + 1] if i + 1 < len(ours) else None
        if token.startswith("-") and following and not following.startswith("-"):
            assert (token, following) in pairs, f"{token} {following} was never recorded"
    if not done.prompt_on_stdin:
        assert PROMPT in ours


def test_claude_turns_its_mcp_servers_off_by_default() -> None:
    done = invoke("claude-code")
    assert done.argv[-3:] == ("--strict-mcp-config", "--mcp-config", '{"mcpServers":{}}')
    assert done.argv.index("-p") < done.argv.index("--strict-mcp-config")


def test_the_cli_instrument_runs_bash_on_the_prompt_file() -> None:
    script = "echo hi\n" + "x" * (ARGUMENT_LIMIT + 10)
    done = invoke("cli", prompt=script)
    assert done.argv == ("/opt/bin/bash", str(PROMPT_FILE))
    assert not done.prompt_on_stdin


def test_a_large_prompt_goes_to_stdin_without_the_prompt_flag() -> None:
    big = "é" * (ARGUMENT_LIMIT // 2 + 1)  # few characters, but over the limit in UTF-8
    done = invoke("gemini-cli", prompt=big)
    assert done.prompt_on_stdin
    assert big not in done.argv
    assert "-p" not in done.argv
    small = invoke("gemini-cli", prompt="x" * ARGUMENT_LIMIT)
    assert not small.prompt_on_stdin
    assert small.argv[-2:] == ("-p", "x" * ARGUMENT_LIMIT)


def test_a_large_prompt_uses_the_stdin_sentinel_when_the_profile_has_one() -> None:
    profile = parse_profile(
        "name: t\nkind: cli\ncli:\n  command:\n    executable: t\n    prompt_flag: -i\n"
        "    prompt_via_stdin: false\n    stdin_sentinel: '-'\n",
        "t.yaml",
    )
    assert invoke(profile).argv == ("/opt/bin/t", "-i", PROMPT)
    big = invoke(profile, prompt="x" * (ARGUMENT_LIMIT + 1))
    assert big.argv == ("/opt/bin/t", "-i", "-")
    assert big.prompt_on_stdin


def test_mariannes_bash_profile_still_works_with_a_large_script() -> None:
    path = MARIANNE_PROFILES / "cli.yaml"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    profile = parse_profile(path.read_text(), str(path))
    assert invoke(profile, prompt="echo hi").argv == ("/opt/bin/bash", "-c", "echo hi")
    big = invoke(profile, prompt="#" * (ARGUMENT_LIMIT + 1))
    assert big.argv == ("/opt/bin/bash",)
    assert big.prompt_on_stdin


def test_stdin_delivery_without_a_sentinel_leaves_the_prompt_out() -> None:
    profile = parse_profile(
        "name: t\nkind: cli\ncli:\n  command:\n    executable: t\n    prompt_flag: --msg\n",
        "t.yaml",
    )
    done = invoke(profile)
    assert done.argv == ("/opt/bin/t",)
    assert done.prompt_on_stdin


def test_settings_shape_the_command() -> None:
    done = invoke(
        "claude-code",
        model="claude-haiku-4-5",
        settings={
            "skip_permissions": False,
            "disable_mcp": False,
            "allowed_tools": ["Read", "Write"],
            "cli_extra_args": "--verbose --max-turns '3'",
            "output_format": "text",
        },
        system_prompt="Be brief.",
    )
    assert done.argv[1:] == (
        "--output-format",
        "json",
        "--model",
        "claude-haiku-4-5",
        "-p",
        "-",
        "--system-prompt",
        "Be brief.",
        "--allowedTools",
        "Read,Write",
        "--verbose",
        "--max-turns",
        "3",
    )


def test_timeout_and_working_dir_flags() -> None:
    cline = invoke("cline-cli", timeout_seconds=90.2)
    assert cline.argv[1:] == ("--yolo", "--json", "--timeout", "91", PROMPT)
    crush = invoke("crush", settings={"cli_extra_args": ["--debug"]})
    assert crush.argv[1:] == (
        "run",
        "--yolo",
        "--cwd",
        str(WORKSPACE),
        PROMPT,
        "--quiet",
        "--debug",
    )


def test_a_missing_executable_says_which_and_what_to_do() -> None:
    with pytest.raises(InstrumentNotFound) as caught:
        invoke("codex-cli", which=lambda _: None)
    message = str(caught.value)
    assert "instrument 'codex-cli' runs 'codex'" in message
    assert "install it" in message
    assert "PATH" in message


def test_an_http_profile_cannot_be_run() -> None:
    profile = parse_profile(
        "name: api\nkind: http\nhttp:\n  base_url: http://x\n  schema_family: openai\n", "a.yaml"
    )
    with pytest.raises(NotRunnable, match="'api' is an http instrument"):
        invoke(profile)


PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "LANG": "C.UTF-8",
    "PODIUM_ATTEMPT_MODE": "normal",
    "ANTHROPIC_API_KEY": "sk-ant",
    "OPENAI_API_KEY": "sk-openai",
    "AWS_REGION": "eu-west-1",
    "CLAUDE_CODE_MAX_RETRIES": "2",
    "UNRELATED": "x",
}


def test_required_env_passes_only_essentials_and_the_listed_variables() -> None:
    env = invoke("claude-code", env=PARENT).env
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "PODIUM_ATTEMPT_MODE": "normal",
        "ANTHROPIC_API_KEY": "sk-ant",
        "AWS_REGION": "eu-west-1",
        "CLAUDE_CODE_MAX_RETRIES": "2",
    }


def test_without_required_env_the_whole_environment_passes() -> None:
    assert invoke("cli", env=PARENT).env == PARENT


def test_profile_env_is_merged_after_expansion() -> None:
    profile = parse_profile(
        "name: t\nkind: cli\ncli:\n  command:\n    executable: t\n    required_env: [KEY]\n"
        "    extra_flags: ['--token=${KEY}']\n"
        "    env:\n      CONFIG: '${HOME}/cfg'\n      BOTH: '$KEY-$UNSET-$$'\n",
        "t.yaml",
    )
    done = invoke(profile, env={"HOME": "/h", "KEY": "secret", "OTHER": "o"})
    assert done.env == {"HOME": "/h", "KEY": "secret", "CONFIG": "/h/cfg", "BOTH": "secret--$"}
    assert "--token=${KEY}" in done.argv
    assert not any("secret" in arg for arg in done.argv)


def test_gemini_trusts_the_workspace() -> None:
    command = BUILTIN.profiles["gemini-cli"].cli.command  # type: ignore[union-attr]
    assert child_environment(command, {"GEMINI_API_KEY": "k", "OPENAI_API_KEY": "o"}) == {
        "GEMINI_API_KEY": "k",
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
    }


@pytest.mark.parametrize(
    ("text", "expanded"),
    [("${A}/x", "1/x"), ("$A$B", "12"), ("${MISSING}", ""), ("$$A", "$A"), ("plain", "plain")],
)
def test_expand(text: str, expanded: str) -> None:
    assert expand(text, {"A": "1", "B": "2"}) == expanded


def test_choose_model() -> None:
    gemini = BUILTIN.profiles["gemini-cli"]
    assert choose_model(gemini, {}) is None
    assert choose_model(gemini, {"model": "m"}) == "m"
    assert choose_model(gemini, {"model": "m", "cli_model": "c"}) == "c"
    assert choose_model(gemini, {"model": "m"}, chosen="sheet") == "sheet"
    pinned = parse_profile(
        "name: t\nkind: cli\ndefault_model: d\ncli:\n  command:\n    executable: t\n", "t.yaml"
    )
    assert choose_model(pinned, {}) == "d"


def test_a_prompt_with_a_nul_byte_goes_to_stdin_since_no_argument_can_hold_it() -> None:
    done = invoke("gemini-cli", prompt="before\0after")
    assert done.prompt_on_stdin
    assert not any("\0" in arg for arg in done.argv)


def test_unbalanced_quotes_in_cli_extra_args_are_a_clear_user_error() -> None:
    with pytest.raises(UserError, match=r"cli_extra_args .* balance its quotes, or give a list"):
        invoke("claude-code", settings={"cli_extra_args": "--x 'unbalanced"})


def test_base_url_reaches_each_cli_where_it_reads_it() -> None:
    url = "http://127.0.0.1:8765/gateway"
    assert invoke("claude-code", settings={"base_url": url}).env["ANTHROPIC_BASE_URL"] == url
    assert invoke("gemini-cli", settings={"base_url": url}).env["GOOGLE_GEMINI_BASE_URL"] == url
    assert invoke("aider", settings={"base_url": url}).env["OPENAI_API_BASE"] == url
    codex = invoke("codex-cli", settings={"base_url": url, "cli_extra_args": ["--last"]}).argv
    provider = codex.index("model_provider=podium")
    assert codex[provider - 1] == "-c"
    assert f'base_url="{url}"' in codex[provider - 2]
    assert codex[-1] == "--last"  # the score's own arguments still come last


def test_config_file_reaches_each_cli_as_a_flag_or_a_variable() -> None:
    path = "/etc/agents/codex/config.toml"
    claude = invoke("claude-code", settings={"config_file": path}).argv
    assert claude[claude.index("--settings") + 1] == path
    assert invoke("codex-cli", settings={"config_file": path}).env["CODEX_HOME"] == (
        "/etc/agents/codex"
    )
    gemini = invoke("gemini-cli", settings={"config_file": path}).env
    assert gemini["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] == path
    assert invoke("opencode", settings={"config_file": path}).env["OPENCODE_CONFIG"] == path


def test_a_routed_variable_survives_required_env() -> None:
    found = invoke("claude-code", settings={"base_url": "https://gw.example"}, env={"X": "1"})
    assert "X" not in found.env
    assert found.env["ANTHROPIC_BASE_URL"] == "https://gw.example"


def test_no_setting_no_route() -> None:
    plain = invoke("codex-cli")
    assert "model_provider=podium" not in plain.argv
    assert "CODEX_HOME" not in plain.env


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("opencode", {"base_url": "http://x"}, "no way to take instrument_config.base_url"),
        ("cli", {"config_file": "/a.toml"}, "sets no cli.command.config_file"),
        ("claude-code", {"base_url": "ftp://x"}, "not an http:// or https:// URL"),
        ("codex-cli", {"base_url": 'http://x",evil="1'}, "not an http:// or https:// URL"),
        ("claude-code", {"config_file": "settings.json"}, "not an absolute path"),
    ],
)
def test_a_connection_setting_that_cannot_be_used_is_a_clear_error(
    name: str, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        invoke(name, settings=settings)


def test_a_route_must_go_somewhere() -> None:
    text = "name: x\nkind: cli\ncli:\n  command:\n    executable: x\n    base_url: {}\n"
    with pytest.raises(UserError, match="give 'env:' or 'args:'"):
        parse_profile(text, "x.yaml")


def test_a_value_holding_a_placeholder_is_passed_as_it_is() -> None:
    url = "http://127.0.0.1:8765/{folder}/{value}"
    assert invoke("claude-code", settings={"base_url": url}).env["ANTHROPIC_BASE_URL"] == url


def test_the_conductor_settings_an_instrument_cannot_take_are_named() -> None:
    found = unroutable(
        BUILTIN,
        {
            "claude-code": {"base_url": "http://gw", "config_file": "/c.json"},
            "opencode": {"base_url": "http://gw", "config_file": "/o.json"},
            "nosuch": {"config_file": "/x"},
        },
    )
    assert found == [
        "instruments.nosuch.config_file is not used: no instrument is called 'nosuch'",
        "instruments.opencode.base_url is not used: its profile sets no cli.command.base_url",
    ]
