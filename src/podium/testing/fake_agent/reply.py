"""What the fake agent prints: its reply, or an API error worded as Claude Code words it.

With `--output-format json` it prints one object shaped like Claude Code's result:
`{"type": "result", "subtype": "success", "is_error": ..., "api_error_status": ...,
"result": ..., "usage": {"input_tokens": ..., "output_tokens": ...}, ...}`.
"""

import json
from dataclasses import dataclass

from podium.testing.fake_agent.actions import AuthError, Overloaded, RateLimit, Tokens


@dataclass(frozen=True, slots=True)
class ApiError:
    """A provider failure as an agent reports it: the HTTP status and the message."""

    status: int
    message: str


def api_error(action: RateLimit | AuthError | Overloaded) -> ApiError:
    """The error a real agent reports for this failure of its provider."""
    match action:
        case RateLimit(reset_in=seconds):
            return ApiError(
                429,
                f"API Error: Rate limit reached (429) · resets in {seconds} seconds. "
                f"Please try again in {seconds}s.",
            )
        case AuthError():
            return ApiError(401, "Invalid API key · Fix external API key (401)")
        case Overloaded():
            return ApiError(
                529,
                "API Error: 529 Overloaded. This is a server-side issue, usually temporary"
                " — try again in a moment.",
            )


def default_reply(prompt: str, done: list[str]) -> str:
    """The reply of a run that printed nothing: what it did, or that there was nothing to do."""
    if done:
        return "\n".join(["Done.", *done])
    return (
        f"I read the prompt ({len(prompt)} characters). It asks for no change I can make, "
        "so I left the workspace as it was."
    )


def estimate(prompt: str, reply: str, tokens: Tokens | None) -> Tokens:
    """The usage to report: as set by a `tokens` action, else about four characters a token."""
    return tokens if tokens is not None else Tokens(len(prompt) // 4, len(reply) // 4)


def as_json(
    text: str, *, model: str, usage: Tokens, is_error: bool, status: int | None = None
) -> str:
    """One result object, as `claude -p --output-format json` prints it."""
    return json.dumps(
        {
            "type": "result",
            "subtype": "success",
            "is_error": is_error,
            "api_error_status": status,
            "result": text,
            "usage": {"input_tokens": usage.input, "output_tokens": usage.output},
            "total_cost_usd": None,
            "model": model,
        },
        ensure_ascii=False,
    )
