"""Which variables of the submitting shell travel with a job, for which instruments."""

import pytest

from podium.config import validate
from podium.domain.errors import UserError
from podium.instruments.environment import (
    Wanted,
    abbreviated,
    carried,
    overlaid,
    valid_entry,
    wanted,
)
from podium.instruments.profile import InstrumentProfile
from podium.instruments.registry import discover

BUILTIN = discover(env={})

SHELL = {
    "PATH": "/home/u/.local/bin:/usr/bin",
    "HOME": "/home/u",
    "ANTHROPIC_API_KEY": "sk-ant-shell-key",
    "CLAUDE_CODE_USE_BEDROCK": "1",
    "CLAUDE_CODEX": "not a prefix match of CLAUDE_CODE_",
    "AWS_PROFILE": "work",
    "OPENAI_API_KEY": "sk-openai-shell-key",
    "GITHUB_TOKEN": "ghp_other_service",
    "MY_TOOL_HOME": "/opt/tool",
    "MY_TOOL_MODE": "fast",
    "DEPLOY_TOKEN": "deploy",
}


def builtin(name: str) -> InstrumentProfile:
    return BUILTIN.require(name)


def http_profile(auth: str | None) -> InstrumentProfile:
    return InstrumentProfile.model_validate(
        {
            "name": "api",
            "kind": "http",
            "http": {"base_url": "https://x", "schema_family": "openai", "auth_env_var": auth},
        }
    )


def test_claude_code_carries_path_its_credentials_and_its_prefixes() -> None:
    sent = carried(SHELL, wanted([builtin("claude-code")]))
    assert sent == {
        "ANTHROPIC_API_KEY": "sk-ant-shell-key",
        "AWS_PROFILE": "work",
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "PATH": "/home/u/.local/bin:/usr/bin",
    }


def test_another_services_credentials_stay_behind() -> None:
    sent = carried(SHELL, wanted([builtin("claude-code")]))
    assert "OPENAI_API_KEY" not in sent
    assert "GITHUB_TOKEN" not in sent
    assert "HOME" not in sent  # the conductor's own essentials stay its own


def test_a_score_on_two_instruments_carries_what_either_asks_for() -> None:
    sent = carried(SHELL, wanted([builtin("claude-code"), builtin("codex-cli")]))
    assert {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "PATH"} <= set(sent)
    assert "GITHUB_TOKEN" not in sent


def test_the_cli_instrument_asks_for_nothing_but_path() -> None:
    assert carried(SHELL, wanted([builtin("cli")])) == {"PATH": SHELL["PATH"]}


def test_the_allow_list_adds_names_and_prefixes_for_any_instrument() -> None:
    sent = carried(SHELL, wanted([builtin("cli")], ["DEPLOY_TOKEN", "MY_TOOL_*"]))
    assert sent == {
        "DEPLOY_TOKEN": "deploy",
        "MY_TOOL_HOME": "/opt/tool",
        "MY_TOOL_MODE": "fast",
        "PATH": SHELL["PATH"],
    }


def test_an_http_profile_carries_its_auth_variable() -> None:
    assert "GITHUB_TOKEN" in wanted([http_profile("GITHUB_TOKEN")])
    assert wanted([http_profile(None)]) == Wanted(frozenset({"PATH"}))


def test_a_variable_the_shell_does_not_set_is_not_sent() -> None:
    assert carried({"PATH": "/bin"}, wanted([builtin("claude-code")])) == {"PATH": "/bin"}


def test_wanted_matches_names_and_prefixes_only() -> None:
    want = Wanted(frozenset({"A"}), ("B_",))
    assert "A" in want
    assert "B_C" in want
    assert "AB" not in want
    assert "B" not in want
    assert 3 not in want


@pytest.mark.parametrize(
    ("entry", "valid"),
    [
        ("NAME", True),
        ("PREFIX_*", True),
        ("_x1", True),
        ("*", False),
        ("A B", False),
        ("1A", False),
    ],
)
def test_allow_list_entries_are_names_or_prefixes(entry: str, valid: bool) -> None:
    assert valid_entry(entry) is valid


def test_a_bare_star_is_no_prefix_of_everything() -> None:
    assert wanted([], ["*"]) == Wanted(frozenset({"PATH"}))


def test_carried_variables_lie_over_the_conductors() -> None:
    assert overlaid({"PATH": "/c", "HOME": "/h"}, {"PATH": "/u"}) == {"PATH": "/u", "HOME": "/h"}
    assert overlaid({"PATH": "/c"}, None) == {"PATH": "/c"}


def test_a_long_path_is_abbreviated_for_messages() -> None:
    assert abbreviated("/a:/b") == "/a:/b"
    assert abbreviated("/1:/2:/3:/4", limit=2) == "/1:/2:… (2 more)"
    assert abbreviated("") == "(empty)"


def test_conductor_yaml_takes_an_environment_block() -> None:
    config, _ = validate({"environment": {"from_client": False, "pass": ["A", "B_*"]}}, "c.yaml")
    assert config.environment.from_client is False
    assert config.environment.pass_ == ["A", "B_*"]
    assert config.model_dump()["environment"]["pass"] == ["A", "B_*"]


def test_conductor_yaml_refuses_an_entry_that_is_no_variable_name() -> None:
    with pytest.raises(UserError, match=r"environment.pass: .*'BAD NAME'.*PREFIX_\*"):
        validate({"environment": {"pass": ["BAD NAME"]}}, "c.yaml")
