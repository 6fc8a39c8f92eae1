"""Child processes that belong to Podium: their own session, output to files, reaped by pidfd.

An attempt never depends on the conductor's pipes: its stdin, stdout and stderr are files, and
it leads its own session and process group, so a signal to the group reaches every descendant
and the attempt could outlive the conductor.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from podium.domain.outcome import ExitStatus
from podium.domain.records import ProcessInfo


@dataclass(slots=True)
class Child:
    """A process started by `spawn`; `wait()` reaps it."""

    popen: subprocess.Popen[bytes]
    info: ProcessInfo
    _exit: asyncio.Future[int] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.info.pid

    async def wait(self) -> int:
        """Wait for the exit without a thread or SIGCHLD: the pidfd becomes readable."""
        code = self.popen.poll()
        if code is not None:
            return code
        loop = asyncio.get_running_loop()
        fd = os.pidfd_open(self.pid)
        done: asyncio.Future[None] = loop.create_future()

        def exited() -> None:
            if not done.done():
                done.set_result(None)

        loop.add_reader(fd, exited)
        try:
            await done
        finally:
            loop.remove_reader(fd)
            os.close(fd)
        code = self.popen.poll()
        assert code is not None, f"pid {self.pid} signalled exit but could not be reaped"
        return code


def spawn(
    argv: tuple[str, ...] | list[str],
    *,
    cwd: Path,
    stdout: Path,
    stderr: Path,
    stdin: Path | None = None,
    env: dict[str, str] | None = None,
) -> Child:
    """Start `argv` in a new session, with its streams on files. Raises OSError on failure."""
    with contextlib.ExitStack() as files:
        out = files.enter_context(stdout.open("wb"))
        err = out if stderr == stdout else files.enter_context(stderr.open("wb"))
        inp = files.enter_context((stdin or Path(os.devnull)).open("rb"))
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=inp,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    info = ProcessInfo(pid=popen.pid, pgid=popen.pid, start_ticks=start_ticks(popen.pid) or 0)
    return Child(popen, info)


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None when it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[19])


def is_alive(info: ProcessInfo) -> bool:
    """True when `info.pid` is still the process we started (not a reuse of its pid)."""
    ticks = start_ticks(info.pid)
    return ticks is not None and ticks == info.start_ticks


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send `sig` to a process group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def group_exists(pgid: int) -> bool:
    """True while a live (not zombie) process is in the group.

    `killpg(pgid, 0)` also counts zombies, which linger wherever the init process does not
    reap orphans (as in many containers); so when it finds the group, /proc decides.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                return True
    return False


def exit_status(
    returncode: int, *, timed_out: bool = False, timeout_seconds: float | None = None
) -> ExitStatus:
    """Popen's return code (negative for a signal) as an `ExitStatus`."""
    if returncode < 0:
        return ExitStatus(None, -returncode, timed_out, timeout_seconds)
    return ExitStatus(returncode, None, timed_out, timeout_seconds)


async def wait_group_gone(pgid: int, timeout: float, poll: float = 0.02) -> bool:
    """Wait until no process of the group remains; False if some did after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if not group_exists(pgid):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(poll)


async def stop_group(pgid: int, grace: float, leader: Child | None = None) -> None:
    """SIGTERM the group, give it `grace` seconds, then SIGKILL whatever is left.

    With `leader`, the leader is reaped as it exits, so it cannot linger as a zombie that keeps
    the group looking alive.
    """
    if not signal_group(pgid, signal.SIGTERM):
        return
    reaper = asyncio.ensure_future(leader.wait()) if leader else None
    try:
        if not await wait_group_gone(pgid, grace):
            signal_group(pgid, signal.SIGKILL)
            await wait_group_gone(pgid, 5.0)
        if reaper is not None:
            await reaper
    finally:
        if reaper is not None and not reaper.done():
            reaper.cancel()
