"""`podium web`: the dashboard in a browser: every job live, with its sheets' graph, its
attempts' timeline, their output and costs, the questions waiting for a person, and the
actions of the CLI (docs/web.md).

It is a process of its own, apart from the conductor, which it asks over the socket like any
client; Starlette and uvicorn are imported only here."""

from __future__ import annotations

import argparse

from podium.cli import exits
from podium.host.access_token import access_token, token_path
from podium.host.locations import locate


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port", type=int, default=8765, help="the port to listen on (8765; 0: any free one)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (127.0.0.1); another than loopback needs --allow-remote",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="let --host be an address other machines reach (every request still needs the token)",
    )
    p.add_argument("--open", action="store_true", help="open the dashboard in your browser")
    p.add_argument(
        "--readonly", action="store_true", help="watch only: pages, but no action is served"
    )
    p.add_argument(
        "--new-token",
        action="store_true",
        help="make a new access token first: links and cookies given out before stop working",
    )
    p.add_argument(
        "--print-url",
        action="store_true",
        help="print the dashboard's link (with its token) and exit, without serving",
    )


def run(args: argparse.Namespace) -> int:
    locations = locate()
    token = access_token(locations.state_dir, renew=args.new_token)
    if args.print_url:
        from podium.web.security import base_url, link  # noqa: PLC0415 - this flag only

        print(link(base_url(args.host, args.port), token))
        print(f"(the token is kept in {token_path(locations.state_dir)})")
        return exits.OK
    from podium.web.server import Serve, serve  # noqa: PLC0415 - Starlette and uvicorn

    serve(
        Serve(
            host=args.host,
            port=args.port,
            socket=locations.socket,
            token=token,
            allow_remote=args.allow_remote,
            readonly=args.readonly,
            open_browser=args.open,
        )
    )
    return exits.OK
