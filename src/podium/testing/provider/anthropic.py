"""Anthropic's Messages API (Claude Code): `POST /v1/messages`, JSON or SSE, and its errors."""

from collections.abc import Mapping

from podium.testing.provider.turn import (
    JSON,
    Call,
    Failure,
    Move,
    Say,
    Tool,
    Turn,
    estimate_tokens,
    reply_tokens,
    retry_headers,
    sse,
    text_of,
)

_ERRORS = {
    "401": (401, "authentication_error", "invalid x-api-key (scripted)"),
    "403": (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource. (scripted)",
    ),
    "quota": (
        429,
        "rate_limit_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits. (scripted)",
    ),
    "500": (500, "api_error", "Internal server error (scripted)"),
    "503": (503, "api_error", "Service Unavailable (scripted)"),
    "529": (529, "overloaded_error", "Overloaded (scripted)"),
}


def read_turn(body: Mapping[str, JSON]) -> Turn:
    """The turn in a Messages API request body."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    content = last.get("content")
    after_tool = last.get("role") == "user" and any(
        isinstance(block, Mapping) and block.get("type") == "tool_result"
        for block in (content if isinstance(content, list) else [])
    )
    users = [m.get("content") for m in messages if m.get("role") == "user"]
    results = tuple(
        _result_text(block.get("content"))
        for content in users
        for block in (content if isinstance(content, list) else [])
        if isinstance(block, Mapping) and block.get("type") == "tool_result"
    )
    assistants = [m.get("content") for m in messages if m.get("role") == "assistant"]
    tools = tuple(
        Tool(str(t.get("name")), t.get("input_schema") or {})
        for t in body.get("tools") or []
        if isinstance(t, Mapping) and "name" in t
    )
    return Turn(
        model=str(body.get("model", "claude-scripted")),
        stream=bool(body.get("stream")),
        tools=tools,
        after_tool_result=after_tool,
        tool_results=results,
        context=text_of([body.get("system"), users]),
        assistant_text=text_of(assistants),
        input_tokens=estimate_tokens(text_of([body.get("system"), messages])),
    )


def _result_text(content: JSON) -> str:
    """A tool result's text: a string, or its text blocks joined."""
    if isinstance(content, str):
        return content
    blocks = content if isinstance(content, list) else []
    return "\n".join(
        str(b.get("text", "")) for b in blocks if isinstance(b, Mapping) and b.get("type") == "text"
    )


def failure(kind: str, retry_after: int) -> Failure:
    """The error Anthropic's API sends for scenario `kind`."""
    if kind == "429":
        message = (
            "Number of request tokens has exceeded your per-minute rate limit (scripted). "
            f"Please try again in {retry_after}s."
        )
        return Failure(429, _error("rate_limit_error", message), retry_headers(retry_after))
    status, error_type, message = _ERRORS[kind]
    return Failure(status, _error(error_type, message))


def message(move: Move, turn: Turn) -> dict[str, JSON]:
    """The non-streaming reply: one message object."""
    return {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": [_block(move, complete=True)],
        "stop_reason": _stop_reason(move),
        "stop_sequence": None,
        "usage": _usage(move, turn),
    }


def events(move: Move, turn: Turn) -> list[bytes]:
    """The streaming reply: Anthropic's SSE event sequence."""
    start = {**message(move, turn), "content": [], "stop_reason": None}
    start["usage"] = {**start["usage"], "output_tokens": 1}
    if isinstance(move, Say):
        delta = {"type": "text_delta", "text": move.text}
    else:
        delta = {"type": "input_json_delta", "partial_json": move.arguments_json}
    return [
        sse({"type": "message_start", "message": start}, "message_start"),
        sse(
            {"type": "content_block_start", "index": 0, "content_block": _block(move, False)},
            "content_block_start",
        ),
        sse({"type": "ping"}, "ping"),
        sse({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta"),
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
        sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": _stop_reason(move), "stop_sequence": None},
                "usage": {"output_tokens": _usage(move, turn)["output_tokens"]},
            },
            "message_delta",
        ),
        sse({"type": "message_stop"}, "message_stop"),
    ]


def _error(error_type: str, message: str) -> dict[str, JSON]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _block(move: Move, complete: bool) -> dict[str, JSON]:
    if isinstance(move, Say):
        return {"type": "text", "text": move.text if complete else ""}
    arguments = dict(move.arguments) if complete else {}
    call_id = "toolu_" + move.call_id.removeprefix("call_")
    return {"type": "tool_use", "id": call_id, "name": move.tool, "input": arguments}


def _stop_reason(move: Move) -> str:
    return "tool_use" if isinstance(move, Call) else "end_turn"


def _usage(move: Move, turn: Turn) -> dict[str, int]:
    return {
        "input_tokens": turn.input_tokens,
        "output_tokens": reply_tokens(move),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
