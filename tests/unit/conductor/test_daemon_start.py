"""The conductor's entry point answers before it loads the rest: importing it brings in
neither pydantic nor YAML, SQLite, Jinja, the engine, the store or the score reader."""

import subprocess
import sys
from pathlib import Path

from podium.conductor.daemon import PROFILE_NAMES, configured_socket
from podium.config import PROFILES


def test_the_entry_point_imports_none_of_the_heavy_parts() -> None:
    code = (
        "import sys, podium.conductor.daemon; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'yaml', 'sqlite3', 'jinja2', 'psutil') or m.startswith(("
        "'podium.domain.engine', 'podium.store', 'podium.score', 'podium.instruments', "
        "'podium.config', 'podium.runtime.restart', 'podium.conductor.conductor'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_entry_point_offers_the_profiles_the_settings_have() -> None:
    assert sorted(PROFILE_NAMES) == sorted(PROFILES)


def test_the_socket_is_read_from_the_file_before_the_settings_are_checked(
    tmp_path: Path,
) -> None:
    config = tmp_path / "conductor.yaml"
    assert configured_socket(str(config)) is None
    config.write_text("socket: {path: run/here.sock}\nmax_concurrent_jobs: many\n")
    assert configured_socket(str(config)) == "run/here.sock"
    config.write_text("socket: [not, a, mapping\n")
    assert configured_socket(str(config)) is None  # the full reading says what is wrong
