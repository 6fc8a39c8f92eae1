"""What a request line must be before any method sees it: JSON of bounded depth without lone
surrogates, a JSON-RPC 2.0 envelope with a sane id, and parameters whose numbers fit.

Every check answers with the JSON-RPC error a client can act on; nothing here raises past
`read_request`, so a malformed line never costs the connection its reply.
"""

import json
import math
from dataclasses import dataclass
from typing import Any

from podium.ipc.protocol import INVALID_PARAMS, INVALID_REQUEST, JSONRPC, PARSE_ERROR

MAX_DEPTH = 32
"""The deepest nesting of arrays and objects a request may have (real ones use four)."""
MAX_ID = 2**53
"""Ids are integers a JavaScript client can hold exactly, or strings, or null."""
MAX_ID_CHARS = 200
MAX_INT = 2**63 - 1
"""No parameter is a larger number than SQLite or a timer can take."""
SHOWN_CHARS = 80


@dataclass(frozen=True, slots=True)
class Request:
    """A well-formed request; `request_id` is absent (`has_id` False) for a notification."""

    method: str
    params: Any
    request_id: int | str | None
    has_id: bool


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a line is not a request, as the JSON-RPC error to answer with."""

    code: int
    message: str
    request_id: int | str | None = None


def read_request(line: bytes) -> Request | Refusal:
    """The request a line holds, or why it is refused."""
    try:
        message = json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        return Refusal(PARSE_ERROR, f"not JSON Podium accepts: nested deeper than {MAX_DEPTH}")
    except (ValueError, UnicodeDecodeError) as exc:
        # ValueError: JSONDecodeError, and numbers longer than Python converts (4300 digits).
        return Refusal(PARSE_ERROR, f"not JSON: {exc}")
    problem = _unreadable(message)
    if problem is not None:
        return Refusal(PARSE_ERROR, f"not JSON Podium accepts: {problem}")
    return _envelope(message)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _envelope(message: Any) -> Request | Refusal:
    if not isinstance(message, dict) or message.get("jsonrpc") != JSONRPC:
        return Refusal(INVALID_REQUEST, 'expected a JSON-RPC 2.0 request object ("jsonrpc": "2.0")')
    request_id = message.get("id")
    if not _valid_id(request_id):
        return Refusal(
            INVALID_REQUEST,
            f"the id must be a string of at most {MAX_ID_CHARS} characters, an integer within "
            f"±2^53 or null; got {shown(request_id)}",
        )
    name = message.get("method")
    if not isinstance(name, str):
        return Refusal(
            INVALID_REQUEST, f"the method must be a string, got {shown(name)}", request_id
        )
    unknown = sorted(set(message) - {"jsonrpc", "id", "method", "params"})
    if unknown:
        return Refusal(
            INVALID_REQUEST,
            f"unknown member(s) {', '.join(map(repr, unknown))} in the request; a JSON-RPC "
            "2.0 request has jsonrpc, id, method and params",
            request_id,
        )
    return Request(name, message.get("params", {}), request_id, "id" in message)


def _valid_id(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return len(value) <= MAX_ID_CHARS
    return type(value) is int and -MAX_ID <= value <= MAX_ID


def unacceptable(params: Any) -> Refusal | None:
    """The first value in `params` no parameter may be, as an INVALID_PARAMS refusal: a
    number too large (or not finite), or text with a NUL character (no path, id or name
    holds one). None when every value is acceptable."""
    stack: list[tuple[str, Any]] = [("params", params)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif (type(value) is int and abs(value) > MAX_INT) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            return Refusal(
                INVALID_PARAMS,
                f"{path}: a number out of range (at most {MAX_INT} in size), got {shown(value)}",
            )
        elif isinstance(value, str) and "\x00" in value:
            return Refusal(INVALID_PARAMS, f"{path}: text with a NUL character, got {shown(value)}")
    return None


def _unreadable(message: Any) -> str | None:
    """Why a decoded message cannot be handled: nested too deep, or holding a lone
    surrogate (a string no reply could repeat as UTF-8). Walked without recursion."""
    stack: list[tuple[Any, int]] = [(message, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH}"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _has_surrogate(key):
                    return f"the key {ascii(key)[:SHOWN_CHARS]} holds a lone surrogate"
                stack.append((item, depth + 1))
        elif isinstance(value, str) and _has_surrogate(value):
            return f"the string {ascii(value)[:SHOWN_CHARS]} holds a lone surrogate"
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown(value: Any) -> str:
    """A received value as a message quotes it: its JSON, cut short, and its JSON type."""
    text = json.dumps(value, ensure_ascii=True) if _is_json(value) else repr(value)
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    return f"{text} ({json_type(value)})"


def _is_json(value: Any) -> bool:
    return not (isinstance(value, float) and not math.isfinite(value))


def json_type(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number"
        case str():
            return "string"
        case list():
            return "array"
        case _:
            return "object"
