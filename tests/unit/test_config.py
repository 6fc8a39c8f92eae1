"""conductor.yaml: profiles laid over the file, Marianne's keys, unknown keys, the starter file."""

import textwrap
from pathlib import Path

import pytest
import yaml

from podium.config import (
    MARIANNE_KEYS,
    PROFILES,
    ConductorConfig,
    deep_merge,
    load,
    starter_text,
    validate,
)
from podium.domain.errors import UserError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conductor.yaml"
    path.write_text(text)
    return path


def test_deep_merge_merges_mappings_key_by_key_and_replaces_the_rest() -> None:
    base = {"a": 1, "m": {"x": 1, "y": 2}, "l": [1]}
    assert deep_merge(base, {"m": {"y": 3, "z": 4}, "l": [2], "b": None}) == {
        "a": 1,
        "m": {"x": 1, "y": 3, "z": 4},
        "l": [2],
        "b": None,
    }
    assert base["m"] == {"x": 1, "y": 2}


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("dev", {"log_level": "debug", "max_concurrent_jobs": 2, "monitor_interval_seconds": 5.0}),
        ("intensive", {"job_timeout_seconds": 172800.0, "max_concurrent_jobs": 7}),
        ("minimal", {"max_concurrent_jobs": 2, "max_concurrent_sheets": 2}),
    ],
)
def test_a_profile_is_laid_over_the_files_settings(
    tmp_path: Path, profile: str, expected: dict[str, object]
) -> None:
    path = write(tmp_path, "max_concurrent_jobs: 7\nresource_limits: {max_memory_mb: 1000}\n")
    loaded = load(path, profile=profile)
    assert loaded.profile == profile
    dumped = loaded.config.model_dump()
    assert {key: dumped[key] for key in expected} == expected


def test_the_intensive_profile_keeps_the_files_other_resource_limits(tmp_path: Path) -> None:
    path = write(tmp_path, "resource_limits: {max_memory_mb: 1000, max_processes: 64}\n")
    assert load(path).config.resource_limits.max_memory_mb == 1000
    limits = load(path, profile="intensive").config.resource_limits
    assert (limits.max_memory_mb, limits.max_processes) == (16384, 512)


def test_flags_win_over_the_profile(tmp_path: Path) -> None:
    loaded = load(tmp_path / "none.yaml", profile="dev", overrides={"log_level": "warning"})
    assert loaded.config.log_level == "warning"
    assert loaded.exists is False


def test_an_unknown_profile_names_the_three() -> None:
    with pytest.raises(
        UserError, match="unknown profile 'fast'; the profiles are dev, intensive, minimal"
    ):
        load(Path("/nonexistent/conductor.yaml"), profile="fast")


def test_every_profile_is_valid() -> None:
    for name in PROFILES:
        validate(PROFILES[name], name)


@pytest.mark.parametrize("key", sorted(MARIANNE_KEYS), ids=".".join)
def test_a_setting_of_marianne_is_accepted_with_a_warning(
    tmp_path: Path, key: tuple[str, ...]
) -> None:
    data: object = {"enabled": True} if len(key) == 1 else 5
    for part in reversed(key):
        data = {part: data}
    path = write(tmp_path, yaml.safe_dump(data))
    loaded = load(path)
    assert loaded.config == ConductorConfig()
    [warning] = loaded.warnings
    assert (
        f"{'.'.join(key)} is a setting of Marianne's conductor that Podium does not use" in warning
    )


def test_marianne_settings_beside_podium_ones_keep_the_podium_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "socket: {path: /x.sock, permissions: 0o660, backlog: 5}\n"
        "resource_limits: {max_memory_mb: 512, max_api_calls_per_minute: 60}\n"
        "state_db_path: ~/.marianne/daemon-state.db\n",
    )
    loaded = load(path)
    assert loaded.config.socket.path == "/x.sock"
    assert loaded.config.resource_limits.max_memory_mb == 512
    assert len(loaded.warnings) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_concurent_jobs: 3\n", "max_concurent_jobs: unknown setting (did you mean 'max_concurrent_jobs'?)"),
        ("resource_limits: {max_memory: 3}\n", "resource_limits.max_memory: unknown setting (did you mean 'max_memory_mb'?)"),
        ("socket: {permission: 1}\n", "socket.permission: unknown setting"),
        ("instruments: {claude: {max: 1}}\n", "instruments.claude.max: unknown setting"),
        ("zzz: 1\n", "zzz: unknown setting"),
        ("max_concurrent_sheets: many\n", "max_concurrent_sheets: Input should be a valid integer, unable to parse string as an integer (got 'many')"),
        ("log_level: loud\n", "log_level: String should match pattern"),
        ("- a list\n", "expected a mapping of settings, got list"),
        ("a: [\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_a_wrong_file_is_an_error_that_says_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UserError) as raised:
        load(write(tmp_path, text))
    assert message in str(raised.value)
    assert str(tmp_path) in str(raised.value)


def test_an_absent_file_gives_the_defaults_unless_it_was_named(tmp_path: Path) -> None:
    assert load(tmp_path / "conductor.yaml").config == ConductorConfig()
    with pytest.raises(
        UserError, match=r"no conductor config at .*; write one with 'podium config init'"
    ):
        load(tmp_path / "conductor.yaml", explicit=True)


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, "# nothing yet\n"))
    assert (loaded.config, loaded.exists) == (ConductorConfig(), True)


def test_the_starter_file_sets_every_setting_to_its_default_and_explains_it() -> None:
    text = starter_text()
    config, warnings = validate(yaml.safe_load(text), "starter")
    assert (config, warnings) == (ConductorConfig(), [])
    for name in ConductorConfig.model_fields:
        assert f"\n{name}:" in text
    assert "# Memory (RSS) of the conductor" in text


def test_an_instrument_can_be_pointed_at_a_gateway_and_a_config_file(tmp_path: Path) -> None:
    loaded = load(
        write(
            tmp_path,
            "instruments:\n"
            "  claude-code: {base_url: 'http://127.0.0.1:4000', config_file: ~/claude.json}\n"
            "  codex-cli: {max_concurrent: 2}\n",
        )
    )
    instruments = loaded.config.instruments
    assert instruments["claude-code"].connection() == {
        "base_url": "http://127.0.0.1:4000",
        "config_file": str(Path("~/claude.json").expanduser()),
    }
    assert instruments["codex-cli"].connection() == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("instruments: {x: {base_url: 'localhost:4000'}}\n", "instruments.x.base_url: String should match pattern"),
        ("instruments: {x: {config_file: conf.toml}}\n", "'conf.toml' is not an absolute path"),
    ],
)  # fmt: skip
def test_a_gateway_setting_that_cannot_work_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        load(write(tmp_path, text))


def test_attempts_run_here_unless_the_file_names_a_ray_cluster(tmp_path: Path) -> None:
    assert load(write(tmp_path, "")).config.executor.type == "local"
    text = """\
        executor:
          type: ray
          address: head.example:6379
          resources: {claude-code: gpu-box}
    """
    executor = load(write(tmp_path, textwrap.dedent(text))).config.executor
    assert (executor.type, executor.address, executor.namespace) == (
        "ray",
        "head.example:6379",
        "podium",
    )
    assert executor.resource("claude-code") == "gpu-box"
    assert executor.resource("cli") == "instrument:cli"


@pytest.mark.parametrize("text", ["executor: {type: remote}", "executor: {address: 'head only'}"])
def test_an_executor_setting_that_cannot_work_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(UserError, match="executor"):
        load(write(tmp_path, text))
