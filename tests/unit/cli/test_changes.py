"""Waiting for changes on the stream: news wakes the waiter, silence lets it sleep, a lost
stream is taken up again, and a conductor older than the stream is asked every second."""

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.cli import changes as changes_module
from podium.cli.changes import Changes
from podium.ipc.client import RemoteError
from podium.ipc.protocol import METHOD_NOT_FOUND, encode, error, notification, result

Script = Callable[[socket.socket, int], None]
"""What the fake conductor does on its n-th connection (after reading the request)."""


@pytest.fixture
def conductor(tmp_path: Path) -> Iterator[Callable[[Script], Path]]:
    """A fake conductor on a private socket, acting out `script` on every connection."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    path = folder / "podium.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    path.chmod(0o600)
    server.listen()

    def start(script: Script) -> Path:
        def serve() -> None:
            for n in range(100):
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.makefile("rb").readline()
                    script(conn, n)

        threading.Thread(target=serve, daemon=True).start()
        return path

    yield start
    server.close()


def answered(conn: socket.socket) -> None:
    conn.sendall(encode(result(1, {"stream": "s", "seq": 0, "replayed": 0, "gap": False})))


def event(conn: socket.socket, seq: int) -> None:
    params = {"seq": seq, "at": 0.0, "kind": "job", "job_id": "j", "data": {}}
    conn.sendall(encode(notification("events.event", params)))


def test_news_wakes_the_waiter_and_silence_does_not(
    conductor: Callable[[Script], Path],
) -> None:
    told = threading.Event()
    hang_up = threading.Event()

    def script(conn: socket.socket, _n: int) -> None:
        answered(conn)
        told.wait(10)
        event(conn, 1)
        event(conn, 2)  # the same step: one wake-up for both
        hang_up.wait(10)

    with Changes(str(conductor(script)), {"job_ids": ["j"]}) as waiting:
        assert waiting.wait(0.05) is False
        told.set()
        assert waiting.wait(10) is True
        assert waiting.wait(0.05) is False
        hang_up.set()


def test_a_lost_stream_counts_as_news_and_is_taken_up_again(
    conductor: Callable[[Script], Path],
) -> None:
    connections: list[int] = []
    stay = threading.Event()

    def script(conn: socket.socket, n: int) -> None:
        connections.append(n)
        answered(conn)
        if n == 0:
            conn.sendall(encode(notification("events.dropped", {"reason": "restarting"})))
            return
        stay.wait(10)

    with Changes(str(conductor(script)), {}) as waiting:
        assert waiting.wait(10) is True  # dropped: whatever happened must be read anew
        assert waiting.wait(10) is True  # subscribed again
        assert waiting.wait(0.05) is False
        stay.set()
    assert connections == [0, 1]


def test_a_conductor_without_the_stream_is_asked_every_second(
    conductor: Callable[[Script], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def script(conn: socket.socket, _n: int) -> None:
        conn.sendall(encode(error(1, METHOD_NOT_FOUND, "unknown method 'events.subscribe'")))

    slept: list[float] = []
    monkeypatch.setattr(changes_module, "sleep", slept.append)
    with Changes(str(conductor(script)), {}) as waiting:
        assert waiting.wait(30) is True
        assert waiting.wait(None) is True
    assert slept == [1.0, 1.0]


def test_any_other_refusal_is_the_users_to_see(conductor: Callable[[Script], Path]) -> None:
    def script(conn: socket.socket, _n: int) -> None:
        conn.sendall(encode(error(1, -32602, "bad parameters")))

    with pytest.raises(RemoteError, match="bad parameters"):
        Changes(str(conductor(script)), {})
