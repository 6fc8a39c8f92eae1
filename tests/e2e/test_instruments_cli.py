"""`podium instruments list` and `podium instruments check`, as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PODIUM = str(Path(sys.executable).parent / "podium")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def podium(home: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    # A state folder of its own: the answer must not depend on a conductor running elsewhere
    # (with one, `check` also answers for it).
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "PODIUM_SOCKET")}
    env["HOME"] = str(home)
    env["PODIUM_HOME"] = str(home / "state")
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [PODIUM, "instruments", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_list_shows_every_built_in_with_its_binary(home: Path) -> None:
    done = podium(home, "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DISPLAY", "NAME", "KIND", "MODELS", "BINARY", "ORIGIN"]
    cli = next(line for line in lines if line.startswith("cli "))
    assert "✓ bash" in cli
    assert cli.endswith("built-in")
    for name in ("claude-code", "codex-cli", "gemini-cli", "aider", "opencode", "goose"):
        assert any(line.startswith(f"{name} ") for line in lines), name


def test_list_json_is_stable(home: Path) -> None:
    done = podium(home, "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["problems"] == []
    cli = next(i for i in listed["instruments"] if i["name"] == "cli")
    assert set(cli) == {
        "name",
        "display_name",
        "kind",
        "description",
        "models",
        "default_model",
        "capabilities",
        "executable",
        "binary",
        "found",
        "origin",
    }
    assert cli["found"] is True
    assert cli["executable"] == "bash"
    assert cli["origin"] == "built-in"


def test_check_cli_is_ready_when_bash_is_installed(home: Path) -> None:
    done = podium(home, "check", "cli")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bash" in done.stdout
    assert done.stdout.rstrip().endswith("ready to run")


def test_check_an_agent_whose_binary_is_missing_exits_1(home: Path) -> None:
    done = podium(home, "check", "claude-code", path="/usr/bin:/bin")
    assert done.returncode == 1
    assert "'claude' is not installed or not on PATH" in done.stdout
    assert "cannot run here" in done.stdout
    as_json = json.loads(
        podium(home, "check", "claude-code", "--json", path="/usr/bin:/bin").stdout
    )
    assert as_json["runnable"] is False
    assert as_json["binary"] is None


def test_check_an_unknown_name_exits_2_with_the_known_names(home: Path) -> None:
    done = podium(home, "check", "no-such-instrument")
    assert done.returncode == 2
    assert "no instrument is called 'no-such-instrument'" in done.stderr
    assert "claude-code" in done.stderr


def test_a_profile_next_to_a_score_overrides_a_built_in(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    folder = project / ".podium" / "instruments"
    folder.mkdir(parents=True)
    (folder / "cli.yaml").write_text(
        "name: cli\ndisplay_name: Project shell\nkind: cli\n"
        "cli:\n  command:\n    executable: sh\n    prompt_as_file: true\n"
    )
    score = project / "score.yaml"
    score.write_text("name: s\n")
    without = json.loads(podium(home, "check", "cli", "--json").stdout)
    assert without["origin"] == "built-in"
    done = podium(home, "check", "cli", "--json", "--score", str(score))
    assert done.returncode == 0, done.stderr
    checked = json.loads(done.stdout)
    assert checked["display_name"] == "Project shell"
    assert checked["origin"] == str(folder / "cli.yaml")
    assert checked["executable"] == "sh"
    listed = podium(home, "list", "--score", str(score))
    assert "Project shell" in listed.stdout


def test_a_broken_user_profile_is_reported_not_fatal(home: Path) -> None:
    folder = home / ".config" / "podium" / "instruments"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("name: broken\nkind: cli\n")
    done = podium(home, "list")
    assert done.returncode == 0
    assert "cli " in done.stdout
    assert f"{folder / 'broken.yaml'}:1:" in done.stderr
