"""The client tells a conductor that hung up on purpose, saying why, from one that is gone."""

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.ipc.client import ConductorClient, ConductorUnavailable, RemoteError
from podium.ipc.methods import DAEMON_STATUS
from podium.ipc.protocol import PERMISSION_DENIED, encode, error

Farewell = Callable[[bytes], Path]


@pytest.fixture
def hanging_up(tmp_path: Path) -> Iterator[Farewell]:
    """A private socket whose server writes what it is given to the first connection and
    closes it without reading anything."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    path = folder / "podium.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    path.chmod(0o600)
    server.listen()
    words = b""

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(words)

    def start(said: bytes) -> Path:
        nonlocal words
        words = said
        threading.Thread(target=serve, daemon=True).start()
        return path

    yield start
    server.close()


LARGE = {"padding": "x" * (1 << 20)}
"""Parameters larger than a socket's buffers: the request cannot be sent whole before the
server hangs up, so the client meets EPIPE whatever the timing."""


def test_a_refusal_written_before_the_hang_up_is_shown_not_taken_for_no_conductor(
    hanging_up: Farewell,
) -> None:
    refusal = "the socket folder is open to other users: chmod 700 it"
    path = hanging_up(encode(error(None, PERMISSION_DENIED, refusal)))
    with ConductorClient(str(path), timeout=5) as client, pytest.raises(RemoteError) as caught:
        client.call(DAEMON_STATUS.name, LARGE)
    assert caught.value.code == PERMISSION_DENIED
    assert caught.value.message == refusal


@pytest.mark.parametrize("words", [b"", b"not json\n", json.dumps({"result": 1}).encode() + b"\n"])
def test_a_hang_up_without_an_error_is_no_conductor(hanging_up: Farewell, words: bytes) -> None:
    path = hanging_up(words)
    with (
        ConductorClient(str(path), timeout=5) as client,
        pytest.raises(ConductorUnavailable, match="not running"),
    ):
        client.call(DAEMON_STATUS.name, LARGE)
