"""Child processes that belong to Podium: their own session, output to files, their exits
waited for on the event loop (`podium.runtime.exits`: a pidfd, a kqueue, or polling).

An attempt never depends on the conductor's pipes: its stdin, stdout and stderr are files, and
it leads its own session and process group, so a signal to the group reaches every descendant
and the attempt could outlive the conductor.
"""

import asyncio
import contextlib
import errno
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from podium.domain.outcome import ExitStatus
from podium.domain.records import Carried, ProcessInfo
from podium.host import processes
from podium.host.private import open_private, user_umask
from podium.runtime.exits import until_gone


@dataclass(slots=True)
class Child:
    """A process started by `spawn`; `wait()` reaps it."""

    popen: subprocess.Popen[bytes]
    info: ProcessInfo
    _exit: asyncio.Future[int] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.info.pid

    def ended(self) -> bool:
        """False: this conductor watches its own child from its start."""
        return False

    async def wait(self) -> int:
        """Wait for the exit without SIGCHLD (see `podium.runtime.exits`), then reap it."""
        code = self.popen.poll()
        if code is not None:
            return code
        await until_gone(self.pid)
        code = self.popen.poll()
        assert code is not None, f"pid {self.pid} signalled exit but could not be reaped"
        return code


@dataclass(slots=True)
class Adopted:
    """The process of an attempt started by an earlier conductor: not our child, so it is
    watched by its pid and start stamp, and how it ended is read from the file its exit wrapper
    wrote.
    `info` is None for an attempt that had ended before any conductor learnt its pid: its
    exit file is all there is."""

    info: ProcessInfo | None
    exit_file: Path

    def ended(self) -> bool:
        """Its wrapper recorded how it ended (it is gone, or about to be)."""
        return read_exit_file(self.exit_file) is not None

    async def wait(self) -> int:
        """Its return code, Popen-style (negative for a signal); -SIGKILL when the wrapper
        itself was killed before it could say (a stop, or the OOM killer)."""
        if self.info is not None:
            await until_gone(self.info.pid, self.info.start_ticks)
        code = read_exit_file(self.exit_file)
        if code is None:
            return -signal.SIGKILL
        return -(code - 128) if str(code) in _REPLAYED.split("|") else code


_REPLAYED = "|".join(str(128 + n) for n in (*range(1, 17), 24, 25, 26, 27, 29, 30, 31))
"""Exit codes a shell gives a command killed by a signal that ends a process (not STOP, CONT,
CHLD, WINCH…, which a code of 145..151 or 156 would otherwise replay)."""

EXIT_WRAPPER = (
    '"$@"; c=$?; umask 077; printf "%s\\n" "$c" 1<> "$0"; '
    f'case "$c" in {_REPLAYED}) ulimit -c 0; kill -$((c - 128)) $$;; esac; exit "$c"'
)
"""Runs the command and writes its exit status to a file (`$0`), so that the status is known
even when nobody waited for the process (the conductor restarted meanwhile); then it ends the
way the command did: by the same signal (without a core dump), or with the same code. (A
command that exits on purpose with a code a shell gives a signal, 143 say, is taken for that
signal; codes of signals that do not end a process are left as codes.)

Only shell builtins run besides the command: the wrapper costs one exec. The file is written
just before the wrapper exits, so once the wrapper is gone the file is whole, and private
(the command itself runs under the user's umask, see `spawn`). A full disk cannot refuse it:
`spawn` makes the file beforehand, filled with blanks (`EXIT_ROOM` bytes), and the wrapper
writes over it in place (`1<>` neither truncates nor needs a new block); a file of blanks says
the wrapper has not written yet. A signal to the
attempt's group ends the wrapper at once, without a file: whoever stopped the attempt knows how
it ended. When the command dies by a signal, the shell says so on stderr ("Segmentation
fault"), as a shell running it would."""


def wrapped(argv: tuple[str, ...] | list[str], exit_file: Path) -> list[str]:
    """`argv` run through EXIT_WRAPPER, recording its status in `exit_file`."""
    return ["/bin/sh", "-c", EXIT_WRAPPER, str(exit_file), *argv]


EXIT_ROOM = 16
"""Bytes of blanks the exit file is made with: room for any status and its newline."""


