"""Answers that never go back in time: each method is answered only once the engine's step
decided before the request came is in the store.

Some answers read the engine's memory (`job.status`), which may be one batch ahead of the
disk while that batch commits; others read the store (`job.list` with finished jobs, history,
the event stream's snapshot). Without this, `status` could show a sheet done and a `list`
asked just after could show it not done yet."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from podium.ipc.routes import Handler

Settled = Callable[[], Awaitable[None]]
"""Waits until the store holds the engine's last decided step (`EngineLoop.settled`)."""


def after_commit(handlers: Iterable[Handler], settled: Settled) -> list[Handler]:
    """`handlers`, each answering once the engine's step decided before the request is
    committed."""
    return [Handler(h.method, _after_commit(h.call, settled), h.streams) for h in handlers]


def _after_commit(
    call: Callable[[Any], Awaitable[Any]], settled: Settled
) -> Callable[[Any], Awaitable[Any]]:
    async def answer(params: Any) -> Any:
        await settled()
        return await call(params)

    return answer
