"""Which API an API path (after the scenario prefix) belongs to. Pure."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_GEMINI = re.compile(r"^/v1(?:beta|alpha)?/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$")


@dataclass(frozen=True, slots=True)
class Route:
    """An endpoint: `api` names it in the request log.

    APIs: "anthropic", "chat", "responses", "gemini" (model calls); "count_tokens", "models"
    (side calls, never failed nor counted by scenarios). `model` and `stream` come from the path
    for Gemini only; `:streamGenerateContent` is always answered as SSE (Gemini CLI asks
    `alt=sse`).
    """

    api: str
    model: str = ""
    stream: bool = False

    @property
    def is_model_call(self) -> bool:
        return self.api in ("anthropic", "chat", "responses", "gemini")


def route(method: str, path: str) -> Route | None:
    """The endpoint for `method` and `path` (query string included), or None if there is none."""
    parts = urlsplit(path)
    where = parts.path.rstrip("/")
    if method == "GET":
        return Route("models") if where.endswith("/models") else None
    if method != "POST":
        return None
    fixed = {
        "/v1/messages": "anthropic",
        "/v1/messages/count_tokens": "count_tokens",
        "/v1/chat/completions": "chat",
        "/chat/completions": "chat",
        "/v1/responses": "responses",
        "/responses": "responses",
    }
    if where in fixed:
        return Route(fixed[where])
    match = _GEMINI.match(where)
    if match is None:
        return None
    name = match["method"]
    if name == "countTokens":
        return Route("count_tokens", match["model"])
    if name not in ("generateContent", "streamGenerateContent"):
        return None
    return Route("gemini", match["model"], stream=name == "streamGenerateContent")
