"""Watching an attempt for silence (`stale_detection`)."""

from collections.abc import Callable

MAX_STEP = 5.0
"""Look at the output at least this often (seconds)."""


class IdleWatch:
    """Says when an attempt has written nothing for `idle_seconds`, judged by the size of its
    output files, looked at every `step` seconds."""

    def __init__(self, idle_seconds: float, size: Callable[[], int], start: float) -> None:
        self.idle_seconds = idle_seconds
        self.step = min(idle_seconds / 4, MAX_STEP)
        self._size = size
        self._last_size = size()
        self._last_change = start

    def silent(self, now: float) -> bool:
        size = self._size()
        if size != self._last_size:
            self._last_size, self._last_change = size, now
            return False
        return now - self._last_change >= self.idle_seconds
