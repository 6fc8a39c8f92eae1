"""`podium config`, `start --profile`, socket.path and the conductor's JSON log, as a user
meets them."""

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.cli import exits
from tests.e2e.conftest import User


def test_config_init_check_set_show_round_trip_with_a_running_conductor(
    podium: User, tmp_path: Path
) -> None:
    config = tmp_path / "home" / "conductor.yaml"
    assert podium("config", "path").stdout == f"{config}\n"
    assert podium("config", "check").stdout == f"{config} does not exist: the defaults apply\n"
    assert podium("config", "init").stdout == f"wrote {config}\n"
    again = podium("config", "init")
    assert again.returncode == 2 and "--force" in again.stderr
    assert podium("config", "check").returncode == 0

    assert podium("start").returncode == 0
    changed = podium("config", "set", "max_concurrent_sheets", "3")
    assert changed.returncode == 0, changed.stderr
    assert "reloaded: max_concurrent_sheets: 10 → 3" in changed.stdout
    assert "# Attempts running (or being validated) at once" in config.read_text()
    shown = json.loads(podium("config", "show", "--json").stdout)
    assert (shown["source"], shown["settings"]["max_concurrent_sheets"]) == ("conductor", 3)
    assert json.loads(podium("conductor-status", "--json").stdout)["max_concurrent_sheets"] == 3

    typo = podium("config", "set", "max_concurent_jobs", "2")
    assert typo.returncode == 2
    assert "did you mean 'max_concurrent_jobs'?" in typo.stderr
    assert "max_concurent_jobs" not in config.read_text()

    marianne = podium("config", "set", "observer.enabled", "true")
    assert "observer is a setting of Marianne's conductor that Podium does not use" in (
        marianne.stdout
    )
    assert "observer is a setting of Marianne's" in podium("config", "check").stdout

    good = config.read_text()
    config.write_text(good + "kill_grace_seconds: -1\n")
    bad = podium("config", "check", "--json")
    assert bad.returncode == 1
    assert "kill_grace_seconds" in json.loads(bad.stdout)["errors"][0]
    refused = podium("config", "set", "log_level", "debug")
    assert refused.returncode == 2 and "kill_grace_seconds" in refused.stderr
    config.write_text(good)

    assert podium("stop").returncode == 0
    offline = podium("config", "show")
    assert offline.stdout.startswith("the conductor is not running: the file's settings")
    assert "max_concurrent_sheets: 3" in offline.stdout


def test_start_with_a_profile_shows_in_config_show(podium: User) -> None:
    started = podium("start", "--profile", "dev")
    assert started.returncode == 0, started.stderr
    shown = podium("config", "show")
    assert "profile  dev (laid over the file)" in shown.stdout
    assert 'log_level: "debug"' in shown.stdout
    assert "max_concurrent_jobs: 2" in shown.stdout
    unknown = podium("start", "--profile", "fast")
    assert unknown.returncode == 2
    assert "'dev', 'intensive', 'minimal'" in unknown.stderr


def test_a_bad_config_stops_start_with_the_reason(podium: User, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "conductor.yaml").write_text("max_concurrent_sheets: 0\n")
    started = podium("start")
    assert started.returncode == 2
    assert "the conductor exited at start (code 2)" in started.stderr
    assert "max_concurrent_sheets: Input should be greater than or equal to 1" in started.stderr


@pytest.fixture
def user_without_socket(tmp_path: Path) -> Iterator[tuple[User, Path]]:
    """A user whose socket is set in conductor.yaml only."""
    socket_dir = Path(tempfile.mkdtemp(prefix="podium-"))
    user = User(tmp_path / "home", socket_dir / "unused.sock")
    del user.env["PODIUM_SOCKET"]
    yield user, socket_dir / "configured.sock"
    user("stop", "--force")
    shutil.rmtree(socket_dir, ignore_errors=True)


def test_the_configured_socket_is_where_the_conductor_listens_and_the_cli_looks(
    user_without_socket: tuple[User, Path], tmp_path: Path
) -> None:
    podium, socket = user_without_socket
    named = tmp_path / "home" / "conductor.socket-path"
    assert podium("config", "init").returncode == 0
    assert podium("config", "set", "socket.path", str(socket)).returncode == 0
    started = podium("start")
    assert started.returncode == 0, started.stderr
    assert socket.is_socket()
    assert named.read_text() == f"{socket}\n"
    status = json.loads(podium("conductor-status", "--json").stdout)
    assert status["socket"] == str(socket)
    assert not (socket.parent / "unused.sock").exists()
    assert podium("stop").returncode == 0
    assert not socket.exists()
    assert not named.exists()
    assert podium("conductor-status").returncode == exits.NO_CONDUCTOR


def test_the_cli_finds_the_running_conductor_after_its_socket_path_is_changed(
    user_without_socket: tuple[User, Path], tmp_path: Path
) -> None:
    """The conductor says where it listens: a setting changed since (it needs a restart)
    does not hide it from the CLI."""
    podium, socket = user_without_socket
    assert podium("config", "set", "socket.path", str(socket)).returncode == 0
    score = tmp_path / "quick.yaml"
    score.write_text(
        "name: quick\ninstrument: cli\nsheet: {size: 1, total_items: 1}\n"
        "prompt: {template: 'true'}\n"
    )
    run = podium("run", str(score), "--wait")  # starts the conductor in the background
    assert run.returncode == 0, run.stdout + run.stderr
    assert "started the conductor in the background" in run.stderr
    moved = socket.parent / "moved.sock"
    assert podium("config", "set", "socket.path", str(moved)).returncode == 0
    status = json.loads(podium("conductor-status", "--json").stdout)
    assert status["socket"] == str(socket)
    assert json.loads(podium("list", "--all", "--json").stdout)["jobs"][0]["job_id"] == "quick"
    assert podium("stop").returncode == 0
    assert not socket.exists() and not moved.exists()


def test_the_background_log_is_json_lines_naming_the_job(podium: User, tmp_path: Path) -> None:
    score = tmp_path / "quick.yaml"
    score.write_text(
        textwrap.dedent("""
        name: quick
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {size: 1, total_items: 2}
        prompt: {template: "true"}
    """)
    )
    run = podium("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    log = tmp_path / "home" / "conductor.log"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    about = [
        (line.get("sheet"), line["message"].split(" (pid")[0])
        for line in lines
        if line.get("job_id") == "quick"
    ]
    assert (1, "job quick sheet 1 attempt 1 started on cli") in about
    assert (2, "job quick sheet 2 attempt 1 started on cli") in about
    assert (None, "job quick ended") in about


def test_a_second_background_conductor_says_one_already_runs(podium: User) -> None:
    assert podium("start").returncode == 0
    second = subprocess.run(
        [sys.executable, "-m", "podium.conductor.daemon", "--detached"],
        env=podium.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert second.returncode == 3
    assert "error: a conductor is already running (pid" in second.stderr
