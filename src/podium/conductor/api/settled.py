"""Answers from the store that never show less than an answer given before them: each method
that reads the store waits, before it answers, until the engine's step under way when the
request came is committed and acted on (`podium.runtime.loop.EngineLoop.settled`).

Some answers read the engine's memory (`job.status`), which may be one batch ahead of the
disk while that batch commits; others read the store (`job.list` with finished jobs, history,
approvals). Without the wait, `status` could show a sheet done and a `list` asked just after
could show it not done yet. (Two exceptions: while the disk refuses commits, which
`conductor-status` says, and when it takes longer than `REST_WAIT_SECONDS` for one, the store
is read as it stands.)"""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from podium.ipc import methods
from podium.ipc.routes import Handler

Settled = Callable[[], Awaitable[None]]
"""Waits until the store holds the engine's step under way (`EngineLoop.settled`)."""


SUBMISSIONS = frozenset({methods.JOB_SUBMIT.name, methods.FLEET_SUBMIT.name})
"""Methods whose answer shows nothing of the store's that could be behind (a submission says
the job it made, once that is committed), and which many clients may call at once: they do
not wait."""


def after_commit(handlers: Iterable[Handler], settled: Settled) -> list[Handler]:
    """`handlers`, each waiting, before it answers, until the engine's step under way when the
    request came is committed and acted on (but those of `SUBMISSIONS`)."""
    return [
        h
        if h.method.name in SUBMISSIONS
        else Handler(h.method, _after_commit(h.call, settled), h.streams)
        for h in handlers
    ]


def _after_commit(
    call: Callable[[Any], Awaitable[Any]], settled: Settled
) -> Callable[[Any], Awaitable[Any]]:
    async def answer(params: Any) -> Any:
        await settled()
        return await call(params)

    return answer
