"""What every API's request and reply have in common: the turn read, the move to answer with.

Each API module reads its request body into a `Turn` and renders a `Move` in its own JSON and
SSE shapes; `script.choose_move` decides the move from the scenario and the turn alone.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any
"""A decoded JSON value: request bodies are JSON, read at this edge into typed records."""


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool the agent offers: its name, the JSON schema of its input, and its kind.

    `kind` is "function" for JSON-argument tools, "custom" for free-form input tools
    (the Responses API's `apply_patch`).
    """

    name: str
    schema: Mapping[str, JSON] = field(default_factory=dict)
    kind: str = "function"


@dataclass(frozen=True, slots=True)
class Turn:
    """One request to the model, as far as the script cares."""

    model: str
    stream: bool
    tools: tuple[Tool, ...] = ()
    after_tool_result: bool = False
    tool_results: tuple[str, ...] = ()
    """The text of every tool result in the conversation, oldest first: what the agent's
    tools answered the model's earlier calls."""
    context: str = ""
    """System prompt and user text: where the agent tells its working directory."""
    assistant_text: str = ""
    """What the assistant said earlier in the conversation."""
    response_schema: Mapping[str, JSON] | None = None
    """The schema of a structured-output request (Gemini's router), if it is one."""
    input_tokens: int = 0
    include_usage: bool = False
    """Whether a streamed reply ends with a usage chunk (Chat Completions' `stream_options`)."""

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(tool.name for tool in self.tools)


@dataclass(frozen=True, slots=True)
class Say:
    """Answer with text and end the turn."""

    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """Answer with one tool call: JSON `arguments`, or free-form `input` for a custom tool."""

    tool: str
    arguments: Mapping[str, JSON] = field(default_factory=dict)
    input: str | None = None
    call_id: str = "call_scripted_1"
    """Each call of a conversation needs its own (`call` makes several)."""

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments)


Move = Say | Call


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters a token), so CLIs have usage to report."""
    return max(1, len(text) // 4)


def reply_tokens(move: Move) -> int:
    """The rough token count of what a reply says: its text, or its tool call's arguments."""
    return estimate_tokens(move.text if isinstance(move, Say) else move.arguments_json)


def text_of(value: JSON) -> str:
    """All strings inside a JSON value, joined by newlines (to search prompts for context)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(text_of(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(text_of(v) for v in value)
    return ""


@dataclass(frozen=True, slots=True)
class Failure:
    """An error reply: the HTTP status, the provider's JSON error body, extra headers."""

    status: int
    body: Mapping[str, JSON]
    headers: Mapping[str, str] = field(default_factory=dict)


def sse(data: JSON, event: str | None = None) -> bytes:
    """One server-sent event: an optional `event:` line and a `data:` line of JSON."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def retry_headers(seconds: int) -> dict[str, str]:
    return {"retry-after": str(seconds)}
