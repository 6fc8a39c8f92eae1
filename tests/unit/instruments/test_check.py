"""What `podium instruments check` finds missing, from facts given to it."""

import sys
from pathlib import Path

from podium.instruments.check import credential_variables, read_version, report, which
from podium.instruments.registry import discover, parse_profile

BUILTIN = discover(env={})


def test_an_installed_instrument_with_credentials_is_runnable() -> None:
    found = report(
        BUILTIN.profiles["claude-code"],
        "built-in",
        "/opt/bin/claude",
        "2.1.197 (Claude Code)",
        {"ANTHROPIC_API_KEY": "k"},
    )
    assert found.runnable
    assert found.missing == ()
    assert found.warnings == ()
    assert found.credentials_set == ("ANTHROPIC_API_KEY",)
    assert "claude-sonnet-4-6" in found.models


def test_a_missing_binary_stops_it() -> None:
    found = report(BUILTIN.profiles["codex-cli"], "built-in", None, None, {"OPENAI_API_KEY": "k"})
    assert not found.runnable
    assert found.missing == (
        "'codex' is not installed or not on PATH; install it, add its folder to PATH, or "
        "override the profile's cli.command.executable with a full path",
    )


def test_no_credentials_is_a_warning_since_the_cli_may_be_logged_in() -> None:
    found = report(BUILTIN.profiles["gemini-cli"], "built-in", "/opt/bin/gemini", None, {})
    assert found.runnable
    assert len(found.warnings) == 1
    assert "GEMINI_API_KEY" in found.warnings[0]
    assert "logged in" in found.warnings[0]


def test_credential_variables_skip_settings_and_expand_prefixes() -> None:
    env = {"AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "r"}
    names = credential_variables(BUILTIN.profiles["claude-code"], env)
    assert "ANTHROPIC_API_KEY" in names
    assert "AWS_SECRET_ACCESS_KEY" in names
    assert "AWS_REGION" not in names
    assert "IS_SANDBOX" not in names
    assert credential_variables(BUILTIN.profiles["cli"], env) == ()


def test_an_http_profile_is_not_runnable() -> None:
    profile = parse_profile(
        "name: api\nkind: http\nhttp: {base_url: 'http://x', schema_family: openai}\n", "a.yaml"
    )
    found = report(profile, "/x/api.yaml", None, None, {})
    assert not found.runnable
    assert "Podium runs only cli instruments" in found.missing[0]


def test_which_finds_programs_on_path_and_beside_python(tmp_path: Path) -> None:
    assert which("sh") is not None
    assert which("no-such-program-here", path=str(tmp_path)) is None
    python = Path(sys.executable).name
    assert which(python, path=str(tmp_path)) == str(Path(sys.executable).parent / python)


def test_read_version_never_fails(tmp_path: Path) -> None:
    assert read_version(sys.executable) is not None
    assert read_version(str(tmp_path / "missing")) is None
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexit 3\n")
    silent.chmod(0o755)
    assert read_version(str(silent)) is None
