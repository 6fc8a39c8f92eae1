"""The conductor's end of the socket: same-user peers only, size-capped, typed parameters."""

import asyncio
import logging
import os
import socket
import stat
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from podium.domain.errors import PodiumError, UserError
from podium.host import platform
from podium.ipc.methods import METHODS
from podium.ipc.peers import peer_uid, private_socket_problem
from podium.ipc.protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    MAX_REQUEST_BYTES,
    METHOD_NOT_FOUND,
    PERMISSION_DENIED,
    SHUTTING_DOWN,
    encode,
    error,
    notification,
    result,
)
from podium.ipc.routes import BadParams, Notification, Route, Stream
from podium.ipc.wire import Refusal, read_request, shown, unacceptable
from podium.redact import MIN_SECRET_CHARS, sparing

log = logging.getLogger(__name__)

SHARED_LINES = 4096
"""How many encoded notifications are kept for the subscribers that have not sent them yet."""
STREAM_FAREWELL_SECONDS = 1.0
"""At close, how long streams that were ended are given to send their last words."""


_KNOWN = frozenset(m.name for m in METHODS)
"""The methods of the table: a call of one waits while the server is held; a call of any
other is answered at once (unknown method)."""

_NAMES = frozenset(
    {"job_id", "job_ids", "fleet_id", "parent", "chained_job", "next_job", "score_path", "path"}
    | {"workspace", "workspace_logs", "log_file", "config_file", "state_dir", "repo", "branch"}
)
"""Fields that name a job, a fleet, a file or a folder: a score named `sk-learn-pipeline-…`
looks like a token to the redactor, but its name must reach the user intact (they address the
job by it), in these fields and wherever a reply's text repeats it."""


