"""Framing and error codes shared by the server and the client. Standard library only."""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

JSONRPC = "2.0"
MAX_REQUEST_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 64 * 1024 * 1024

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
JOB_NOT_FOUND = -32000
RESOURCE_EXHAUSTED = -32001
"""Resource pressure is high: no new work now; the same request later may succeed."""
JOB_ALREADY_RUNNING = -32002
SHUTTING_DOWN = -32003
JOB_NOT_RESUMABLE = -32004
"""The job's status does not allow the request (pause a finished job, resume a running one)."""
INVALID_SCORE = -32006
PERMISSION_DENIED = -32007

USER_ERROR_CODES = frozenset(
    {
        INVALID_PARAMS,
        JOB_NOT_FOUND,
        RESOURCE_EXHAUSTED,
        JOB_ALREADY_RUNNING,
        SHUTTING_DOWN,
        JOB_NOT_RESUMABLE,
        INVALID_SCORE,
        METHOD_NOT_FOUND,
    }
)
"""Codes that mean the request was wrong or not possible now, rather than a conductor bug."""


def encode(message: dict[str, Any]) -> bytes:
    """One line of UTF-8 JSON. A string that is not valid Unicode (a file name read with
    surrogate escapes) is sent as `\\u` escapes rather than failing the whole message."""
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode() + b"\n"
    except UnicodeEncodeError:
        return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def request(method: str, params: Mapping[str, object], request_id: int) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC, "id": request_id, "method": method, "params": params}


def result(request_id: int | str | None, value: Any) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC, "id": request_id, "result": value}


def error(request_id: int | str | None, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC, "id": request_id, "error": {"code": code, "message": message}}


EVENT = "events.event"
"""The notification that carries one event of a subscription."""
DROPPED = "events.dropped"
"""The last notification of a subscription the conductor gave up on (params: `reason`)."""


def notification(method: str, params: Mapping[str, object]) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC, "method": method, "params": params}
