"""Clocks that move only when told to, for tests.

`FakeClock` is the engine harness's: a `now()` that `advance()` moves. `VirtualClock` is the
whole conductor's (a `podium.runtime.clock.Clock`), modelled on trio's `MockClock`: its event
loop reads virtual time, so every timer (the engine's wake-ups, backoffs, rate-limit windows,
attempt timeouts, idle watches, monitor ticks, and asyncio's own timeouts) waits on it.
Time moves by `jump(seconds)`, or, with an `autojump_threshold`, by itself: when no task is
ready, no news came from outside for that many *real* seconds (socket traffic, a process
exit), no work the loop handed to a thread (`asyncio.to_thread`, the default executor's
shutdown) is still out, and none of this process's threads or child processes is at work on a
CPU, it jumps straight to the next timer. A thread blocked in a read or on a lock looks idle to
the kernel; counting the loop's own hand-offs keeps time still until their answer is back.
Subprocess exits and socket traffic stay real events, and real work is waited for, so a test
runs the real loop with real processes, without sleeping.
Where Linux's /proc is there, a thread or process at work is read off its state; elsewhere
(macOS, or Linux under `PODIUM_PORTABLE=1`: the switch of `podium.host.platform`) psutil tells
it: a child running, or a thread whose CPU time moved since the last look.

    clock = VirtualClock(autojump_threshold=0.05)
    clock.run(main())  # a 30 s retry backoff passes in about 0.05 s
"""

import asyncio
import contextlib
import math
import selectors
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from podium.host import platform
from podium.runtime.clock import Timer

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

T = TypeVar("T")

AT_WORK_POLL_SECONDS = 0.005
"""How often (real seconds) an idle loop looks whether its threads and processes still work."""

EPOCH = 1_800_000_000.0
"""The wall-clock time a virtual clock starts at unless told otherwise (in 2027)."""


class FakeClock:
    """Virtual time for tests: `now()` returns what `advance()` made it."""

    def __init__(self, start: float = EPOCH) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"time only moves forward (advance({seconds}))")
        self._now += seconds
        return self._now


class VirtualClock:
    """A `Clock` whose time moves by `jump()` or, past `autojump_threshold` real seconds of
    idleness, to the next timer. Its timers work on the loops it makes (`run`,
    `new_event_loop`); `now()` and `monotonic()` can be read anywhere."""

    def __init__(self, *, start: float = EPOCH, autojump_threshold: float = math.inf) -> None:
        self._wall_start = start
        self._elapsed = 0.0
        self.autojump_threshold = autojump_threshold
        self._loops: list[asyncio.AbstractEventLoop] = []

    def now(self) -> float:
        return self._wall_start + self._elapsed

    def monotonic(self) -> float:
        return self._elapsed

    def jump(self, seconds: float) -> None:
        """Move time forward by `seconds`; the timers now due fire at the loop's next turn."""
        if seconds < 0:
            raise ValueError(f"time only moves forward (jump({seconds}))")
        self._advance(seconds)
        for loop in self._loops:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_nothing)  # a loop asleep in select() looks again

    def _advance(self, seconds: float) -> None:
        self._elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self._check_loop()
        await asyncio.sleep(seconds)

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return self._check_loop().call_at(when, callback)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=self.new_event_loop) as runner:
            return runner.run(main)

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """An event loop that keeps this clock's time (see the module's docstring)."""
        loop = _VirtualLoop(self)
        self._loops.append(loop)
        return loop

    def _check_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if not (isinstance(loop, _VirtualLoop) and loop.clock is self):
            raise RuntimeError(
                "a VirtualClock's timers need its own event loop: run the code with "
                "clock.run(main()), not asyncio.run(main())"
            )
        return loop


def _nothing() -> None:
    pass


def _at_work() -> bool:
    """Whether another thread of this process, or a process it started (at any depth), is
    running on a CPU or waiting for a disk."""
    by_procfs = platform.mode().processes.way == platform.PROCFS and PROCFS.is_dir()
    return _at_work_procfs() if by_procfs else _at_work_psutil()


PROCFS = Path("/proc/self/task")


_threads_seen: dict[int, float] = {}
"""CPU seconds each other thread of this process had used at the last portable look."""


def _at_work_psutil() -> bool:
    """The portable look: a child process (at any depth) running or in a disk wait, or another
    thread of this process having used CPU time since the last look."""
    import psutil  # noqa: PLC0415 - only where /proc is not used

    me = psutil.Process()
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.status() in (psutil.STATUS_RUNNING, psutil.STATUS_DISK_SLEEP):
                return True
    used = {t.id: t.user_time + t.system_time for t in me.threads()}
    looking = _looking_thread(used)
    if looking is not None:
        del used[looking]
    moved = any(_threads_seen.get(tid) != cpu for tid, cpu in used.items())
    _threads_seen.clear()
    _threads_seen.update(used)
    return moved


