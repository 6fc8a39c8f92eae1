"""The scripted provider: an HTTP server on 127.0.0.1 that plays scenarios for agent CLIs.

It forwards nothing, ever: every reply is made here from the request and the scenario in its
path. Requests are kept in memory (`requests()`) and, with `log_path`, appended as JSON lines.
"""

import contextlib
import gzip
import json
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from podium.testing.provider.apis import APIS, side_reply
from podium.testing.provider.routes import Route, route
from podium.testing.provider.scenario import (
    DELAYS,
    ERRORS,
    Scenario,
    ScenarioError,
    format_scenario,
    parse_scenario,
    split_path,
)
from podium.testing.provider.script import call_move, choose_move
from podium.testing.provider.trap import Attempts, TrapServer
from podium.testing.provider.turn import JSON, Turn

_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """One request the provider answered, as logged.

    `status` is the HTTP status sent (0 when a `stall` left a non-streaming request without
    any reply); `scenario` is the exact path prefix and `tag` its `tag=` setting.
    """

    at: float
    api: str
    path: str
    status: int
    stream: bool
    model: str
    tools: tuple[str, ...]
    scenario: str = ""
    tag: str | None = None
    user_agent: str = ""
    tool_results: tuple[str, ...] = ()
    """What the agent's tools answered the model's earlier calls, as the request carries it."""