class RpcServer:
    """Serves the routes on a Unix socket, one JSON-RPC request per line.

    A server made `held` answers only the methods of its first routes (a starting conductor's
    `daemon.status`); a call of any other method of the table waits until the server is
    `open`, or is refused with the reason the conductor gives for not starting (`refuse`).
    Meanwhile `serve` puts the full table in place."""

    def __init__(
        self,
        path: Path,
        routes: Mapping[str, Route],
        error_codes: Sequence[tuple[type[Exception], int]],
        redact: Callable[[str], str] = str,
        *,
        held: bool = False,
    ) -> None:
        """`routes`: the methods served (`podium.ipc.routes.routes`). `redact` masks
        credentials in every reply: results and error messages are what people read,
        whichever method made them."""
        self.path = path
        self._routes = routes
        self._early = frozenset(routes)
        """The methods answered while the server is held."""
        self._open = asyncio.Event()
        if not held:
            self._open.set()
        self._refused: str | None = None
        self.held_calls = 0
        """Calls waiting now for the server to open."""
        self._error_codes = error_codes
        self._redact = redact
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._streaming: set[asyncio.Task[Any]] = set()
        self._lines: OrderedDict[object, bytes] = OrderedDict()
        """The latest notifications sent to several subscribers, encoded."""

    async def start(self) -> None:
        """Bind the socket (mode 0600 in a 0700 folder). The caller holds the pid-file lock,
        so a socket file already there is a stale leftover and is replaced."""
        prepare_socket_dir(self.path.parent)
        self.path.unlink(missing_ok=True)
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=MAX_REQUEST_BYTES
            )
        finally:
            os.umask(old)
        self.path.chmod(0o600)

    def serve(self, routes: Mapping[str, Route]) -> None:
        """Answer with these routes from now on (while held, only the early methods)."""
        self._routes = routes

    def open(self) -> None:
        """Answer every method: the calls that waited go on."""
        self._open.set()

    def refuse(self, reason: str) -> None:
        """The server will not open: the calls that wait, and those to come, are refused
        with `reason` (the early methods are still answered)."""
        self._refused = reason
        self._open.set()

    async def close(self) -> None:
        """Stop listening and hang up on every client (a follower polls on an open
        connection; from Python 3.12 on, `wait_closed` would wait for it forever)."""
        if self._server is not None:
            self._server.close()
            if self._streaming:  # their streams were ended: let them say so before hanging up
                await asyncio.wait(self._streaming, timeout=STREAM_FAREWELL_SECONDS)
            for writer in list(self._connections):
                writer.close()
            await self._server.wait_closed()
            self._server = None
        self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            refusal = self._refusal(writer)
            if refusal is not None:
                writer.write(encode(error(None, PERMISSION_DENIED, refusal)))
                await writer.drain()
                return
            while True:
                try:
                    line = await reader.readline()
                except ValueError:
                    writer.write(
                        encode(
                            error(
                                None,
                                INVALID_REQUEST,
                                f"message larger than {MAX_REQUEST_BYTES} bytes",
                            )
                        )
                    )
                    await writer.drain()
                    return
                if not line:
                    return
                reply, stream = await self._answer(line)
                if reply is not None:
                    writer.write(encode(reply))
                    await writer.drain()
                if stream is not None:
                    await self._pump(stream, reader, writer)
                    return
        except ConnectionError:
            return
        finally:
            self._connections.discard(writer)
            writer.close()

    def _refusal(self, writer: asyncio.StreamWriter) -> str | None:
        return _refusal(writer, self.path)

    async def _answer(self, line: bytes) -> tuple[dict[str, Any] | None, Stream[Any] | None]:
        """The reply to a request line (None for a notification), and the stream that
        follows it, for a method that streams."""
        found = read_request(line)
        if isinstance(found, Refusal):
            return error(found.request_id, found.code, found.message), None
        reply, stream = await self._call(found.method, found.params, found.request_id)
        if not found.has_id and stream is not None:
            stream.close()
            stream = None
        return (reply if found.has_id else None), stream

    async def _pump(
        self, stream: Stream[Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Write the stream's notifications until it ends or the client hangs up (anything
        the client sends meanwhile is read and ignored, so that its hanging up is seen)."""

        async def hang_up() -> None:
            try:
                while await reader.read(MAX_REQUEST_BYTES):
                    pass
            except ConnectionError:
                pass
            stream.close()

        watching = asyncio.create_task(hang_up())
        pumping = asyncio.current_task()
        if pumping is not None:
            self._streaming.add(pumping)
        try:
            while messages := await stream.next():
                writer.write(b"".join(self._encoded(message) for message in messages))
                await writer.drain()
        finally:
            watching.cancel()
            stream.close()
            self._streaming.discard(pumping)

    async def _call(
        self, name: str, params: Any, request_id: Any
    ) -> tuple[dict[str, Any], Stream[Any] | None]:
        """The reply to one request, and for a method that streams, its stream."""
        if name not in self._early and name in _KNOWN:
            if not self._open.is_set():
                self.held_calls += 1
                try:
                    await self._open.wait()
                finally:
                    self.held_calls -= 1
            if self._refused is not None:
                return error(request_id, SHUTTING_DOWN, self._redact(self._refused)), None
        found = self._routes.get(name)
        if found is None:
            return error(
                request_id,
                METHOD_NOT_FOUND,
                f"unknown method {shown(name)}; if the CLI is newer than the conductor, "
                "restart the conductor with 'podium stop && podium start'",
            ), None
        refused = unacceptable(params)
        if refused is not None:
            message = f"bad parameters for '{name}': {refused.message}"
            return error(request_id, refused.code, message), None
        try:
            typed = found.parse(params)
        except BadParams as exc:
            message = f"bad parameters for '{name}': {exc}"
            return error(request_id, INVALID_PARAMS, message), None
        try:
            answer = await found.handler(typed)
        except UserError as exc:
            message = self._spared(str(exc), _names(typed))
            return error(request_id, self._code(exc), message), None
        except Exception as exc:
            log.exception("method %s failed", name)
            message = self._redact(
                f"internal error in '{name}': {type(exc).__name__}: {exc}; "
                "the conductor log has the details"
            )
            return error(request_id, INTERNAL_ERROR, message), None
        stream = answer if found.streams else None
        if stream is not None:
            answer = stream.answer
        return result(request_id, self._masked(answer, _names(typed))), stream

    def _encoded(self, message: Notification) -> bytes:
        """The notification's line, masked; made once for every subscriber it goes to."""
        line = self._lines.get(message.key) if message.key is not None else None
        if line is None:
            params = self._masked(message.params, _names(message.params))
            line = encode(notification(message.method, params))
            if message.key is not None:
                self._lines[message.key] = line
                while len(self._lines) > SHARED_LINES:
                    self._lines.popitem(last=False)
        return line

    def _masked(self, value: Any, names: frozenset[str]) -> Any:
        """`value` with every string of it redacted, sparing the `names` of jobs, fleets and
        files that an object holds in itself and in what it contains (strings too short to
        hold a credential are left as they are: most of a reply is statuses and numbers)."""
        if isinstance(value, str):
            return self._spared(value, names) if len(value) >= MIN_SECRET_CHARS else value
        if isinstance(value, dict):
            names = names | _names(value)
            return {key: self._masked(item, names) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._masked(item, names) for item in value]
        return value

    def _spared(self, text: str, names: frozenset[str]) -> str:
        return sparing(self._redact, text, names)

    def _code(self, exc: Exception) -> int:
        for cls, code in self._error_codes:
            if isinstance(exc, cls):
                return code
        return INTERNAL_ERROR


def _refusal(writer: asyncio.StreamWriter, path: Path) -> str | None:
    """Why the peer may not be served, or None when it is this user (`podium.ipc.peers`)."""
    sock: socket.socket = writer.get_extra_info("socket")
    try:
        uid = peer_uid(sock, platform.mode().peers.way)
    except OSError as exc:
        log.warning("refused a connection: the kernel did not name the peer (%s)", exc)
        return "this conductor cannot tell who is connecting; refused"
    if uid is not None:
        if uid == os.getuid():
            return None
        log.warning("refused a connection from uid %d", uid)
        return "this conductor belongs to another user"
    problem = private_socket_problem(str(path))
    if problem is None:
        return None
    log.warning("refused a connection: %s, so anyone might be connecting", problem)
    return (
        f"{problem}: this conductor cannot tell who is connecting, so it serves nobody until "
        f"the folder is private again ('chmod 700 {path.parent}; chmod 600 {path}')"
    )


def prepare_socket_dir(folder: Path) -> None:
    """Create the socket's folder as 0700, or check that an existing one is private to us."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise PodiumError(
            f"the socket folder {folder} is a symbolic link; refusing to use it "
            "(set PODIUM_SOCKET to a path in a real folder of your own)"
        )
    if info.st_uid != os.getuid():
        raise PodiumError(
            f"the socket folder {folder} belongs to uid {info.st_uid}, not to "
            "you; set PODIUM_SOCKET to a path in a folder of your own"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise PodiumError(
            f"the socket folder {folder} is open to other users (mode "
            f"{mode:o}); make it private with 'chmod 700 {folder}', or set "
            "PODIUM_SOCKET to a path in a private folder"
        )


def _names(fields: Mapping[str, Any]) -> frozenset[str]:
    """The strings an object holds in its fields that name a job, a fleet, a file or a
    folder (one row's own: a list of many jobs is not searched for every name it holds)."""
    found: set[str] = set()
    for key, value in fields.items():
        if key not in _NAMES:
            continue
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(item for item in value if isinstance(item, str))
    return frozenset(found)
