"""The MCP server: the tools of `podium.mcp_server.catalog` and the resources of
`podium.mcp_server.resources`, on the SDK's low-level server, served over stdio.

Every tool and resource asks the conductor through the blocking IPC client, so each call runs
in a worker thread: the server keeps answering (pings, other calls) meanwhile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from podium import __version__
from podium.ipc.client import ConductorUnavailable, RemoteError
from podium.ipc.methods import JOB_LIST
from podium.mcp_server import resources
from podium.mcp_server.answers import Answer, ToolRefused, structured
from podium.mcp_server.catalog import ToolSpec, offered

INSTRUCTIONS = """\
Podium's conductor runs jobs: scores of sheets done by command-line tools and AI agents.
list_jobs and job_status say how they stand, wait_job waits until one ends or needs someone;
job_errors says why a sheet failed, job_logs what its attempts printed. pause_job, resume_job
and cancel_job control a job; run_score submits a score (dry_run=true shows its plan).
Paths are relative to the folder this server runs in."""

RESOURCE_NOT_FOUND = -32002
"""The JSON-RPC error code MCP gives a resource that does not exist."""
INTERNAL_ERROR = -32603


def build(readonly: bool) -> Server[Any]:
    """The server, with every tool (only the reading ones with `readonly`)."""
    tools = {t.name: t for t in offered(readonly)}

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(t) for t in tools.values()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = tools.get(params.name)
        if spec is None:
            return _error(f"no tool {params.name!r}; podium has {', '.join(tools)}")
        return await anyio.to_thread.run_sync(_call, spec, params.arguments or {})

    return Server(
        "podium",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=_list_resources,
        on_list_resource_templates=_list_templates,
        on_read_resource=_read_resource,
    )


def _tool(spec: ToolSpec[Any]) -> types.Tool:
    hints = types.ToolAnnotations(
        read_only_hint=spec.reads,
        destructive_hint=None if spec.reads else spec.destroys,
        open_world_hint=False,
    )
    return types.Tool(
        name=spec.name,
        description=spec.description,
        input_schema=spec.input_schema,
        annotations=hints,
    )


def _call(spec: ToolSpec[Any], arguments: Mapping[str, object]) -> types.CallToolResult:
    try:
        answer: Answer = spec.call(arguments)
    except ToolRefused as exc:
        return _error(str(exc))
    return types.CallToolResult(
        content=[types.TextContent(text=answer.text)], structured_content=structured(answer)
    )


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


async def _list_resources(
    ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
) -> types.ListResourcesResult:
    """Each active job's view (none when no conductor answers)."""
    try:
        found = await anyio.to_thread.run_sync(_active_jobs)
    except (ConductorUnavailable, RemoteError):
        found = []
    listed = [
        types.Resource(
            uri=resources.job_uri(job_id),
            name=job_id,
            description=f"job {job_id}: {resources.JOB.description}",
            mime_type="text/plain",
        )
        for job_id in found
    ]
    return types.ListResourcesResult(resources=listed)


def _active_jobs() -> list[str]:
    from podium.cli.connect import client  # noqa: PLC0415 - in the worker thread

    with client() as conductor:
        return [j["job_id"] for j in conductor.request(JOB_LIST({"limit": 100}))["jobs"]]


async def _list_templates(
    ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
) -> types.ListResourceTemplatesResult:
    templates = [
        types.ResourceTemplate(
            uri_template=t.uri_template,
            name=t.name,
            description=t.description,
            mime_type="text/plain",
        )
        for t in resources.TEMPLATES
    ]
    return types.ListResourceTemplatesResult(resource_templates=templates)


async def _read_resource(
    ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
) -> types.ReadResourceResult:
    try:
        text = await anyio.to_thread.run_sync(resources.read, params.uri)
    except (ToolRefused, RemoteError) as exc:  # no such resource, no such job
        raise MCPError(RESOURCE_NOT_FOUND, str(exc)) from None
    except ConductorUnavailable as exc:
        raise MCPError(INTERNAL_ERROR, str(exc)) from None
    contents = types.TextResourceContents(uri=params.uri, mime_type="text/plain", text=text)
    return types.ReadResourceResult(contents=[contents])


def serve_stdio(readonly: bool) -> None:
    """Serve MCP on this process's stdin and stdout until the client hangs up."""
    server = build(readonly)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
