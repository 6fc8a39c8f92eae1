"""Where the CLI and the conductor look for the socket: PODIUM_SOCKET, else the one the running
conductor named in its socket file, else the default."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from podium.host.locations import (
    _defaults,
    defaults,
    locate,
    read_socket_file,
    remove_socket_file,
    socket_in,
    write_socket_file,
)


def home(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    return {"PODIUM_HOME": str(folder)}


def test_the_socket_is_the_environments_then_the_running_conductors_then_the_default(
    tmp_path: Path,
) -> None:
    env = home(tmp_path)
    default = str(tmp_path / "home" / "run" / "podium.sock")
    assert locate(env).socket == default
    write_socket_file(locate(env).socket_file, "/run/mine.sock")
    assert locate(env).socket == "/run/mine.sock"
    assert locate({**env, "PODIUM_SOCKET": "/run/env.sock"}).socket == "/run/env.sock"
    assert defaults(env).socket == default  # what a conductor starts from: not another's file
    remove_socket_file(locate(env).socket_file)
    assert locate(env).socket == default


def test_a_config_named_explicitly_is_the_config_file_not_a_socket(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("socket: {path: /run/other.sock}\n")
    found = locate(home(tmp_path), config_file=str(other))
    assert (found.config_file, found.socket) == (
        str(other),
        str(tmp_path / "home" / "run" / "podium.sock"),
    )


def test_the_socket_file_is_private_written_whole_and_gone_after_a_clean_stop(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "conductor.socket-path")
    write_socket_file(path, "/run/a b.sock")
    write_socket_file(path, "/run/c.sock")
    assert Path(path).read_bytes() == b"/run/c.sock\n"
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["conductor.socket-path"]  # none left half
    assert read_socket_file(path) == "/run/c.sock"
    remove_socket_file(path)
    remove_socket_file(path)  # already gone: nothing to do
    assert read_socket_file(path) is None


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"relative.sock\n", b"/a.sock\n/b.sock\n", b"/" + b"a" * 5000 + b"\n"],
)
def test_a_socket_file_without_one_absolute_path_names_no_socket(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "conductor.socket-path"
    path.write_bytes(content)
    assert read_socket_file(str(path)) is None


def test_a_socket_file_that_is_a_symbolic_link_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("/run/theirs.sock\n")
    (tmp_path / "conductor.socket-path").symlink_to(target)
    assert read_socket_file(str(tmp_path / "conductor.socket-path")) is None


def test_a_relative_configured_socket_is_taken_from_the_configs_folder() -> None:
    assert socket_in("/etc/podium/conductor.yaml", "run/p.sock") == "/etc/podium/run/p.sock"
    assert socket_in("/etc/podium/conductor.yaml", "/abs.sock") == "/abs.sock"


def test_locating_reads_no_yaml() -> None:
    code = "import sys, podium.host.locations as l; l.locate(); print('yaml' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_on_macos_state_config_and_socket_follow_its_conventions_unless_xdg_says() -> None:
    env = {"HOME": "/Users/ann"}
    support = "/Users/ann/Library/Application Support/podium"
    found = _defaults(env, "darwin")
    assert (found.state_dir, found.config_file, found.socket) == (
        support,
        f"{support}/conductor.yaml",
        "/Users/ann/Library/Caches/TemporaryItems/podium/podium.sock",
    )
    xdg = {**env, "XDG_STATE_HOME": "/s", "XDG_CONFIG_HOME": "/c", "XDG_RUNTIME_DIR": "/r"}
    found = _defaults(xdg, "darwin")
    assert (found.state_dir, found.config_file, found.socket) == (
        "/s/podium",
        "/c/podium/conductor.yaml",
        "/r/podium.sock",
    )
    assert _defaults({**env, "PODIUM_HOME": "/h"}, "darwin").socket == "/h/run/podium.sock"


def test_on_linux_state_and_config_follow_xdg_and_the_socket_a_private_temp_folder() -> None:
    found = _defaults({"HOME": "/home/ann", "TMPDIR": "/var/tmp"}, "linux")
    assert (found.state_dir, found.config_file, found.socket) == (
        "/home/ann/.local/state/podium",
        "/home/ann/.config/podium/conductor.yaml",
        f"/var/tmp/podium-{os.getuid()}/podium.sock",
    )
