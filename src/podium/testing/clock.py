"""A clock that moves only when told to."""


class FakeClock:
    """Virtual time for tests: `now()` returns what `advance()` made it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"time only moves forward (advance({seconds}))")
        self._now += seconds
        return self._now
