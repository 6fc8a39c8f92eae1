"""The clock port: every timer of the engine loop and of its workers reads time through one
`Clock`, so that the whole conductor can run on virtual time in tests
(`podium.testing.clock.VirtualClock`) and the engine never reads the time itself.

Two readings: `now()` is the wall clock (seconds since the epoch: what the engine is handed,
what the store records); `monotonic()` is for deadlines and timers, and never goes back.
`sleep` and `call_at` are the timers; `run` runs a coroutine on an event loop that keeps the
clock's time, so that timers nobody routes here (a library's timeout) keep it too.
"""

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Timer(Protocol):
    """A callback waiting for its time; `cancel()` drops it."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Where the conductor's shell reads the time and waits for it."""

    def now(self) -> float:
        """Wall-clock time, seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: the scale of `call_at`."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (at once for 0, after letting others run)."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Call `callback` once `monotonic()` reaches `when` (at once if it has)."""
        ...

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run `main` to its end on a new event loop that keeps this clock's time."""
        ...


class SystemClock:
    """The operating system's clocks, with asyncio's timers (which read `time.monotonic`)."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        delay = max(0.0, when - self.monotonic())
        return asyncio.get_running_loop().call_later(delay, callback)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(main)


SYSTEM_CLOCK = SystemClock()


async def wait_done(clock: Clock, future: "asyncio.Future[Any]", seconds: float) -> bool:
    """Wait until `future` is done or `seconds` have passed on `clock`; whether it is done.
    The future is never cancelled here."""
    if future.done():
        return True
    timer = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait({future, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
    return future.done()
