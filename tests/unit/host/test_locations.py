"""Where the CLI and the conductor look for the socket: PODIUM_SOCKET, else conductor.yaml's
socket.path, else the default."""

import sys
from pathlib import Path

import pytest

from podium.host.locations import configured_socket, locate


def home_with(tmp_path: Path, text: str | None) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    if text is not None:
        (home / "conductor.yaml").write_text(text)
    return {"PODIUM_HOME": str(home)}


def test_the_socket_is_the_environments_then_the_configs_then_the_default(tmp_path: Path) -> None:
    env = home_with(tmp_path, "socket:\n  path: /run/mine.sock\n")
    assert locate(env).socket == "/run/mine.sock"
    assert locate({**env, "PODIUM_SOCKET": "/run/env.sock"}).socket == "/run/env.sock"
    (tmp_path / "home" / "conductor.yaml").unlink()
    assert locate(env).socket == str(tmp_path / "home" / "run" / "podium.sock")


def test_a_config_named_explicitly_gives_its_socket(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("socket: {path: /run/other.sock}\n")
    found = locate(home_with(tmp_path, None), config_file=str(other))
    assert (found.config_file, found.socket) == (str(other), "/run/other.sock")


@pytest.mark.parametrize(
    ("text", "socket"),
    [
        ("socket:\n  path: /a/b.sock  # mine\n", "/a/b.sock"),
        ("log_level: info\nsocket:\n  # where\n  permissions: 0o660\n\n  path: '/a b.sock'\nmax_concurrent_jobs: 2\n", "/a b.sock"),
        ('socket:\n  path: "x.sock"\n', "{dir}/x.sock"),
        ("socket: {path: /flow.sock}\n", "/flow.sock"),
        ("socket:\n  path: null\n", None),
        ("socket:\n  path: ~\n", None),
        ("socket:\nlog_level: debug\n", None),
        ("# socket: {path: /commented.sock}\nlog_level: debug\n", None),
        ("socket: [\n", None),
        ("socket:\n  path: *anchor\n", None),
    ],
)  # fmt: skip
def test_socket_path_is_read_from_the_usual_forms_of_the_file(
    tmp_path: Path, text: str, socket: str | None
) -> None:
    path = tmp_path / "conductor.yaml"
    path.write_text(text)
    expected = socket.format(dir=tmp_path) if socket else None
    assert configured_socket(str(path)) == expected


def test_reading_the_socket_of_a_usual_file_does_not_import_yaml(tmp_path: Path) -> None:
    path = tmp_path / "conductor.yaml"
    path.write_text("max_concurrent_jobs: 3\nsocket:\n  path: /a.sock\n")
    sys.modules.pop("yaml", None)
    try:
        assert configured_socket(str(path)) == "/a.sock"
        assert "yaml" not in sys.modules
    finally:
        import yaml  # noqa: F401 - back for the other tests
