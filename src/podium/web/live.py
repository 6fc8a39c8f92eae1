"""Live pages: server-sent events from the conductor's stream of events.

Each page that updates live opens `/events` (the browser's `EventSource`), naming the job it
shows and, on a sheet's page, the sheet whose output it tails. For each such connection the
dashboard subscribes to the conductor with those names, so the conductor filters, and passes
on what comes:

- `change`: something the page shows changed (`{"kind", "job_id", "sheet"}`); the page reads
  its live parts again, at most a few times a second;
- `tail`: on a sheet's page, first, the sheet's output as it stands once the subscription is
  open (`{"attempt", "stdout": {"text", "end"}, "stderr": …}`, or null before it ran);
- `output`: a line an attempt wrote (`{"sheet", "attempt", "stream", "text", "offset"}`): the
  page skips a line that starts before the `end` its tail gave, which it holds already;
- `conductor`: `restarting` when the conductor went away (the dashboard tries again every
  second), `back` when it answers again (the page reads everything again).

A comment line every few seconds keeps proxies from closing a quiet connection, and lets the
server notice a browser that left.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
import anyio.to_thread

from podium.ipc.client import ConductorUnavailable
from podium.ipc.methods import JOB_LOGS
from podium.ipc.stream import StreamDropped, Subscription
from podium.web.conductor import Conductor, NotFound, Refused

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import LogsParams, StreamEvent, SubscribeParams

IDLE_SECONDS = 5.0
"""How long without an event before a keep-alive comment."""
RETRY_SECONDS = 1.0
"""How often to try the conductor again while it is away."""
TAIL_LINES = 200
"""The lines of a sheet's output a page starts from."""


@dataclass(frozen=True, slots=True)
class Interest:
    """What one page follows: a job (None: every job) and the sheet whose output it tails."""

    job_id: str | None = None
    output_sheet: int | None = None

    def params(self) -> SubscribeParams:
        params: SubscribeParams = {}
        if self.job_id is not None:
            params["job_ids"] = [self.job_id]
            if self.output_sheet is not None:
                params["output"] = [{"job_id": self.job_id, "sheet": self.output_sheet}]
        return params


def message(name: str, data: object) -> str:
    """One server-sent event."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def shaped(event: StreamEvent) -> str:
    """The event as the page takes it: output lines whole, other changes by what they touch."""
    data = event["data"]
    if event["kind"] == "output":
        keep = ("sheet", "attempt", "stream", "text", "offset")
        return message("output", {key: data.get(key) for key in keep})
    sheet = data.get("num", data.get("sheet"))
    return message(
        "change",
        {"kind": event["kind"], "job_id": event["job_id"], "sheet": sheet},
    )


async def events(socket: str, interest: Interest) -> AsyncIterator[str]:
    """The page's events, for as long as it listens; across the conductor's restarts."""
    yield ": connected\n\n"
    away = False
    while True:
        try:
            subscription = await anyio.to_thread.run_sync(
                lambda: Subscription(socket, interest.params(), idle=IDLE_SECONDS)
            )
        except ConductorUnavailable:
            if not away:
                away = True
                yield message("conductor", "restarting")
            await anyio.sleep(RETRY_SECONDS)
            continue
        if away:
            away = False
            yield message("conductor", "back")
        try:
            if interest.output_sheet is not None:
                yield await _tail(socket, interest)
            async for text in _read(subscription):
                yield text
        except (ConductorUnavailable, StreamDropped):
            away = True
            yield message("conductor", "restarting")
        finally:
            subscription.close()


async def _tail(socket: str, interest: Interest) -> str:
    """The sheet's output as it stands now that the subscription is open: the page starts
    from it, and drops the lines the subscription then brings that it already holds (their
    offsets are before the ends given here)."""
    assert interest.job_id is not None and interest.output_sheet is not None
    params: LogsParams = {"job_id": interest.job_id, "sheet": interest.output_sheet}
    params["lines"] = TAIL_LINES
    try:
        found = await Conductor(socket).ask(JOB_LOGS(params))
    except (NotFound, Refused):
        return message("tail", None)
    if not found["sheets"]:
        return message("tail", None)
    sheet = found["sheets"][0]
    return message(
        "tail",
        {
            "attempt": sheet["attempt"],
            "stdout": {"text": sheet["stdout"]["text"], "end": sheet["stdout"]["end"]},
            "stderr": {"text": sheet["stderr"]["text"], "end": sheet["stderr"]["end"]},
        },
    )


async def _read(subscription: Subscription) -> AsyncIterator[str]:
    while True:
        event = await anyio.to_thread.run_sync(
            subscription.next, IDLE_SECONDS, abandon_on_cancel=True
        )
        yield ": still here\n\n" if event is None else shaped(event)
