"""A TCP socket bound before a server is handed it (`podium web`, `podium mcp --http`): a port
in use is then a clear error of Podium's, and port 0 picks a free one that can be told."""

import asyncio
import errno
import socket
from typing import TYPE_CHECKING

from podium.domain.errors import UserError

if TYPE_CHECKING:
    import uvicorn


def bind(host: str, port: int, *, who: str) -> socket.socket:
    """A socket listening on `host`:`port` (0: a free port). `who` names the program that may
    hold the port already (in the error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise UserError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            + (
                f"; another program (another '{who}'?) has it: --port N picks another"
                if exc.errno == errno.EADDRINUSE
                else ""
            )
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve_on(sock: socket.socket, config: "uvicorn.Config") -> None:
    """Serve `config`'s app on `sock` until Ctrl-C, then close the socket."""
    import uvicorn  # noqa: PLC0415 - imported by the commands that serve alone

    try:
        asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