def _looking_thread(used: Mapping[int, float]) -> int | None:
    """This thread among psutil's: by its native id where they agree (Linux), else the one
    whose CPU time is nearest this thread's own."""
    me = threading.get_native_id()
    if me in used:
        return me
    mine = time.thread_time()
    return min(used, key=lambda tid: abs(used[tid] - mine), default=None)


def _at_work_procfs() -> bool:
    me = str(threading.get_native_id())
    pending = [Path("/proc/self")]
    while pending:
        process = pending.pop()
        for task in _listing(process / "task"):
            mine = process.name == "self" and task.name == me  # this thread, looking
            if not mine and _state(task) in ("R", "D"):
                return True
            pending.extend(Path("/proc", pid) for pid in _read(task / "children").split())
    return False


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:  # the process has gone
        return []


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _state(task: Path) -> str:
    """A thread's state letter from its stat line (after the name, which may hold spaces)."""
    fields = _read(task / "stat").rpartition(")")[2].split()
    return fields[0] if fields else ""


class _VirtualLoop(asyncio.SelectorEventLoop):
    """asyncio's loop with the clock's time, and a selector that jumps it when idle."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._autojump = selector = _AutojumpSelector(clock)
        super().__init__(selector)
        # What the loop has registered so far is its own wake-up pipe: a thread handing back
        # its result, or `jump()`, writes there; that is the conductor's own work, not news.
        selector.internal = frozenset(key.fd for key in selector.get_map().values())

    def time(self) -> float:
        return self.clock.monotonic()

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., T], *args: Any
    ) -> "asyncio.Future[T]":
        """The base loop's, counting the work out until its answer is back on the loop."""
        future = super().run_in_executor(executor, func, *args)
        self._autojump.handed_out += 1
        future.add_done_callback(self._handed_back)
        return future

    def _handed_back(self, _future: "asyncio.Future[Any]") -> None:
        self._autojump.handed_out -= 1

    async def shutdown_default_executor(self, *args: Any) -> None:
        """The base loop's, with time held still while its threads finish: its join timeout
        (300 s) is real time, not the clock's."""
        self._autojump.handed_out += 1
        try:
            await super().shutdown_default_executor(*args)
        finally:
            self._autojump.handed_out -= 1


class _AutojumpSelector(selectors.BaseSelector):
    """Real I/O readiness, with virtual waits: the loop asks to wait `timeout` virtual
    seconds (until its next timer) only when none of its tasks is ready. The clock then
    jumps by that much once the rest of the conductor's world is idle too: no real event (I/O,
    a process exit, a thread done) for its threshold of real seconds, and none of its threads
    or child processes at work on a CPU (their work is real, and time waits for it)."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._real = selectors.DefaultSelector()
        self._quiet_since = time.monotonic()
        self.internal: frozenset[int] = frozenset()
        """Descriptors whose events are no news from outside (the loop's wake-up pipe)."""
        self.handed_out = 0
        """Pieces of work the loop handed to threads whose answer is not back yet."""

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        threshold = self._clock.autojump_threshold
        if timeout is not None and timeout <= 0:
            return self._heard(self._real.select(0))
        if timeout is None or math.isinf(threshold):
            # No timer, or no autojump: only an event (or a `jump()`) wakes the loop.
            return self._heard(self._real.select(None))
        start = self._clock.monotonic()
        quiet_for = time.monotonic() - self._quiet_since
        events = self._heard(self._real.select(max(0.0, threshold - quiet_for)))
        if events or self._clock.monotonic() != start:
            return events
        if self.handed_out or _at_work():  # look again soon, without counting it as news
            return self._heard(self._real.select(AT_WORK_POLL_SECONDS))
        self._clock._advance(timeout)  # idle long enough: straight to the next timer
        return events

    def _heard(
        self, events: list[tuple[selectors.SelectorKey, int]]
    ) -> list[tuple[selectors.SelectorKey, int]]:
        if any(key.fd not in self.internal for key, _ in events):
            self._quiet_since = time.monotonic()
        return events

    def register(
        self, fileobj: "FileDescriptorLike", events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: "FileDescriptorLike") -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(
        self, fileobj: "FileDescriptorLike", events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Mapping["FileDescriptorLike", selectors.SelectorKey]:
        return self._real.get_map()
