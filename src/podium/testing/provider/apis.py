"""One table of the four model APIs: how to read a request and shape each kind of reply."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from podium.testing.provider import anthropic, gemini, openai_chat, openai_errors, openai_responses
from podium.testing.provider.routes import Route
from podium.testing.provider.turn import JSON, Failure, Move, Turn


@dataclass(frozen=True, slots=True)
class Api:
    read_turn: Callable[[Mapping[str, JSON], Route], Turn]
    reply: Callable[[Move, Turn], JSON]
    events: Callable[[Move, Turn], list[bytes]]
    failure: Callable[[str, int], Failure]


APIS: Mapping[str, Api] = {
    "anthropic": Api(
        lambda body, _: anthropic.read_turn(body),
        anthropic.message,
        anthropic.events,
        anthropic.failure,
    ),
    "chat": Api(
        lambda body, _: openai_chat.read_turn(body),
        openai_chat.completion,
        openai_chat.events,
        openai_errors.failure,
    ),
    "responses": Api(
        lambda body, _: openai_responses.read_turn(body),
        openai_responses.response,
        openai_responses.events,
        openai_errors.failure,
    ),
    "gemini": Api(
        lambda body, route: gemini.read_turn(body, route.model, route.stream),
        gemini.response,
        gemini.events,
        gemini.failure,
    ),
}


def side_reply(route: Route, body: Mapping[str, JSON], path: str) -> JSON:
    """The reply to a side call: a token count or a model list."""
    if route.api == "count_tokens":
        if route.model:
            return gemini.count_tokens(body)
        return {"input_tokens": anthropic.read_turn(body).input_tokens}
    if "/v1beta/" in path:
        return {"models": [{"name": "models/scripted-model", "displayName": "Scripted model"}]}
    model = {
        "id": "scripted-model",
        "object": "model",
        "type": "model",
        "created": 0,
        "created_at": "1970-01-01T00:00:00Z",
        "owned_by": "podium",
        "display_name": "Scripted model",
    }
    return {
        "object": "list",
        "data": [model],
        "has_more": False,
        "first_id": "scripted-model",
        "last_id": "scripted-model",
    }
