"""OpenAI's Chat Completions API (opencode, aider): `POST /v1/chat/completions`, JSON or SSE."""

from collections.abc import Mapping

from podium.testing.provider.turn import (
    JSON,
    Call,
    Move,
    Say,
    Tool,
    Turn,
    estimate_tokens,
    reply_tokens,
    sse,
    text_of,
)

DONE = b"data: [DONE]\n\n"


def read_turn(body: Mapping[str, JSON]) -> Turn:
    """The turn in a Chat Completions request body."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    said = [m.get("content") for m in messages if m.get("role") == "assistant"]
    context = [m.get("content") for m in messages if m.get("role") in ("system", "user")]
    tools = tuple(
        Tool(str(t["function"].get("name")), t["function"].get("parameters") or {})
        for t in body.get("tools") or []
        if isinstance(t, Mapping) and isinstance(t.get("function"), Mapping)
    )
    options = body.get("stream_options") or {}
    return Turn(
        model=str(body.get("model", "scripted-model")),
        stream=bool(body.get("stream")),
        tools=tools,
        after_tool_result=last.get("role") == "tool",
        context=text_of(context),
        assistant_text=text_of(said),
        input_tokens=estimate_tokens(text_of(messages)),
        include_usage=bool(options.get("include_usage")),
    )


def completion(move: Move, turn: Turn) -> dict[str, JSON]:
    """The non-streaming reply: one chat.completion object."""
    message: dict[str, JSON] = {"role": "assistant", "content": None}
    if isinstance(move, Say):
        message["content"] = move.text
    else:
        message["tool_calls"] = [_tool_call(move)]
    return {
        **_envelope(turn, "chat.completion"),
        "choices": [
            {"index": 0, "message": message, "finish_reason": _finish(move), "logprobs": None}
        ],
        "usage": _usage(move, turn),
    }


def events(move: Move, turn: Turn) -> list[bytes]:
    """The streaming reply: chat.completion.chunk events, usage if asked, then [DONE]."""
    if isinstance(move, Say):
        delta: dict[str, JSON] = {"content": move.text}
    else:
        delta = {"tool_calls": [{"index": 0, **_tool_call(move)}]}
    chunks = [
        _chunk(turn, {"role": "assistant", "content": ""}, None),
        _chunk(turn, delta, None),
        _chunk(turn, {}, _finish(move)),
    ]
    if turn.include_usage:
        chunks.append(
            {**_envelope(turn, "chat.completion.chunk"), "choices": [], "usage": _usage(move, turn)}
        )
    return [*(sse(chunk) for chunk in chunks), DONE]


def _envelope(turn: Turn, kind: str) -> dict[str, JSON]:
    return {"id": "chatcmpl-scripted", "object": kind, "created": 0, "model": turn.model}


def _chunk(turn: Turn, delta: JSON, finish: str | None) -> dict[str, JSON]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
    return {**_envelope(turn, "chat.completion.chunk"), "choices": [choice]}


def _tool_call(call: Call) -> dict[str, JSON]:
    return {
        "id": call.call_id,
        "type": "function",
        "function": {"name": call.tool, "arguments": call.arguments_json},
    }


def _finish(move: Move) -> str:
    return "tool_calls" if isinstance(move, Call) else "stop"


def _usage(move: Move, turn: Turn) -> dict[str, int]:
    output = reply_tokens(move)
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": output,
        "total_tokens": turn.input_tokens + output,
    }
