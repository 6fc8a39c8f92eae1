"""Podium's files are its user's alone, and what it keeps for people to read holds no secret:
a real job whose agent prints tokens leaves every file 0600 in 0700 folders, masked copies
wherever people look, and the agent's own files with the user's usual modes."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.testing.conductor import ConductorProcess, kill_leftovers
from tests.e2e.conftest import wait_for
from tests.faults.cli import PODIUM

VARIABLE_SECRET = "tok-Quiet-Harbor-42"
"""A score variable named like a secret, in no well-known token shape."""
SHAPED_SECRET = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"
USER_UMASK = 0o022


class User:
    """Runs `podium` as a shell with umask 022 would, against its own state folder."""

    def __init__(self, home: Path, socket: Path | None = None) -> None:
        self.home = home
        self.env = {**os.environ, "PODIUM_HOME": str(home)}
        if socket is not None:
            self.env["PODIUM_SOCKET"] = str(socket)

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PODIUM, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            stdin=subprocess.DEVNULL,
            umask=USER_UMASK,
        )


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A state folder with a path short enough for its socket to live inside it."""
    home = Path(tempfile.mkdtemp(prefix="ph-")) / "state"
    yield home
    subprocess.run(
        [PODIUM, "stop", "--force"],
        env={**os.environ, "PODIUM_HOME": str(home)},
        check=False,
        capture_output=True,
        timeout=60,
    )
    kill_leftovers(home / "jobs")
    shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="podium-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


SCORE = """
    name: secretive
    instrument: cli
    workspace: {workspace}
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 2, base_delay_seconds: 0.05, max_completion_attempts: 0}}
    prompt:
      variables:
        DEPLOY_TOKEN: "{variable}"
      template: |
        echo "deploying with {{{{ DEPLOY_TOKEN }}}} and {shaped}"
        echo "stderr says {{{{ DEPLOY_TOKEN }}}}" >&2
        echo made > made.txt
        mkdir -p made-dir
        if [ -f second ]; then touch ok.txt; else touch second; exit 1; fi
    validations:
      - type: file_exists
        path: "{{workspace}}/ok.txt"
      - type: command_succeeds
        command: "echo checking {{DEPLOY_TOKEN}} {shaped}"
"""


def _score(tmp_path: Path) -> Path:
    path = tmp_path / "secretive.yaml"
    path.write_text(
        textwrap.dedent(
            SCORE.format(workspace=tmp_path / "ws", variable=VARIABLE_SECRET, shaped=SHAPED_SECRET)
        )
    )
    return path


def _modes_other_than(folder: Path, folder_mode: int, file_mode: int) -> list[str]:
    """What under `folder` has another mode than `folder_mode` (folders) or `file_mode`."""
    wrong = []
    for root, folders, files in os.walk(folder):
        for name, wanted, slash in [(n, folder_mode, "/") for n in folders] + [
            (n, file_mode, "") for n in files
        ]:
            mode = stat.S_IMODE((Path(root) / name).lstat().st_mode)
            if mode != wanted:
                wrong.append(f"{Path(root) / name}{slash} is {mode:o}")
    return wrong


def _not_private(home: Path) -> list[str]:
    wrong = _modes_other_than(home, 0o700, 0o600)
    top = stat.S_IMODE(home.stat().st_mode)
    return wrong if top == 0o700 else [f"{home}/ is {top:o}", *wrong]


def _holding_secrets(paths: list[Path]) -> list[str]:
    return [
        str(path)
        for path in paths
        if VARIABLE_SECRET in path.read_text(errors="replace")
        or SHAPED_SECRET in path.read_text(errors="replace")
    ]


