"""The client's end of `events.subscribe`: the conductor's answer, then one event after another
as it pushes them. Standard library only, like the client it extends."""

from __future__ import annotations

import json

from podium.ipc.client import AnswerLost, ConductorClient, RemoteError
from podium.ipc.methods import EVENTS_SUBSCRIBE
from podium.ipc.protocol import DROPPED, EVENT, INTERNAL_ERROR, MAX_RESPONSE_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from podium.ipc.schema import StreamEvent, SubscribeParams, SubscribeResult


class StreamDropped(Exception):
    """The conductor gave up on this subscriber (it read too slowly); subscribe again with
    `since` to catch up."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the conductor stopped sending events: {reason}")
        self.reason = reason


class Subscription:
    """An open subscription. `answer` is the conductor's reply; iterating gives each event in
    order, or None after `idle` seconds without one (a chance to redraw a clock, or to stop).
    Iteration ends with `StreamDropped`, or `AnswerLost` when the conductor stops."""

    def __init__(self, socket_path: str, params: SubscribeParams, idle: float = 1.0) -> None:
        client = ConductorClient(socket_path)
        self.socket_path = socket_path
        try:
            self.answer: SubscribeResult = client.request(EVENTS_SUBSCRIBE(params))
        except BaseException:
            client.close()
            raise
        self._lines = client.detach()
        self._lines.sock.settimeout(idle)
        self.last: int = self.answer["seq"]
        """The number of the last event given out: with `answer["stream"]`, where to start
        again (`since`) after a reconnection."""

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._lines.sock.close()

    def __iter__(self) -> Iterator[StreamEvent | None]:
        while True:
            message = self._next()
            if message is None:
                yield None
                continue
            if message.get("method") == EVENT:
                event: StreamEvent = message["params"]
                self.last = event["seq"]
                yield event
            elif message.get("method") == DROPPED:
                raise StreamDropped(str(message["params"].get("reason")))
            elif isinstance(message.get("error"), dict):
                err = message["error"]
                raise RemoteError(int(err.get("code", INTERNAL_ERROR)), str(err.get("message")))

    def _next(self) -> dict[str, Any] | None:
        """The next message, or None when none came within the idle time."""
        try:
            line = self._lines.readline(MAX_RESPONSE_BYTES + 1)
        except TimeoutError:
            return None
        except OSError as exc:
            raise self._lost(str(exc)) from None
        if not line.endswith(b"\n"):
            raise self._lost("the stream was closed" if not line else "a message was cut short")
        message: dict[str, Any] = json.loads(line)
        return message

    def _lost(self, reason: str) -> AnswerLost:
        return AnswerLost(self.socket_path, EVENTS_SUBSCRIBE.name, reason)
