"""OpenAI's Responses API (Codex): `POST /v1/responses`, JSON or the SSE events Codex reads."""

from collections.abc import Mapping

from podium.testing.provider.turn import (
    JSON,
    Move,
    Say,
    Tool,
    Turn,
    estimate_tokens,
    sse,
    text_of,
)

RESPONSE_ID = "resp_scripted"


def read_turn(body: Mapping[str, JSON]) -> Turn:
    """The turn in a Responses API request body."""
    items = body.get("input") or []
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    last = items[-1] if items else {}
    said = [i.get("content") for i in items if i.get("role") == "assistant"]
    context = [body.get("instructions"), [i.get("content") for i in items if _is_prompt(i)]]
    return Turn(
        model=str(body.get("model", "scripted-model")),
        stream=bool(body.get("stream")),
        tools=tuple(_tool(t) for t in body.get("tools") or [] if _tool_name(t)),
        after_tool_result=str(last.get("type", "")).endswith("_call_output"),
        context=text_of(context),
        assistant_text=text_of(said),
        input_tokens=estimate_tokens(text_of([body.get("instructions"), items])),
    )


def response(move: Move, turn: Turn) -> dict[str, JSON]:
    """The non-streaming reply: one completed response object."""
    return _response(turn, "completed", [_item(move)], _usage(move, turn))


def events(move: Move, turn: Turn) -> list[bytes]:
    """The streaming reply: created, the output item (with text deltas), completed."""
    item = _item(move)
    frames: list[JSON] = [
        {"type": "response.created", "response": _response(turn, "in_progress", [], None)},
        {"type": "response.in_progress", "response": _response(turn, "in_progress", [], None)},
        {"type": "response.output_item.added", "output_index": 0, "item": _started(item)},
    ]
    if isinstance(move, Say):
        frames += _text_frames(item["id"], move.text)
    frames += [
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": response(move, turn)},
    ]
    return [sse({**f, "sequence_number": n}, f["type"]) for n, f in enumerate(frames)]


def _is_prompt(item: Mapping[str, JSON]) -> bool:
    return item.get("type", "message") == "message" and item.get("role") != "assistant"


def _tool_name(tool: JSON) -> str:
    if not isinstance(tool, Mapping):
        return ""
    return str(tool.get("name") or "")


def _tool(tool: Mapping[str, JSON]) -> Tool:
    kind = "custom" if tool.get("type") == "custom" else "function"
    return Tool(_tool_name(tool), tool.get("parameters") or {}, kind)


def _response(turn: Turn, status: str, output: list[JSON], usage: JSON) -> dict[str, JSON]:
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 0,
        "status": status,
        "model": turn.model,
        "output": output,
        "usage": usage,
        "error": None,
        "incomplete_details": None,
    }


def _item(move: Move) -> dict[str, JSON]:
    if isinstance(move, Say):
        text = {"type": "output_text", "text": move.text, "annotations": []}
        return {
            "type": "message",
            "id": "msg_scripted",
            "status": "completed",
            "role": "assistant",
            "content": [text],
        }
    if move.input is not None:
        return {
            "type": "custom_tool_call",
            "id": "ctc_scripted",
            "status": "completed",
            "call_id": move.call_id,
            "name": move.tool,
            "input": move.input,
        }
    return {
        "type": "function_call",
        "id": "fc_scripted",
        "status": "completed",
        "call_id": move.call_id,
        "name": move.tool,
        "arguments": move.arguments_json,
    }


def _started(item: Mapping[str, JSON]) -> dict[str, JSON]:
    if item["type"] == "message":
        return {**item, "status": "in_progress", "content": []}
    return {**item, "status": "in_progress"}


def _text_frames(item_id: str, text: str) -> list[JSON]:
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": text, "annotations": []}
    return [
        {"type": "response.content_part.added", **where, "part": {**part, "text": ""}},
        {"type": "response.output_text.delta", **where, "delta": text},
        {"type": "response.output_text.done", **where, "text": text},
        {"type": "response.content_part.done", **where, "part": part},
    ]


def _usage(move: Move, turn: Turn) -> dict[str, JSON]:
    said = move.text if isinstance(move, Say) else (move.input or move.arguments_json)
    output = estimate_tokens(said)
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + output,
    }
