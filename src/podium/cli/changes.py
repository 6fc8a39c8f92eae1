"""Waiting for the conductor to change something, on its event stream, in place of asking
again and again: `status --watch`, `logs --follow` and `run --wait` read the conductor anew only
when it committed a change they show.

Subscribe first, read second: a change committed between the two is then not missed.
"""

from __future__ import annotations

import time
from time import sleep

from podium.ipc.client import ConductorUnavailable, RemoteError
from podium.ipc.protocol import METHOD_NOT_FOUND
from podium.ipc.stream import StreamDropped, Subscription

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import SubscribeParams

SETTLE_SECONDS = 0.05
"""After a change, how long to wait for the rest of the same step before reading anew."""
MOST_SETTLE_SECONDS = 0.25
"""However busy the stream (an attempt's output pouring in), a read comes this soon."""
OLD_CONDUCTOR_SECONDS = 1.0
"""A conductor older than the stream is asked again this often instead."""


class Changes:
    """The changes of interest, as they come. If the stream is lost (the conductor
    restarted), the next wait subscribes again and says a change came: whatever happened
    meanwhile is read anew. A conductor too old to have a stream is asked every second."""

    def __init__(self, socket_path: str, params: SubscribeParams) -> None:
        self._socket_path = socket_path
        self._params = params
        self._stream: Subscription | None = None
        self._streamless = False
        self._subscribe()

    def __enter__(self) -> Changes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def wait(self, timeout: float | None) -> bool:
        """Whether something changed within `timeout` seconds (None: wait until it does);
        it returns once the step that changed it is over."""
        if self._streamless:
            sleep(min(timeout or OLD_CONDUCTOR_SECONDS, OLD_CONDUCTOR_SECONDS))
            return True
        if self._stream is None:
            self._subscribe()
            return True
        try:
            if self._stream.next(timeout) is None:
                return False
            until = time.monotonic() + MOST_SETTLE_SECONDS
            while time.monotonic() < until and self._stream.next(SETTLE_SECONDS) is not None:
                pass
        except (StreamDropped, ConductorUnavailable):
            self.close()
        return True

    def _subscribe(self) -> None:
        try:
            self._stream = Subscription(self._socket_path, self._params)
        except ConductorUnavailable:
            self._stream = None
        except RemoteError as exc:
            if exc.code != METHOD_NOT_FOUND:
                raise
            self._streamless = True
