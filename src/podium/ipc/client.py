"""A blocking JSON-RPC client for the conductor's socket, typed by the method table
(`podium.ipc.methods`). Standard library only (not even `pathlib` at run time), so that the CLI
starts fast."""

from __future__ import annotations

import json
import os
import socket

from podium.host import platform
from podium.ipc.lines import Lines
from podium.ipc.peers import own_socket_problem, peer_uid
from podium.ipc.protocol import INTERNAL_ERROR, MAX_RESPONSE_BYTES, encode, request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from podium.ipc.methods import Call, P, R


class ConductorUnavailable(Exception):
    """Nothing answers on the socket."""

    def __init__(self, socket_path: str, reason: str) -> None:
        super().__init__(
            f"the conductor is not running (no answer on {socket_path}: {reason}); "
            "start it with 'podium start'"
        )
        self.socket_path = socket_path


class AnswerLost(ConductorUnavailable):
    """The request was sent whole, and the connection closed before its answer came: the
    conductor stopped, maybe after carrying the request out. Whoever sent it must not take it
    for refused (a submission may have been accepted)."""

    def __init__(self, socket_path: str, method: str, reason: str) -> None:
        Exception.__init__(
            self,
            f"the conductor stopped before answering '{method}' ({reason}); if it was "
            "asked to change something, that may have been done: check with 'podium status' "
            "before asking again",
        )
        self.socket_path = socket_path
        self.method = method


class AnswerLate(AnswerLost):
    """The request was sent whole and no answer came in time: the conductor may be carrying
    it out still (a commit waiting for the disk, a slow worktree), so it may yet be done."""

    def __init__(self, socket_path: str, method: str, timeout: float) -> None:
        Exception.__init__(
            self,
            f"the conductor did not answer '{method}' within {timeout:g}s; if it was asked "
            "to change something, that may have been done, or may be done yet: check with "
            "'podium status' before asking again",
        )
        self.socket_path = socket_path
        self.method = method


class RemoteError(Exception):
    """The conductor answered with a JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConductorClient:
    """One connection to the conductor, opened on first use and reused for every call."""

    def __init__(self, socket_path: str, timeout: float = 30.0) -> None:
        self.socket_path = socket_path
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._lines: Lines | None = None
        self._next_id = 0

    def __enter__(self) -> ConductorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._lines = None

    def connect(self) -> None:
        if self._sock is not None:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self._timeout)
        try:
            sock.connect(self.socket_path)
        except FileNotFoundError:
            sock.close()
            raise ConductorUnavailable(self.socket_path, "no such socket") from None
        except ConnectionRefusedError:
            sock.close()
            raise ConductorUnavailable(self.socket_path, "connection refused") from None
        except OSError as exc:
            sock.close()
            raise ConductorUnavailable(self.socket_path, exc.strerror or str(exc)) from None
        problem = _not_ours(sock, self.socket_path)
        if problem is not None:
            sock.close()
            raise ConductorUnavailable(self.socket_path, f"{problem}; refusing it")
        self._sock = sock
        self._lines = Lines(sock)

    def request(self, call: Call[P, R], timeout: float | None = None) -> R:
        """Send a method of `podium.ipc.methods` with its params (`JOB_STATUS({"job_id": x})`)
        and return its result; raise `RemoteError` for an error reply. `timeout`: seconds to
        wait for the answer (default: the client's)."""
        answer: R = self.call(call.method.name, call.params, timeout)
        return answer

    def call(
        self, method: str, params: Mapping[str, object] | None = None, timeout: float | None = None
    ) -> Any:
        """Send one request by the method's name, untyped: for tests of the wire itself (an
        unknown method, params of the wrong shape). Everything else uses `request`."""
        self.connect()
        assert self._sock is not None
        self._next_id += 1
        self._sock.settimeout(timeout or self._timeout)
        try:
            self._sock.sendall(encode(request(method, params or {}, self._next_id)))
        except OSError as exc:
            # Not sent whole: the conductor cannot have read the request, let alone acted. It
            # may have hung up on purpose, though, saying why first (a refused peer): show that.
            said = self._said_before_hanging_up()
            self.close()
            if said is not None:
                raise said from None
            raise ConductorUnavailable(self.socket_path, str(exc)) from None
        try:
            line = self._readline(MAX_RESPONSE_BYTES + 1)
        except TimeoutError:
            self.close()
            raise AnswerLate(self.socket_path, method, timeout or self._timeout) from None
        except OSError as exc:
            self.close()
            raise AnswerLost(self.socket_path, method, str(exc)) from None
        if not line:
            self.close()
            raise AnswerLost(self.socket_path, method, "the connection was closed")
        if len(line) > MAX_RESPONSE_BYTES:
            self.close()
            raise RemoteError(
                INTERNAL_ERROR,
                f"the answer to '{method}' is larger than {MAX_RESPONSE_BYTES} bytes",
            )
        reply = json.loads(line)
        if "error" in reply:
            raise _remote_error(reply["error"])
        return reply.get("result")

    def detach(self) -> Lines:
        """Give up the connection, with what was read of it past the last reply, to a reader
        of its own (a subscription's stream); this client connects afresh on its next call."""
        assert self._lines is not None
        lines = self._lines
        self._sock = self._lines = None
        return lines

    def _readline(self, limit: int) -> bytes:
        assert self._lines is not None
        return self._lines.readline(limit)

    def _said_before_hanging_up(self) -> RemoteError | None:
        """The error the conductor wrote before closing the connection unread (it refuses a
        peer it may not serve, then hangs up), or None when it wrote nothing whole."""
        assert self._sock is not None
        try:
            self._sock.settimeout(_LAST_WORDS_SECONDS)
            line = self._readline(MAX_RESPONSE_BYTES + 1)
            reply = json.loads(line)
        except (OSError, ValueError):
            return None
        if not isinstance(reply, dict) or not isinstance(reply.get("error"), dict):
            return None
        return _remote_error(reply["error"])


_LAST_WORDS_SECONDS = 1.0
"""How long to wait for what a conductor said before hanging up: it wrote it before closing,
so it is there at once unless the machine is very busy."""


def _remote_error(err: Mapping[str, Any]) -> RemoteError:
    return RemoteError(int(err.get("code", INTERNAL_ERROR)), str(err.get("message")))


def _not_ours(sock: socket.socket, path: str) -> str | None:
    """Why the conductor at the other end may be another user's, or None when it is this
    user's: named by the kernel, or else reached through a socket folder only this user can
    write in (`podium.ipc.peers`)."""
    try:
        owner = peer_uid(sock, platform.mode().peers.way)
    except OSError as exc:
        return f"the kernel did not name the process at the other end ({exc})"
    if owner is None:
        return own_socket_problem(path)
    return None if owner == os.getuid() else f"the socket belongs to uid {owner}, not to you"
