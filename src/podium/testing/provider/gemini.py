"""Google's Gemini API (Gemini CLI): `models/M:generateContent`, `:streamGenerateContent`.

Gemini CLI's model router and next-speaker check ask for structured JSON output
(`generationConfig.responseJsonSchema` or `responseSchema`); `read_turn` keeps that schema so the
reply can fit it.
"""

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

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"

_ERRORS = {
    "401": (401, "UNAUTHENTICATED", "Request had invalid authentication credentials. (scripted)"),
    "403": (403, "PERMISSION_DENIED", "The caller does not have permission. (scripted)"),
    "500": (500, "INTERNAL", "An internal error has occurred. (scripted)"),
    "503": (503, "UNAVAILABLE", "The model is overloaded. Please try again later. (scripted)"),
}


def read_turn(body: Mapping[str, JSON], model: str, stream: bool) -> Turn:
    """The turn in a generateContent request body, for `model` as named in the path."""
    contents = body.get("contents") or []
    last = contents[-1] if contents else {}
    after_tool = any(
        isinstance(part, Mapping) and "functionResponse" in part for part in last.get("parts") or []
    )
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    said = [c.get("parts") for c in contents if c.get("role") == "model"]
    prompts = [c.get("parts") for c in contents if c.get("role") != "model"]
    results = tuple(
        text_of(part["functionResponse"].get("response"))
        for parts in prompts
        for part in parts or []
        if isinstance(part, Mapping) and isinstance(part.get("functionResponse"), Mapping)
    )
    return Turn(
        model=model,
        stream=stream,
        tools=_tools(body.get("tools") or []),
        after_tool_result=after_tool,
        tool_results=results,
        context=text_of([body.get("systemInstruction"), prompts]),
        assistant_text=text_of(said),
        response_schema=schema if isinstance(schema, Mapping) else None,
        input_tokens=estimate_tokens(text_of([body.get("systemInstruction"), contents])),
    )


def count_tokens(body: Mapping[str, JSON]) -> dict[str, JSON]:
    """The reply to `:countTokens`: a rough count of the request's text."""
    return {"totalTokens": estimate_tokens(text_of(body))}


def failure(kind: str, retry_after: int) -> Failure:
    """The error the Gemini API sends for scenario `kind` (529 is answered as 503)."""
    if kind == "429":
        message = (
            "Resource has been exhausted (e.g. check quota). (scripted) "
            f"Please try again in {retry_after}s."
        )
        details = [{"@type": _RETRY_INFO, "retryDelay": f"{retry_after}s"}]
        body = _error(429, "RESOURCE_EXHAUSTED", message, details)
        return Failure(429, body, retry_headers(retry_after))
    if kind == "quota":
        message = (
            "You exceeded your current quota, please check your plan and billing details. "
            "(scripted)"
        )
        violation: dict[str, JSON] = {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
        }
        quota_details: list[JSON] = [{"@type": _QUOTA_FAILURE, "violations": [violation]}]
        return Failure(429, _error(429, "RESOURCE_EXHAUSTED", message, quota_details))
    status, code, message = _ERRORS["503" if kind == "529" else kind]
    return Failure(status, _error(status, code, message, []))


def response(move: Move, turn: Turn) -> dict[str, JSON]:
    """The non-streaming reply: one GenerateContentResponse."""
    return _chunk(turn, [_part(move)], "STOP", _usage(move, turn))


def events(move: Move, turn: Turn) -> list[bytes]:
    """The streaming reply (`alt=sse`): text in two chunks, a tool call in one."""
    if isinstance(move, Call) or len(move.text) < 2:
        return [sse(response(move, turn))]
    cut = len(move.text) // 2
    return [
        sse(_chunk(turn, [{"text": move.text[:cut]}], None, None)),
        sse(_chunk(turn, [{"text": move.text[cut:]}], "STOP", _usage(move, turn))),
    ]


def _tools(groups: list[JSON]) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for group in groups:
        if not isinstance(group, Mapping):
            continue
        for declaration in group.get("functionDeclarations") or []:
            schema = declaration.get("parametersJsonSchema") or declaration.get("parameters") or {}
            tools.append(Tool(str(declaration.get("name")), schema))
    return tuple(tools)


def _error(code: int, status: str, message: str, details: list[JSON]) -> dict[str, JSON]:
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


def _part(move: Move) -> dict[str, JSON]:
    if isinstance(move, Say):
        return {"text": move.text}
    return {"functionCall": {"name": move.tool, "args": dict(move.arguments)}}


def _chunk(turn: Turn, parts: list[JSON], finish: str | None, usage: JSON) -> dict[str, JSON]:
    candidate: dict[str, JSON] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    chunk: dict[str, JSON] = {"candidates": [candidate], "modelVersion": turn.model}
    if usage is not None:
        chunk["usageMetadata"] = usage
    return chunk


def _usage(move: Move, turn: Turn) -> dict[str, int]:
    output = reply_tokens(move)
    return {
        "promptTokenCount": turn.input_tokens,
        "candidatesTokenCount": output,
        "totalTokenCount": turn.input_tokens + output,
    }
