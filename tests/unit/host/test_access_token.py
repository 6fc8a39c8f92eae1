import stat
from pathlib import Path

from podium.host.access_token import access_token, same_token, token_path


def test_the_token_is_made_private_once_and_kept(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    first = access_token(state)
    assert len(first) >= 40
    assert stat.S_IMODE(token_path(state).stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(state).stat().st_mode) == 0o700
    assert access_token(state) == first


def test_renew_replaces_the_token(tmp_path: Path) -> None:
    state = str(tmp_path)
    first = access_token(state)
    second = access_token(state, renew=True)
    assert second != first
    assert access_token(state) == second
    assert not [p for p in Path(state).iterdir() if p.name.endswith(".partial")]


def test_an_empty_token_file_gets_a_token(tmp_path: Path) -> None:
    token_path(str(tmp_path)).write_text("\n")
    assert access_token(str(tmp_path))


def test_same_token_compares_whole_values() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abd", "abc")
    assert not same_token("", "abc")
    assert not same_token(None, "abc")
