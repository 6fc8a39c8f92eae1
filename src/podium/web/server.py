"""`podium web` serving: the socket bound first (so a port in use is a clear error and port 0
picks a free one), the link printed, then uvicorn until Ctrl-C."""

from __future__ import annotations

import ipaddress
import threading
import webbrowser
from dataclasses import dataclass

import uvicorn

from podium.domain.errors import UserError
from podium.host.listening import bind, serve_on
from podium.web.app import WebSettings, create_app
from podium.web.security import LOOPBACK_HOSTS, Guard, base_url, link


@dataclass(frozen=True, slots=True)
class Serve:
    host: str
    port: int
    socket: str
    """The conductor's socket."""
    token: str
    allow_remote: bool = False
    readonly: bool = False
    open_browser: bool = False


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(options: Serve) -> None:
    if not is_loopback(options.host) and not options.allow_remote:
        raise UserError(
            f"--host {options.host} would let other machines reach the dashboard; add "
            "--allow-remote to mean it (every request still needs the token; put TLS in front "
            "of it, or use an ssh tunnel to 127.0.0.1 instead)"
        )
    sock = bind(options.host, options.port, who="podium web")
    port = sock.getsockname()[1]
    url = link(base_url(options.host, port), options.token)
    hosts = None if options.allow_remote else frozenset(LOOPBACK_HOSTS)
    app = create_app(
        WebSettings(options.socket, Guard(options.token, hosts), readonly=options.readonly)
    )
    print(f"Podium dashboard: {url}", flush=True)
    print("(the link holds your access token: do not share it; Ctrl-C stops)", flush=True)
    if options.open_browser:
        threading.Timer(0.3, webbrowser.open, args=(url,)).start()
    serve_on(sock, uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
