"""`podium mcp --http`: the same server over MCP's streamable HTTP, on 127.0.0.1 alone, and
only for whoever holds the user's access token (`podium.host.access_token`): every request
must carry `Authorization: Bearer TOKEN`, or it is refused with 401 before the SDK sees it."""

from __future__ import annotations

import json
import sys
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from podium.host.access_token import same_token
from podium.host.listening import bind, serve_on
from podium.mcp_server.server import build

HOST = "127.0.0.1"
PATH = "/mcp"


class BearerGuard:
    """An ASGI app that lets through only HTTP requests bearing `token`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not same_token(_bearer(scope), self._token):
            await _unauthorized(send)
            return
        await self._app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    """The token of the request's `Authorization: Bearer …` header, if it has one."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, given = value.decode("latin-1").partition(" ")
            return given.strip() if kind.lower() == "bearer" else None
    return None


async def _unauthorized(send: Send) -> None:
    body = json.dumps(
        {
            "error": "this MCP server needs 'Authorization: Bearer TOKEN', with the token in the "
            "state folder's web.token (see docs/mcp.md)"
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="podium"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def app(readonly: bool, token: str) -> Any:
    """The ASGI app: the server's streamable HTTP endpoint at `/mcp`, behind the token."""
    server = build(readonly)
    return BearerGuard(server.streamable_http_app(streamable_http_path=PATH, host=HOST), token)


def serve_http(readonly: bool, token: str, port: int, token_file: str) -> None:
    """Serve until interrupted. The port is taken first (0: a free one), then told."""
    sock = bind(HOST, port, who="podium mcp --http")
    port = sock.getsockname()[1]
    print(
        f"podium mcp: serving MCP at http://{HOST}:{port}{PATH}; every request needs "
        f"'Authorization: Bearer TOKEN' (the token is in {token_file})",
        file=sys.stderr,
        flush=True,
    )
    serve_on(sock, uvicorn.Config(app(readonly, token), log_level="warning"))