def make_exit_file(path: Path) -> None:
    """Make the exit file, private, with room for the status taken now (see EXIT_WRAPPER).
    Raises OSError when the disk has no room for it: the attempt must not start then."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if os.write(fd, b" " * EXIT_ROOM) != EXIT_ROOM:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    finally:
        os.close(fd)


def read_exit_file(path: Path) -> int | None:
    """The status an attempt's wrapper recorded (a shell's `$?`), or None when it has not
    (no file, or its blanks only)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def spawn(
    argv: tuple[str, ...] | list[str],
    *,
    cwd: Path,
    stdout: Path,
    stderr: Path,
    stdin: Path | None = None,
    env: dict[str, str] | None = None,
    exit_file: Path | None = None,
) -> Child:
    """Start `argv` in a new session, with its streams on files; with `exit_file`, through the
    exit wrapper. The stream files are private (they may hold secrets); the process runs under
    the user's umask, so what it creates in the workspace is as the user would have it.
    Raises OSError on failure."""
    if exit_file is not None:
        make_exit_file(exit_file)
        argv = wrapped(argv, exit_file)
    with contextlib.ExitStack() as files:
        out = files.enter_context(_private_output(stdout))
        err = out if stderr == stdout else files.enter_context(_private_output(stderr))
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
            umask=user_umask(),
        )
    info = ProcessInfo(pid=popen.pid, pgid=popen.pid, start_ticks=start_ticks(popen.pid) or 0)
    return Child(popen, info)


def _private_output(path: Path) -> BinaryIO:
    return os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "wb")


MARKER = "PODIUM_ATTEMPT_ID"
"""Set in the environment of every attempt and validation process, so that a process can be
found again even when the conductor died before recording its pid."""


def marked_env(marker: str, carried: Carried | None = None) -> dict[str, str]:
    """The conductor's environment with `marker`, and the variables a job carries from the
    shell that submitted it laid over (its PATH searched before the conductor's)."""
    env = {**os.environ, **dict(carried or ()), MARKER: marker}
    if carried and os.environ.get("PATH") and env.get("PATH") != os.environ["PATH"]:
        env["PATH"] = f"{env['PATH']}{os.pathsep}{os.environ['PATH']}"
    return env


def start_ticks(pid: int) -> int | None:
    """The process's start stamp (`podium.host.psproc`), or None when it does not exist."""
    found = processes.stat(pid)
    return found.start_ticks if found else None


def still_runs(info: ProcessInfo) -> bool:
    """Whether the recorded process itself still runs: the same pid and start time, never a
    bare pid (the kernel may have reused it)."""
    found = processes.stat(info.pid)
    return found is not None and found.start_ticks == info.start_ticks and found.running


def group_left_by(info: ProcessInfo) -> bool:
    """Whether the process group of a recorded process still has live members.

    The pid alone is never trusted: if it now names another process (another start time), the
    kernel reused it, which it does only once no process is left in our group.
    """
    found = processes.stat(info.pid)
    if found is not None and found.start_ticks != info.start_ticks:
        return False
    return group_exists(info.pgid)


def leaders_marked(markers: set[str]) -> dict[str, ProcessInfo]:
    """For each of `markers` carried by a live process that leads its own process group (an
    attempt's exit wrapper: `spawn` starts it in a session of its own), that process."""
    wanted = {m.encode(): m for m in markers}
    found: dict[str, ProcessInfo] = {}
    for pid in processes.pids():
        value = processes.environ_value(pid, MARKER.encode())
        if value is None or value not in wanted:
            continue
        stat = processes.stat(pid)
        if stat is not None and stat.running and stat.pgid == pid:
            found[wanted[value]] = ProcessInfo(pid, pid, stat.start_ticks)
    return found


def groups_marked(markers: set[str]) -> set[int]:
    """The process groups of the live processes whose MARKER is one of `markers`."""
    wanted = {m.encode() for m in markers}
    groups = set()
    for pid in processes.pids():
        value = processes.environ_value(pid, MARKER.encode())
        if value is not None and value in wanted:
            found = processes.stat(pid)
            if found is not None and found.running:
                groups.add(found.pgid)
    return groups


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
    reap orphans (as in many containers); so when it finds the group, the process table
    decides.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return bool(processes.members({pgid}))


def exit_status(
    returncode: int,
    *,
    timed_out: bool = False,
    timeout_seconds: float | None = None,
    stale: bool = False,
) -> ExitStatus:
    """Popen's return code (negative for a signal) as an `ExitStatus`."""
    if returncode < 0:
        return ExitStatus(None, -returncode, timed_out, timeout_seconds, stale)
    return ExitStatus(returncode, None, timed_out, timeout_seconds, stale)


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


async def wait_within(child: Child, timeout: float, grace: float) -> int | None:
    """The child's return code, or None when it ran past `timeout`: its whole group is then
    stopped (SIGTERM, `grace`, SIGKILL). Cancelled, the group is killed at once."""
    try:
        return await asyncio.wait_for(child.wait(), timeout)
    except asyncio.CancelledError:
        signal_group(child.info.pgid, signal.SIGKILL)
        raise
    except TimeoutError:
        await stop_group(child.info.pgid, grace, leader=child)
        return None


async def stop_group(pgid: int, grace: float, leader: Child | Adopted | None = None) -> None:
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
