"""Waiting for a local attempt to end: its timeout, its idle timeout, and what it leaves.

Two clocks stop an attempt: its timeout, and with stale detection its idle timeout (nothing
written to stdout or stderr for that long). Both are read on the conductor's `Clock`, so that
a test on virtual time sees an hour-long timeout pass at once while the process itself stays
real.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from podium.domain.commands import Launch
from podium.domain.outcome import ExitStatus
from podium.domain.records import ProcessInfo
from podium.runtime.clock import Clock, wait_done
from podium.runtime.conductor_log import job_fields
from podium.runtime.executors.idle import IdleWatch
from podium.runtime.process import Adopted, Child, exit_status, group_exists, stop_group

log = logging.getLogger(__name__)

LEFTOVER_GRACE_SECONDS = 2.0
"""At most this long for what an ended attempt left running to stop after SIGTERM."""


class ProcessLost(Exception):
    """An attempt's process was lost with the machine that ran it, before it recorded how it
    ended (the message says what was lost): it runs again, as the engine's `AttemptLost`."""


class Watched(Protocol):
    """An attempt's process as its watcher sees it: a local `Child` or `Adopted`, or one that
    runs on another machine (the Ray executor's)."""

    @property
    def info(self) -> ProcessInfo | None: ...

    def wait(self) -> Awaitable[int]:
        """Its return code, Popen-style (negative for a signal), once it has ended. Raises
        ProcessLost when it ran on another machine, lost meanwhile."""
        ...

    def ended(self) -> bool:
        """Whether it is known to have ended already (with no conductor watching)."""
        ...


Stop = Callable[[float], Awaitable[None]]
"""Stops an attempt's process group, giving it that many seconds between SIGTERM and SIGKILL."""


async def until_exit(
    cmd: Launch,
    child: Watched,
    *,
    size: Callable[[], int],
    clock: Clock,
    grace: Callable[[], float],
    elapsed: float = 0.0,
    stop: Stop | None = None,
) -> ExitStatus:
    """Wait for the attempt to end, stopping it (SIGTERM, `grace()`, SIGKILL) at its timeout
    (`elapsed` of which had passed before this conductor watched it) or when its output
    (`size`) stays the same for its idle timeout; then stop whatever it left running. `stop`
    replaces the local stop by process group (for a process on another machine, whose
    executor stops its leftovers itself). Raises ProcessLost when the process was lost with
    its machine."""
    exited = asyncio.ensure_future(child.wait())
    if child.ended():
        # It ended while no conductor watched: it ran within its time, whatever the
        # time is now.
        await exited
    timed_out, stale = await _watch(cmd, exited, size, clock, elapsed)
    if not exited.done():
        if stop is not None:
            await stop(grace())
        elif child.info is not None:
            await stop_group(child.info.pgid, grace(), leader=_local(child))
    code = await exited
    if stop is None and child.info is not None and group_exists(child.info.pgid):
        # No process of an attempt may outlive it (a sheet that starts a service for later
        # sheets must detach it with setsid).
        log.warning(
            "attempt %s/%s/%s left processes behind; stopping them",
            *_key(cmd),
            extra=job_fields(*_key(cmd)),
        )
        await stop_group(child.info.pgid, min(grace(), LEFTOVER_GRACE_SECONDS))
    timeout, idle = cmd.timeout_seconds, cmd.idle_timeout_seconds
    return exit_status(
        code,
        timed_out=timed_out,
        timeout_seconds=timeout if timed_out else (idle if stale else None),
        stale=stale,
    )


async def _watch(
    cmd: Launch,
    exited: "asyncio.Future[int]",
    size: Callable[[], int],
    clock: Clock,
    elapsed: float,
) -> tuple[bool, bool]:
    """Wait until the attempt exits, times out or goes silent: (timed out, silent)."""
    timeout, idle = cmd.timeout_seconds, cmd.idle_timeout_seconds
    watch = IdleWatch(idle, size, clock.monotonic()) if idle else None
    deadline = clock.monotonic() + timeout - elapsed
    while not exited.done():
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            log.info(
                "attempt %s/%s/%s timed out after %gs; stopping it",
                *_key(cmd),
                timeout,
                extra=job_fields(*_key(cmd)),
            )
            return True, False
        step = min(remaining, watch.step) if watch else remaining
        if await wait_done(clock, exited, step):
            break
        if watch is not None and watch.silent(clock.monotonic()):
            log.info(
                "attempt %s/%s/%s wrote nothing for %gs; stopping it",
                *_key(cmd),
                idle,
                extra=job_fields(*_key(cmd)),
            )
            return False, True
    return False, False


def _local(child: Watched) -> Child | Adopted | None:
    return child if isinstance(child, Child | Adopted) else None


def _key(cmd: Launch) -> tuple[str, int, int]:
    return (cmd.job_id, cmd.sheet, cmd.attempt)
