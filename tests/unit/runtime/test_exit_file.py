"""An attempt's exit file: made with room for the status before the attempt starts, written
over in place by the wrapper, read as 'no status yet' while it holds blanks only."""

import subprocess
from pathlib import Path

from podium.runtime.process import EXIT_ROOM, make_exit_file, read_exit_file, wrapped


def test_a_made_exit_file_holds_no_status_until_the_wrapper_writes_one(tmp_path: Path) -> None:
    exit_file = tmp_path / "attempt-1.exit"
    make_exit_file(exit_file)
    assert exit_file.read_bytes() == b" " * EXIT_ROOM
    assert exit_file.stat().st_mode & 0o777 == 0o600
    assert read_exit_file(exit_file) is None
    done = subprocess.run(wrapped(["sh", "-c", "exit 7"], exit_file), check=False)
    assert done.returncode == 7
    assert read_exit_file(exit_file) == 7
    assert exit_file.stat().st_size == EXIT_ROOM  # written over in place, never grown


def test_no_exit_file_and_garbage_are_no_status(tmp_path: Path) -> None:
    assert read_exit_file(tmp_path / "missing.exit") is None
    (tmp_path / "torn.exit").write_text("1x   ")
    assert read_exit_file(tmp_path / "torn.exit") is None
