"""A proxy that lets nothing through: every request is refused with 403 and its target noted.

Agent CLIs run with `HTTPS_PROXY`/`HTTP_PROXY` pointing here (and `NO_PROXY=127.0.0.1,localhost`),
so a call to any host but the scripted provider is refused on loopback instead of leaving the
machine, and shows up in `attempts` ("host:port" for CONNECT, the absolute URL otherwise).
"""

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REFUSAL = b"refused by the scripted provider's trap proxy: nothing leaves 127.0.0.1\n"


class TrapServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """Connections waiting to be accepted: several CLIs retrying at once overflow the default 5."""
    block_on_close = False

    def __init__(self, port: int, record: Callable[[str], None]) -> None:
        super().__init__(("127.0.0.1", port), _TrapHandler)
        self.record = record


class _TrapHandler(BaseHTTPRequestHandler):
    server: TrapServer

    def _refuse(self) -> None:
        target = self.path
        if not target.startswith(("http://", "https://")) and self.command != "CONNECT":
            target = f"http://{self.headers.get('Host', '?')}{self.path}"
        self.server.record(target)
        self.close_connection = True
        try:
            self.send_response(403, "Forbidden by trap")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(REFUSAL)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(REFUSAL)
        except OSError:
            return

    do_CONNECT = do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the attempts list is the log."""


class Attempts:
    """The targets asked of the trap, in order; safe to read while the trap runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: list[str] = []

    def record(self, target: str) -> None:
        with self._lock:
            self._targets.append(target)

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self._targets)
