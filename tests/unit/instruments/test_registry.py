"""Discovery: built-in, then the user's, then the project's; later wins; broken files are
problems, not crashes."""

from pathlib import Path

import pytest

from podium.instruments.registry import UnknownInstrument, discover


def write_profile(folder: Path, name: str, display: str, file: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file or f"{name}.yaml")
    path.write_text(
        f"name: {name}\ndisplay_name: {display}\nkind: cli\n"
        f"cli:\n  command:\n    executable: {name}\n"
    )
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_a_users_profile_overrides_a_built_in(home: Path) -> None:
    path = write_profile(home / ".config" / "podium" / "instruments", "claude-code", "Mine")
    registry = discover(env={"HOME": str(home)})
    assert registry.profiles["claude-code"].display_name == "Mine"
    assert registry.origin("claude-code") == str(path)
    assert registry.origin("codex-cli") == "built-in"


def test_xdg_config_home_moves_the_users_folder(tmp_path: Path, home: Path) -> None:
    write_profile(tmp_path / "xdg" / "podium" / "instruments", "mine", "From XDG")
    write_profile(home / ".config" / "podium" / "instruments", "mine", "From ~/.config")
    registry = discover(env={"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert registry.profiles["mine"].display_name == "From XDG"


def test_podiums_folders_win_over_mariannes(home: Path, tmp_path: Path) -> None:
    write_profile(home / ".marianne" / "instruments", "legacy", "Marianne's")
    write_profile(home / ".marianne" / "instruments", "both", "Marianne's")
    write_profile(home / ".config" / "podium" / "instruments", "both", "Podium's")
    score_dir = tmp_path / "project"
    write_profile(score_dir / ".marianne" / "instruments", "project", "Marianne's")
    write_profile(score_dir / ".podium" / "instruments", "project", "Podium's")
    registry = discover(score_dir, env={"HOME": str(home)})
    assert registry.profiles["legacy"].display_name == "Marianne's"
    assert registry.profiles["both"].display_name == "Podium's"
    assert registry.profiles["project"].display_name == "Podium's"


def test_a_projects_profile_overrides_the_users(home: Path, tmp_path: Path) -> None:
    write_profile(home / ".config" / "podium" / "instruments", "cli", "User's")
    score_dir = tmp_path / "project"
    path = write_profile(score_dir / ".podium" / "instruments", "cli", "Project's")
    assert discover(env={"HOME": str(home)}).profiles["cli"].display_name == "User's"
    registry = discover(score_dir, env={"HOME": str(home)})
    assert registry.profiles["cli"].display_name == "Project's"
    assert registry.origin("cli") == str(path)


def test_the_profiles_name_counts_not_the_files(home: Path) -> None:
    folder = home / ".config" / "podium" / "instruments"
    write_profile(folder, "gemini-cli", "Renamed", file="my-gemini.yml")
    assert discover(env={"HOME": str(home)}).profiles["gemini-cli"].display_name == "Renamed"


def test_a_broken_profile_is_a_problem_and_hides_nothing(home: Path) -> None:
    folder = home / ".config" / "podium" / "instruments"
    write_profile(folder, "good", "Good")
    broken = folder / "broken.yaml"
    broken.write_text("name: broken\nkind: cli\ncli:\n  command:\n    executable: x\n  oops: 1\n")
    (folder / "notes.txt").write_text("not a profile")
    registry = discover(env={"HOME": str(home)})
    assert "good" in registry.profiles
    assert "broken" not in registry.profiles
    assert registry.problems == (
        f"{broken}:6: cli.oops: unknown key (a typo?); fix it or remove the file",
    )


def test_without_home_only_built_ins_load() -> None:
    registry = discover(env={})
    assert registry.problems == ()
    assert set(registry.origins.values()) == {"built-in"}


def test_mariannes_claude_cli_finds_claude_code() -> None:
    registry = discover(env={})
    assert registry.get("claude_cli") is registry.profiles["claude-code"]
    assert registry.origin("claude_cli") == "built-in"


def test_a_profile_named_claude_cli_is_itself(home: Path) -> None:
    write_profile(home / ".config" / "podium" / "instruments", "claude_cli", "Own")
    assert discover(env={"HOME": str(home)}).require("claude_cli").display_name == "Own"


def test_an_unknown_name_lists_the_known_ones() -> None:
    registry = discover(env={})
    assert registry.get("nope") is None
    assert registry.origin("nope") is None
    with pytest.raises(UnknownInstrument, match=r"no instrument is called 'nope'.*aider, "):
        registry.require("nope")
