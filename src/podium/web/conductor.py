"""The dashboard's way to the conductor: the typed IPC client, one short connection per
question, run in a worker thread so that the server's event loop never waits on a socket."""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread

from podium.ipc.client import ConductorClient, ConductorUnavailable, RemoteError
from podium.ipc.methods import Call, P, R
from podium.ipc.protocol import JOB_NOT_FOUND

ASK_SECONDS = 15.0
"""How long one question may take before the page says the conductor did not answer."""


class NotFound(Exception):
    """The conductor knows no such job, sheet or fleet; the message says what it knows."""


class Refused(Exception):
    """The conductor refused what was asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Conductor:
    """Asks the conductor listening at `socket`."""

    socket: str

    async def ask(self, call: Call[P, R]) -> R:
        """The answer to `call`; `ConductorUnavailable` when none is running, `NotFound` or
        `Refused` for an error answer."""
        return await anyio.to_thread.run_sync(self.ask_now, call)

    def ask_now(self, call: Call[P, R]) -> R:
        try:
            with ConductorClient(self.socket, timeout=ASK_SECONDS) as client:
                return client.request(call)
        except RemoteError as exc:
            if exc.code == JOB_NOT_FOUND:
                raise NotFound(exc.message) from None
            raise Refused(exc.message) from None


__all__ = ["Conductor", "ConductorUnavailable", "NotFound", "Refused"]
