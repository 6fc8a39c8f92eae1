"""Waiting for a process to exit, on the event loop, without SIGCHLD and without a thread per
process: the way `podium.host.platform` chose.

- pidfd (Linux): the process's pidfd becomes readable when it exits;
- kqueue (macOS, the BSDs): a kqueue watching the process's exit becomes readable;
- polling (anywhere else, and on Linux under `PODIUM_PORTABLE=1`): one thread looks at every
  watched process every `POLL_SECONDS` and writes to a pipe of the waiter's when its process is
  gone, so an exit is noticed within `POLL_SECONDS` (plus one look at each watched process).

In every way the loop hears of an exit as a descriptor turning readable, which the virtual clock
of the tests takes for news from outside, as it takes a pidfd. A process that is a zombie (its
parent has not reaped it) counts as gone; with a start stamp, so does a pid that now names
another process, and that is looked at only once the process is pinned (its pidfd opened, its
kqueue watch registered), so the pinned process is the one recorded.
"""

import asyncio
import contextlib
import logging
import os
import select
import sys
import threading
from collections.abc import Callable

from podium.host import platform, processes

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
"""The polling way's period: how late it may notice an exit at most (plus one look at each
watched process)."""


def gone(pid: int, start_stamp: int | None = None) -> bool:
    """Whether the process has ended: no such pid, a zombie, or, given the start stamp it was
    recorded with, a pid that names another process now."""
    found = processes.stat(pid)
    if found is None or not found.running:
        return True
    return start_stamp is not None and found.start_ticks != start_stamp


async def until_gone(pid: int, start_stamp: int | None = None, way: str | None = None) -> None:
    """Wait until the process ends; at once if it has (see `gone`). `way`: pidfd, kqueue or
    polling (default: the one `podium.host.platform` chose)."""
    way = way or platform.mode().exits.way
    if way == platform.PIDFD:
        await _by_pidfd(pid, start_stamp)
    elif way == platform.KQUEUE:
        await _by_kqueue(pid, start_stamp)
    else:
        await _by_polling(pid, start_stamp)


async def _by_pidfd(pid: int, start_stamp: int | None) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if start_stamp is None or not gone(pid, start_stamp):
            await readable(fd)
    finally:
        os.close(fd)


if sys.platform != "linux":

    async def _by_kqueue(pid: int, start_stamp: int | None) -> None:
        queue = select.kqueue()
        try:
            watch = select.kevent(
                pid,
                filter=select.KQ_FILTER_PROC,
                flags=select.KQ_EV_ADD | select.KQ_EV_ONESHOT,
                fflags=select.KQ_NOTE_EXIT,
            )
            try:
                queue.control([watch], 0, 0)
            except ProcessLookupError:
                return
            if not gone(pid, start_stamp):
                await readable(queue.fileno())
        finally:
            queue.close()

else:

    async def _by_kqueue(pid: int, start_stamp: int | None) -> None:
        raise OSError("Linux has no kqueue; podium.host.platform never chooses it here")


async def _by_polling(pid: int, start_stamp: int | None) -> None:
    heard, told = os.pipe()
    try:
        # Looked at here again once told: the poller's word is a hint, this look decides.
        while not gone(pid, start_stamp):
            POLLER.watch(told, lambda: gone(pid, start_stamp))
            try:
                await readable(heard)
            finally:
                POLLER.unwatch(told)
            os.read(heard, 64)
    finally:
        os.close(heard)
        os.close(told)


async def readable(fd: int) -> None:
    """Wait until `fd` is readable, on the running loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, ready)
    try:
        await done
    finally:
        loop.remove_reader(fd)


class Poller:
    """One thread that looks at every watched process each `period` seconds, and writes a byte
    to the waiter's pipe when its process is gone. Asleep while nothing is watched."""

    def __init__(self, period: float = POLL_SECONDS) -> None:
        self.period = period
        self._lock = threading.Lock()
        self._watches: dict[int, Callable[[], bool]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, told: int, ended: Callable[[], bool]) -> None:
        """Write to `told` once `ended()` says so (looked at from the poller's thread)."""
        with self._lock:
            self._watches[told] = ended
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="podium-exit-poller", daemon=True
                )
                self._thread.start()
            self._wake.set()

    def unwatch(self, told: int) -> None:
        """Stop watching; `told` is never written to after this returns (it may be closed)."""
        with self._lock:
            self._watches.pop(told, None)

    def watching(self) -> int:
        with self._lock:
            return len(self._watches)

    def _run(self) -> None:
        while True:
            with self._lock:
                watches = list(self._watches.items())
                if not watches:
                    self._wake.clear()
            if not watches:
                self._wake.wait()
                continue
            ended = [told for told, check in watches if _ended(check)]
            with self._lock:
                for told in ended:
                    if self._watches.pop(told, None) is not None:
                        with contextlib.suppress(OSError):
                            os.write(told, b"x")
            self._wake.wait(self.period)
            self._wake.clear()


def _ended(check: Callable[[], bool]) -> bool:
    """`check()`; True when it fails, so that its waiter looks for itself (and fails there,
    where the failure is seen, instead of waiting for ever on a poller that died)."""
    try:
        return check()
    except Exception:
        log.exception("looking whether a watched process ended failed")
        return True


POLLER = Poller()
