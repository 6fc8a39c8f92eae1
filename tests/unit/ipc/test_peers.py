"""Who is at the other end of the socket: named by the kernel where it can, else vouched for by
a socket folder only this user can reach."""

import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.host import platform
from podium.ipc.client import ConductorClient, ConductorUnavailable
from podium.ipc.peers import own_socket_problem, peer_uid, private_socket_problem, xucred_uid

NOBODY = 65534


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[Path]:
    """A socket (0600) listening in a private folder (0700), as the conductor's is."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    path = folder / "podium.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        path.chmod(0o600)
        server.listen()
        yield path


@pytest.fixture
def by_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process looks at peers as it does under PODIUM_PORTABLE=1 on Linux."""
    probes = platform.Probes(system="linux", procfs=True, pidfd=None, kqueue=False, peercred=True)
    monkeypatch.setattr(platform, "_MODE", platform.decide(probes, force=True))
    assert platform.mode().peers.way == platform.SOCKET_FOLDER


def test_a_private_socket_in_a_private_folder_passes(listening: Path) -> None:
    assert private_socket_problem(str(listening)) is None


@pytest.mark.parametrize(
    ("folder_mode", "socket_mode", "problem"),
    [
        (0o755, 0o600, "the socket folder {folder} is open to other users (mode 755)"),
        (0o700, 0o666, "the socket {socket} is open to other users (mode 666)"),
    ],
)
def test_a_socket_others_can_reach_is_named_with_what_opens_it(
    listening: Path, folder_mode: int, socket_mode: int, problem: str
) -> None:
    listening.parent.chmod(folder_mode)
    listening.chmod(socket_mode)
    assert private_socket_problem(str(listening)) == problem.format(
        folder=listening.parent, socket=listening
    )


def test_the_client_asks_only_that_no_one_else_could_have_put_the_socket_there(
    listening: Path,
) -> None:
    listening.parent.chmod(0o755)
    listening.chmod(0o777)
    assert own_socket_problem(str(listening)) is None
    assert private_socket_problem(str(listening)) is not None
    listening.parent.chmod(0o733)
    assert own_socket_problem(str(listening)) == (
        f"the socket folder {listening.parent} is open to other users (mode 733)"
    )


def test_a_socket_of_another_user_or_none_at_all_is_a_problem(listening: Path) -> None:
    assert private_socket_problem(str(listening), uid=os.getuid() + 1) == (
        f"the socket folder {listening.parent} belongs to uid {os.getuid()}, "
        f"not to uid {os.getuid() + 1}"
    )
    missing = listening.parent / "none.sock"
    assert private_socket_problem(str(missing)) == (
        f"the socket {missing} cannot be looked at (No such file or directory)"
    )


def test_the_kernel_names_the_peer_where_it_can_and_the_folder_way_cannot() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert peer_uid(left, platform.SOCKET_FOLDER) is None
        if hasattr(socket, "SO_PEERCRED"):
            assert peer_uid(left, platform.SO_PEERCRED) == os.getuid()


def test_a_struct_xucred_gives_its_uid_and_an_unknown_version_is_refused() -> None:
    assert xucred_uid(struct.pack("IIh16I", 0, 501, 1, 20, *[0] * 15)) == 501
    with pytest.raises(OSError, match="version 1"):
        xucred_uid(struct.pack("IIh16I", 1, 501, 1, 20, *[0] * 15))


@pytest.mark.usefixtures("by_folder")
def test_without_peer_credentials_the_client_talks_through_a_private_folder_only(
    listening: Path,
) -> None:
    listening.parent.chmod(0o755)
    listening.chmod(0o755)
    with ConductorClient(str(listening)) as client:
        client.connect()  # this user's socket, in a folder only this user can write in
    listening.parent.chmod(0o775)
    with pytest.raises(ConductorUnavailable, match=r"open to other users \(mode 775\); refusing"):
        ConductorClient(str(listening)).connect()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the socket to another user")
@pytest.mark.usefixtures("by_folder")
def test_without_peer_credentials_the_client_refuses_another_users_socket(
    listening: Path,
) -> None:
    os.chown(listening, NOBODY, NOBODY)
    with pytest.raises(ConductorUnavailable, match=f"belongs to uid {NOBODY}, not to uid 0"):
        ConductorClient(str(listening)).connect()
