"""OpenAI's error bodies, shared by the Chat Completions and the Responses API."""

from podium.testing.provider.turn import Failure, retry_headers

_ERRORS = {
    "quota": (
        429,
        "You exceeded your current quota, please check your plan and billing details. (scripted)",
        "insufficient_quota",
        "insufficient_quota",
    ),
    "401": (
        401,
        "Incorrect API key provided (scripted). You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    "403": (
        403,
        "You are not allowed to use this model with this API key (scripted).",
        "invalid_request_error",
        "permission_denied",
    ),
    "500": (
        500,
        "The server had an error while processing your request. (scripted)",
        "server_error",
        None,
    ),
    "503": (503, "The server is overloaded or not ready yet. (scripted)", "server_error", None),
}


def failure(kind: str, retry_after: int) -> Failure:
    """The error OpenAI's API sends for scenario `kind` (529 is answered as 503)."""
    if kind == "429":
        message = f"Rate limit reached for requests (scripted). Please try again in {retry_after}s."
        headers = {**retry_headers(retry_after), "x-ratelimit-reset-requests": f"{retry_after}s"}
        return Failure(429, _error(message, "requests", "rate_limit_exceeded"), headers)
    status, message, error_type, code = _ERRORS["503" if kind == "529" else kind]
    return Failure(status, _error(message, error_type, code))


def _error(message: str, error_type: str, code: str | None) -> dict[str, object]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