def test_a_real_job_leaves_only_private_files_and_masked_copies(
    short_home: Path, tmp_path: Path
) -> None:
    podium = User(short_home)
    score = _score(tmp_path)
    run = podium("run", str(score), "--no-wait", "--json")
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)["job_id"]
    wait_for(
        lambda: json.loads(podium("status", job, "--json").stdout)["status"] == "completed",
        "the job to complete",
        timeout=30,
    )
    sheet = short_home / "jobs" / job / "sheets" / "1"
    raw = sheet / "attempt-2.stdout.log"
    assert VARIABLE_SECRET in raw.read_text() and SHAPED_SECRET in raw.read_text()
    assert (short_home / "run" / "podium.sock").is_socket()

    assert _not_private(short_home) == []

    kept_for_people = [
        *sheet.glob("attempt-*.prompt"),
        *sheet.glob("attempt-*.result.txt"),
        *(tmp_path / "ws" / "logs").iterdir(),
        short_home / "conductor.log",
    ]
    assert len([p for p in kept_for_people if p.name.endswith(".prompt")]) == 2
    assert _holding_secrets(kept_for_people) == []
    for command in (
        ("status", job),
        ("logs", job),
        ("errors", job),
        ("diagnose", job, "--include-logs"),
        ("history", job),
    ):
        shown = podium(*command)
        assert shown.returncode == 0, shown.stderr
        assert VARIABLE_SECRET not in shown.stdout + shown.stderr, command
        assert SHAPED_SECRET not in shown.stdout + shown.stderr, command
    assert "deploying with [REDACTED] and [REDACTED]" in podium("logs", job).stdout

    # What the agent made in its workspace has the user's umask, not the conductor's.
    assert stat.S_IMODE((tmp_path / "ws" / "made.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "ws" / "made-dir").stat().st_mode) == 0o755


def test_show_prompts_masks_variables_named_like_secrets(tmp_path: Path) -> None:
    podium = User(tmp_path / "home")
    shown = podium("run", str(_score(tmp_path)), "--dry-run", "--show-prompts")
    assert shown.returncode == 0, shown.stderr
    assert 'echo "deploying with [REDACTED] and [REDACTED]"' in shown.stdout
    assert VARIABLE_SECRET not in shown.stdout and SHAPED_SECRET not in shown.stdout
    as_json = podium("run", str(_score(tmp_path)), "--dry-run", "--show-prompts", "--json")
    assert VARIABLE_SECRET not in as_json.stdout
    assert not (tmp_path / "home").exists()  # a dry run needs no conductor


def test_a_state_folder_open_to_others_is_made_private_and_the_user_told(
    tmp_path: Path, socket_dir: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    podium = User(home, socket_dir / "podium.sock")
    try:
        started = podium("start")
        assert started.returncode == 0, started.stderr
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert (
            f"the state folder {home} was open to other users (mode 755); made it private"
            in started.stderr
        )
    finally:
        podium("stop", "--force")


def test_a_conductor_started_on_its_own_makes_its_state_folder_private_and_logs_it(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    with ConductorProcess(home) as conductor:
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert (
            f"the state folder {home} was open to other users (mode 755); made it private"
            in conductor.log
        )


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_state_folder_of_another_user_is_refused(tmp_path: Path, socket_dir: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    os.chown(home, 65534, 65534)
    podium = User(home, socket_dir / "podium.sock")
    started = podium("start")
    assert started.returncode == 2
    assert f"the state folder {home} belongs to uid 65534, not to you" in started.stderr
    assert list(home.iterdir()) == []  # not even conductor.stderr was written there
    daemon = subprocess.run(
        [sys.executable, "-m", "podium.conductor.daemon"],
        env=podium.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert daemon.returncode == 2
    assert "belongs to uid 65534, not to you" in daemon.stderr
    assert list(home.iterdir()) == []


OUTSIDE = """
    name: outside
    instrument: cli
    workspace: {workspace}
    pause_between_sheets_seconds: 0
    sheet: {{size: 1, total_items: 1}}
    retry: {{max_retries: 0}}
    workspace_lifecycle: {{archive_on_fresh: true}}
    concert: {{enabled: true, concert_log_path: story/concert.jsonl}}
    prompt:
      template: |
        echo "said on stdout"
        echo "said on stderr" >&2
        echo made > made.txt
"""


def _not_the_users(folder: Path) -> list[str]:
    """What under `folder` lacks the modes a shell with umask 022 gives."""
    return _modes_other_than(folder, 0o755, 0o644)


def test_what_the_conductor_makes_outside_its_state_folder_has_the_users_modes(
    short_home: Path, tmp_path: Path
) -> None:
    podium = User(short_home)
    outer = tmp_path / "project"
    outer.mkdir(mode=0o755)
    outer.chmod(0o755)
    workspace = outer / "deep" / "ws"
    score = tmp_path / "outside.yaml"
    score.write_text(textwrap.dedent(OUTSIDE.format(workspace=workspace)))

    for args in (("run", str(score), "--wait"), ("run", str(score), "--fresh", "--wait")):
        run = podium(*args)
        assert run.returncode == 0, run.stdout + run.stderr
    wait_for(
        lambda: '"completed"' in (workspace / "story" / "concert.jsonl").read_text(),
        "the concert log to tell of the job's end",
        timeout=30,
    )

    assert (workspace / "logs" / "sheet-01.stdout.log").is_file()
    archived = workspace / "archive" / "iteration-1"
    assert (archived / "logs" / "sheet-01.stderr.log").is_file()
    assert (archived / "story" / "concert.jsonl").is_file()
    assert _not_the_users(outer) == []
    assert _not_private(short_home) == []


def test_a_job_whose_name_looks_like_a_token_is_shown_and_found_by_it(
    short_home: Path, tmp_path: Path
) -> None:
    podium = User(short_home)
    name = "sk-learn-pipeline-tuning"
    score = tmp_path / f"{name}.yaml"
    score.write_text(
        textwrap.dedent(f"""
            name: {name}
            instrument: cli
            workspace: {tmp_path / name}
            sheet: {{size: 1, total_items: 1}}
            prompt: {{template: 'echo "{SHAPED_SECRET}"'}}
        """)
    )
    run = podium("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"job {name} completed" in run.stdout + run.stderr
    listed = podium("list", "--all", "--json")
    assert json.loads(listed.stdout)["jobs"][0]["job_id"] == name
    shown = podium("status", name)
    assert str(score) in shown.stdout and str(tmp_path / name) in shown.stdout
    missing = podium("status", f"{name}-9")
    assert f"no job or fleet '{name}-9'" in missing.stderr
    logs = podium("logs", name)
    assert SHAPED_SECRET not in logs.stdout and "[REDACTED]" in logs.stdout
    told = podium("logs").stdout
    assert f"job {name} ended" in told and "[REDACTED]" not in told


def test_a_setting_written_before_any_start_makes_the_state_folder_private(
    tmp_path: Path, socket_dir: Path
) -> None:
    home = tmp_path / "new" / "home"
    podium = User(home, socket_dir / "podium.sock")
    written = podium("config", "set", "log_level", "debug")
    assert written.returncode == 0, written.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.parent.stat().st_mode) == 0o755
    try:
        started = podium("start")
        assert started.returncode == 0, started.stderr
        assert "open to other users" not in started.stderr
    finally:
        podium("stop", "--force")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_worktree_and_the_exclude_line_it_needs_have_the_users_modes(
    short_home: Path, tmp_path: Path
) -> None:
    podium = User(short_home)
    repo = tmp_path / "repo"
    repo.mkdir(mode=0o755)
    repo.chmod(0o755)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@x", "-C", str(repo), *args],
            capture_output=True,
            check=True,
            umask=USER_UMASK,
        )

    git("init", "-q")
    git("commit", "-q", "--allow-empty", "-m", "start")
    shutil.rmtree(repo / ".git" / "info")  # Podium makes it again for its exclude line
    score = tmp_path / "isolated.yaml"
    score.write_text(
        textwrap.dedent(f"""
            name: isolated
            instrument: cli
            workspace: {repo}/ws
            sheet: {{size: 1, total_items: 1}}
            isolation: {{enabled: true, branch_prefix: podium}}
            prompt: {{template: 'echo built > result.txt'}}
        """)
    )
    run = podium("run", str(score), "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (repo / ".git" / "info" / "exclude").read_text().strip() != ""
    assert _not_the_users(repo / ".git" / "info") == []
    assert stat.S_IMODE((repo / ".git" / "info").stat().st_mode) == 0o755
    assert _not_private(short_home) == []
