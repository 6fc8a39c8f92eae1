"""Podium's own files are created private, and its state folder is made private or refused."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.host.private import (
    NotPrivate,
    make_private,
    make_private_dir,
    make_user_dir,
    open_for_user,
    open_private,
    secure_state_dir,
)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The helpers must not rely on the conductor's umask."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_folders_are_created_private_down_the_whole_path(tmp_path: Path) -> None:
    make_private_dir(tmp_path / "a" / "b" / "c")
    assert [_mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3


def test_an_existing_folder_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir(mode=0o755)
    make_private_dir(tmp_path / "mine")
    assert _mode(tmp_path / "mine") == 0o755


@pytest.fixture
def conductor_umask(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As in the conductor: umask 077 now, the user's 027 kept from the start."""
    monkeypatch.setattr("podium.host.private._started_with", 0o027)
    old = os.umask(0o077)
    yield
    os.umask(old)


@pytest.mark.usefixtures("conductor_umask")
def test_folders_of_the_user_get_the_users_modes_not_the_conductors(tmp_path: Path) -> None:
    make_user_dir(tmp_path / "a" / "b")
    assert [_mode(tmp_path / p) for p in ("a", "a/b")] == [0o750] * 2
    (tmp_path / "kept").mkdir(mode=0o700)
    make_user_dir(tmp_path / "kept")
    assert _mode(tmp_path / "kept") == 0o700


@pytest.mark.usefixtures("conductor_umask")
def test_a_folder_of_the_user_keeps_the_setgid_bit_of_a_shared_parent(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared").chmod(0o2775)
    make_user_dir(tmp_path / "shared" / "ws" / "logs")
    assert [_mode(tmp_path / "shared" / p) for p in ("ws", "ws/logs")] == [0o2750] * 2


@pytest.mark.usefixtures("conductor_umask")
def test_a_new_file_of_the_user_gets_the_users_modes_an_existing_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    os.close(open_for_user(tmp_path / "new", os.O_WRONLY))
    assert _mode(tmp_path / "new") == 0o640
    (tmp_path / "old").write_text("kept\n")
    (tmp_path / "old").chmod(0o604)
    fd = open_for_user(tmp_path / "old", os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"more\n")
    os.close(fd)
    assert _mode(tmp_path / "old") == 0o604
    assert (tmp_path / "old").read_text() == "kept\nmore\n"


def test_a_file_is_opened_private_and_an_open_one_of_ours_is_made_private(tmp_path: Path) -> None:
    os.close(open_private(tmp_path / "new", os.O_WRONLY))
    old = tmp_path / "old"
    old.write_text("x")
    old.chmod(0o644)
    os.close(open_private(old, os.O_WRONLY | os.O_APPEND))
    assert (_mode(tmp_path / "new"), _mode(old)) == (0o600, 0o600)
    old.chmod(0o664)
    make_private(old)
    assert _mode(old) == 0o600


@pytest.mark.usefixtures("conductor_umask")
def test_folders_made_above_a_missing_state_folder_are_the_users(tmp_path: Path) -> None:
    assert secure_state_dir(str(tmp_path / "local" / "state" / "podium")) is None
    assert [_mode(tmp_path / p) for p in ("local", "local/state")] == [0o750] * 2
    assert _mode(tmp_path / "local" / "state" / "podium") == 0o700


def test_a_missing_state_folder_is_created_private(tmp_path: Path) -> None:
    assert secure_state_dir(str(tmp_path / "state")) is None
    assert _mode(tmp_path / "state") == 0o700


def test_a_state_folder_open_to_others_is_tightened_and_its_old_mode_returned(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert secure_state_dir(str(folder)) == 0o755
    assert _mode(folder) == 0o700
    assert secure_state_dir(str(folder)) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_state_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    os.chown(folder, 65534, 65534)
    with pytest.raises(NotPrivate, match="belongs to uid 65534, not to you"):
        secure_state_dir(str(folder))
    assert _mode(folder) == 0o755
