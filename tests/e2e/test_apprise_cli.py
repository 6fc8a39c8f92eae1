"""Apprise as a user meets it: `validate` locates what apprise cannot read and says how to
install it, never printing a URL; and only a score that uses it imports it."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import User

pytest.importorskip("apprise")

SCORE = """\
name: pushed
workspace: ./ws
instrument: cli
sheet: {size: 1, total_items: 1}
prompt: {template: 'true'}
notifications:
"""
APPRISE = """\
  - type: apprise
    config:
      urls:
        - ntfy://podium-alerts
        - tgram://secret-bot-token-1
"""
WEBHOOK = "  - {type: webhook, config: {url: 'http://127.0.0.1:9/hook'}}\n"


def imported(args: list[str], home: Path) -> set[str]:
    """The top-level packages Python imports to run `args` (after `python -X importtime`)."""
    env = {**os.environ, "PODIUM_HOME": str(home), "PODIUM_SOCKET": str(home / "none.sock")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    rows = [line.rsplit("|", 1)[-1] for line in done.stderr.splitlines() if "|" in line]
    return {row.strip().split(".")[0] for row in rows}


@pytest.mark.timeout(180)  # four interpreters start, one reads apprise's hundred plugins
def test_apprise_is_imported_only_when_a_score_uses_it(tmp_path: Path) -> None:
    plain, pushed = tmp_path / "plain.yaml", tmp_path / "pushed.yaml"
    plain.write_text(SCORE + WEBHOOK)
    pushed.write_text(SCORE + APPRISE)
    cli = ["-m", "podium.cli.main"]
    assert "apprise" not in imported([*cli, "status"], tmp_path)
    assert "apprise" not in imported([*cli, "validate", str(plain)], tmp_path)
    daemon = "import podium.conductor.daemon, podium.conductor.conductor"
    assert "apprise" not in imported(["-c", daemon], tmp_path)
    assert "apprise" in imported([*cli, "validate", str(pushed)], tmp_path)


def test_validate_locates_a_url_apprise_cannot_read_without_printing_it(
    podium: User, tmp_path: Path
) -> None:
    score = tmp_path / "pushed.yaml"
    score.write_text(SCORE + APPRISE)
    checked = podium("validate", str(score))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    said = checked.stdout + checked.stderr
    assert f"{score}:11:" in said
    assert "P009" in said and "apprise cannot read this tgram:// URL" in said
    assert "secret-bot-token-1" not in said and "podium-alerts" not in said


def test_validate_without_apprise_gives_the_command_that_installs_it(tmp_path: Path) -> None:
    score = tmp_path / "pushed.yaml"
    score.write_text(SCORE + APPRISE)
    without = textwrap.dedent(f"""
        import sys
        sys.modules["apprise"] = None  # as where it is not installed
        from podium.cli.main import main
        sys.exit(main(["validate", {str(score)!r}]))
    """)
    env = {**os.environ, "PODIUM_HOME": str(tmp_path / "home")}
    checked = subprocess.run(
        [sys.executable, "-c", without],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    said = checked.stdout + checked.stderr
    assert checked.returncode == 1, said
    assert f"{score}:7:" in said and "P008" in said
    assert f"install it with: {sys.executable} -m pip install 'podium[apprise]'" in said
    assert "secret-bot-token-1" not in said
