"""The one table from the errors methods raise to JSON-RPC error codes, and the closest ids
told with an unknown job or fleet, whichever method was asked."""

import difflib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from podium.domain.errors import (
    InvalidScore,
    InvalidState,
    JobAlreadyRunning,
    JobNotFound,
    ResourceExhausted,
    ShuttingDown,
    UserError,
)
from podium.ipc import protocol
from podium.ipc.routes import Handler

ERROR_CODES: tuple[tuple[type[Exception], int], ...] = (
    (JobNotFound, protocol.JOB_NOT_FOUND),
    (JobAlreadyRunning, protocol.JOB_ALREADY_RUNNING),
    (InvalidState, protocol.JOB_NOT_RESUMABLE),
    (ShuttingDown, protocol.SHUTTING_DOWN),
    (ResourceExhausted, protocol.RESOURCE_EXHAUSTED),
    (InvalidScore, protocol.INVALID_SCORE),
    (UserError, protocol.INVALID_PARAMS),
)
"""The one table from error classes to JSON-RPC codes; the first match wins."""

SUGGESTIONS = 3
"""At most this many close ids are offered."""

Ids = Callable[[], Iterable[str]]
"""The ids a mistyped one may have meant: the jobs' and the fleets' (one namespace)."""


def suggesting(handlers: Iterable[Handler], ids: Ids) -> list[Handler]:
    """`handlers`, each telling the closest `ids` when it finds no job or fleet of the id it
    was asked about: 'no job 'helo'; did you mean 'hello'?'."""
    return [Handler(h.method, _suggesting(h.call, ids), h.streams) for h in handlers]


def _suggesting(call: Callable[[Any], Awaitable[Any]], ids: Ids) -> Callable[[Any], Awaitable[Any]]:
    async def answer(params: Any) -> Any:
        try:
            return await call(params)
        except JobNotFound as exc:
            told = did_you_mean(str(exc), asked(params), ids())
            if told is None:
                raise
            raise JobNotFound(told) from None

    return answer


def asked(params: object) -> list[str]:
    """The job and fleet ids a method's params name."""
    if not isinstance(params, Mapping):
        return []
    named = [params.get("job_id"), params.get("fleet_id"), *(params.get("job_ids") or ())]
    return [name for name in named if isinstance(name, str)]


def did_you_mean(message: str, asked: Sequence[str], ids: Iterable[str]) -> str | None:
    """`message` (which names one of the `asked` ids as missing) with its advice replaced by
    the closest known ids; None when none is close."""
    missing = next((name for name in asked if f"'{name}'" in message), None)
    if missing is None:
        return None
    close = difflib.get_close_matches(missing, set(ids) - {missing}, n=SUGGESTIONS)
    if not close:
        return None
    head = message.split(";", 1)[0]
    choices = " or ".join(f"'{name}'" for name in close)
    return f"{head}; did you mean {choices}?"
