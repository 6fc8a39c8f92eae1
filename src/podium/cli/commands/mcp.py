"""`podium mcp`: serve the conductor's verbs as MCP tools for an agent (Claude Code, Codex,
Gemini CLI, opencode…), over stdio by default, or over streamable HTTP on 127.0.0.1 with the
user's access token (docs/mcp.md).

The MCP SDK is an optional dependency (`pip install 'podium[mcp]'`), imported only here, when
the server starts: `podium status` never pays for it."""

from __future__ import annotations

import argparse

from podium.domain.errors import UserError

DEFAULT_PORT = 8760


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--readonly",
        action="store_true",
        help="offer only the tools that read (list_jobs, job_status, wait_job, job_errors, "
        "job_logs, list_approvals, validate_score): none that submits, pauses, resumes, cancels or "
        "answers",
    )
    p.add_argument(
        "--http",
        action="store_true",
        help="serve MCP's streamable HTTP on 127.0.0.1 (at /mcp) instead of stdio; every "
        "request must carry 'Authorization: Bearer TOKEN', the token kept in the state "
        "folder's web.token",
    )
    p.add_argument(
        "--port",
        type=int,
        metavar="N",
        help=f"with --http: the port to listen on (default {DEFAULT_PORT}; 0: a free one, told)",
    )


def run(args: argparse.Namespace) -> int:
    if args.port is not None and not args.http:
        raise UserError(f"--port goes with --http: 'podium mcp --http --port {args.port}'")
    if args.port is not None and not 0 <= args.port < 65536:
        raise UserError(f"--port must be between 0 and 65535 (0: a free one), got {args.port}")
    try:
        from podium.mcp_server import server  # noqa: PLC0415 - the SDK, for this verb only
    except ModuleNotFoundError as exc:
        raise UserError(
            f"podium mcp needs the MCP SDK, which is not installed here (no module "
            f"'{exc.name}'): pip install 'podium[mcp]'"
        ) from None
    if not args.http:
        server.serve_stdio(args.readonly)
        return 0
    return _serve_http(args)


def _serve_http(args: argparse.Namespace) -> int:
    from podium.host.access_token import access_token, token_path  # noqa: PLC0415
    from podium.host.locations import locate  # noqa: PLC0415
    from podium.mcp_server.http_server import serve_http  # noqa: PLC0415

    state_dir = locate().state_dir
    token = access_token(state_dir)
    port = DEFAULT_PORT if args.port is None else args.port
    serve_http(args.readonly, token, port, str(token_path(state_dir)))
    return 0