class ScriptedProvider:
    """A scripted model provider on loopback, and its trap proxy; use it as a context manager."""

    def __init__(self, log_path: Path | str | None = None, port: int = 0, trap_port: int = 0):
        self.log_path = Path(log_path) if log_path is not None else None
        self._ports = (port, trap_port)
        self._lock = threading.Lock()
        self._requests: list[ProviderRequest] = []
        self._counters: dict[str, tuple[int, float]] = {}
        self._attempts = Attempts()
        self.stopping = threading.Event()
        self._servers: list[ThreadingHTTPServer] = []

    def start(self) -> "ScriptedProvider":
        """Bind both ports on 127.0.0.1 and serve in background threads."""
        if self._servers:
            return self
        self.stopping.clear()
        provider = _ProviderServer(self._ports[0], self)
        try:
            trap = TrapServer(self._ports[1], self._attempts.record)
        except OSError:
            provider.server_close()
            raise
        self._servers = [provider, trap]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving; replies held by `slow` or `stall` end at once."""
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> "ScriptedProvider":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port(0)}"

    @property
    def trap_url(self) -> str:
        return f"http://127.0.0.1:{self._port(1)}"

    def base_url(self, scenario: str, **settings: object) -> str:
        """The base URL that plays `scenario`: `base_url("429", retry_after=3, tag="t2")`."""
        prefix = format_scenario(scenario, **settings)
        parse_scenario(prefix)
        return f"{self.url}/s/{prefix}"

    def requests(self, tag: str | None = None) -> list[ProviderRequest]:
        """The requests answered so far, oldest first; only those of `tag` if given."""
        with self._lock:
            return [r for r in self._requests if tag is None or r.tag == tag]

    @property
    def trap_attempts(self) -> list[str]:
        """Targets asked of the trap proxy: "host:port" for CONNECT, else the absolute URL."""
        return self._attempts.snapshot()

    def count(self, prefix: str) -> tuple[int, float]:
        """Count a model call with this exact prefix: its 0-based number, seconds since the 1st."""
        now = time.monotonic()
        with self._lock:
            seen, first = self._counters.get(prefix, (0, now))
            self._counters[prefix] = (seen + 1, first)
        return seen, now - first

    def record(self, request: ProviderRequest) -> None:
        with self._lock:
            self._requests.append(request)
            if self.log_path is not None:
                with self.log_path.open("a") as log:
                    log.write(json.dumps(asdict(request)) + "\n")

    def _port(self, index: int) -> int:
        if not self._servers:
            raise RuntimeError("the scripted provider is not started; call start() or use `with`")
        return int(self._servers[index].server_address[1])


class _ProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """Connections waiting to be accepted: several CLIs retrying at once overflow the default 5."""
    block_on_close = False

    def __init__(self, port: int, provider: ScriptedProvider) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.provider = provider


class _Handler(BaseHTTPRequestHandler):
    server: _ProviderServer
    protocol_version = "HTTP/1.1"
    server_version = "podium-scripted-provider/1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests are logged as ProviderRequest records."""

    def _serve(self) -> None:
        raw = self._read_body()
        try:
            scenario, api_path = split_path(self.path)
        except ScenarioError as error:
            self._record(Route("unknown"), 404)
            return self._send_json(404, {"error": {"message": str(error), "code": 404}})
        found = route(self.command, api_path)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if found is None or not isinstance(body, Mapping):
            what = "no such endpoint" if found is None else "the body is not a JSON object"
            status = 404 if found is None else 400
            self._record(found or Route("unknown"), status, scenario=scenario)
            message = f"{what}: {self.command} {api_path}"
            return self._send_json(status, {"error": {"message": message, "code": status}})
        if not found.is_model_call:
            self._record(found, 200, scenario=scenario)
            return self._send_json(200, side_reply(found, body, api_path))
        return self._model_call(scenario, found, body)

    def _model_call(self, scenario: Scenario, found: Route, body: Mapping[str, JSON]) -> None:
        api = APIS[found.api]
        try:
            turn = api.read_turn(body, found)
        except (AttributeError, TypeError, KeyError, IndexError) as error:
            self._record(found, 400, scenario=scenario)
            message = f"the {found.api} request body has an unexpected shape ({error!r})"
            return self._send_json(400, {"error": {"message": message, "code": 400}})
        behaviour = scenario.behaviour(*self.server.provider.count(self._prefix))
        if behaviour in ERRORS:
            failure = api.failure(behaviour, scenario.retry_after)
            self._record(found, failure.status, turn, scenario)
            return self._send_json(failure.status, failure.body, failure.headers)
        if behaviour == "stall":
            self._record(found, 200 if turn.stream else 0, turn, scenario)
            frames = api.events(choose_move("text", turn, "", ""), turn) if turn.stream else []
            return self._stall(frames, scenario.delay)
        then = scenario.then if behaviour in DELAYS else behaviour
        move = (
            call_move(turn, scenario.tools, scenario.arguments)
            if then == "call"
            else choose_move(then, turn, scenario.file, scenario.content, scenario.say)
        )
        self._record(found, 200, turn, scenario)
        if behaviour == "slow" and self.server.provider.stopping.wait(scenario.delay):
            return None
        if turn.stream:
            return self._send_events(api.events(move, turn))
        return self._send_json(200, api.reply(move, turn))

    def _record(
        self,
        found: Route,
        status: int,
        turn: Turn | None = None,
        scenario: Scenario | None = None,
    ) -> None:
        self.server.provider.record(
            ProviderRequest(
                at=time.time(),
                api=found.api,
                path=self.path,
                status=status,
                stream=turn.stream if turn else False,
                model=turn.model if turn else found.model,
                tools=turn.tool_names if turn else (),
                scenario=self._prefix if scenario else "",
                tag=scenario.tag if scenario else None,
                user_agent=self.headers.get("User-Agent", ""),
                tool_results=turn.tool_results if turn else (),
            )
        )

    @property
    def _prefix(self) -> str:
        """The exact scenario segment of the path: requests with equal ones share counters."""
        return self.path.split("/")[2]

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
        return raw

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _send_json(self, status: int, body: JSON, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        with contextlib.suppress(*_DISCONNECTS):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def _start_events(self) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

    def _send_events(self, frames: list[bytes]) -> None:
        with contextlib.suppress(*_DISCONNECTS):
            self._start_events()
            for frame in frames:
                self.wfile.write(frame)
            self.wfile.flush()

    def _stall(self, frames: list[bytes], seconds: float) -> None:
        """Send the first event of a stream, hold it open for `seconds`, close it unfinished."""
        self.close_connection = True
        with contextlib.suppress(*_DISCONNECTS):
            if frames:
                self._start_events()
                self.wfile.write(frames[0])
                self.wfile.flush()
            self.server.provider.stopping.wait(seconds)
