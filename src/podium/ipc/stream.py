"""The client's end of `events.subscribe`: the conductor's answer, then one event after another
as it pushes them. Standard library only, like the client it extends."""

from __future__ import annotations

import json
import time

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
        self._idle = idle
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
            yield self.next(self._idle)

    def next(self, timeout: float | None) -> StreamEvent | None:
        """The next event, or None when none came within `timeout` seconds (None: wait for
        as long as it takes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            message = self._next(left)
            if message is None:
                return None
            if message.get("method") == EVENT:
                event: StreamEvent = message["params"]
                self.last = event["seq"]
                return event
            if message.get("method") == DROPPED:
                raise StreamDropped(str(message["params"].get("reason")))
            if isinstance(message.get("error"), dict):
                err = message["error"]
                raise RemoteError(int(err.get("code", INTERNAL_ERROR)), str(err.get("message")))

    def _next(self, timeout: float | None) -> dict[str, Any] | None:
        """The next message, or None when none came within `timeout` seconds."""
        self._lines.sock.settimeout(timeout)
        try:
            line = self._lines.readline(MAX_RESPONSE_BYTES + 1)
        except (TimeoutError, BlockingIOError):  # BlockingIOError: a timeout of 0
            return None
        except OSError as exc:
            raise self._lost(str(exc)) from None
        if not line.endswith(b"\n"):
            raise self._lost("the stream was closed" if not line else "a message was cut short")
        message: dict[str, Any] = json.loads(line)
        return message

    def _lost(self, reason: str) -> AnswerLost:
        return AnswerLost(self.socket_path, EVENTS_SUBSCRIBE.name, reason)
