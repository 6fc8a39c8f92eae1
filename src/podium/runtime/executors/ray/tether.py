"""An attempt that dies with its actor.

The attempt runs in a session of its own (`podium.runtime.process.spawn`), so it would outlive
the actor's worker process: a node lost, its raylet killed, the actor killed, and the attempt
would run on unwatched while the conductor runs it again elsewhere. So the actor starts a
tether, before the attempt: a small process, in a session of its own too, that holds the read
end of a pipe whose write end only the actor's worker process holds (the pipe's ends close on
exec, so the attempt never has it). Once the attempt has started, the actor writes down which
it is. When the worker dies, the pipe ends, and the tether stops the attempt's process group
(SIGTERM, `grace` seconds, SIGKILL) and ends; it also ends once the group is gone (the attempt
ended), or when the pipe ends before any attempt was written down.

The tether is not the worker's child: Ray kills a dead worker's children (the attempt's exit
wrapper among them, but not the rest of its group), so the process the worker starts forks
the tether and ends at once. A conductor that restarts leaves the detached actor, and so the
attempt, as they are: only the actor's own death stops it.

    python -m podium.runtime.executors.ray.tether GRACE   # stdin: the pipe, "PID PGID TICKS\n"
"""

import asyncio
import os
import select
import signal
import subprocess
import sys
import threading

from podium.domain.records import ProcessInfo
from podium.runtime.process import Child, group_left_by, signal_group, stop_group

GRACE_SECONDS = 5.0
"""Between SIGTERM and SIGKILL when the tether stops an attempt whose actor died."""

POLL_SECONDS = 1.0
"""How often the tether looks whether the attempt's group is gone."""

MODULE = "podium.runtime.executors.ray.tether"


class Tether:
    """A tether started by this process, before the attempt (so that its start costs the
    attempt nothing); `hold` tells it which attempt to stop once this process dies. The
    write end of its pipe stays open as long as this process lives."""

    def __init__(self, starter: "subprocess.Popen[bytes]", fd: int) -> None:
        self._fd = fd
        self._pid: int | None = None
        self._known = threading.Event()
        # The starter forks the tether, says its pid and ends at once: reaped aside, so that
        # it lingers as no zombie.
        threading.Thread(
            target=self._reap, args=(starter,), name="tether starter", daemon=True
        ).start()

    def _reap(self, starter: "subprocess.Popen[bytes]") -> None:
        assert starter.stdout is not None
        with starter, starter.stdout:
            said = starter.stdout.readline().strip()
        self._pid = int(said) if said.isdigit() else None
        self._known.set()

    def hold(self, child: Child) -> None:
        """Tether the attempt just started; when the tether is gone, the attempt is killed
        (nothing would stop it once this process dies) and OSError raised."""
        info = child.info
        try:
            os.write(self._fd, f"{info.pid} {info.pgid} {info.start_ticks}\n".encode())
        except OSError as exc:
            signal_group(info.pgid, signal.SIGKILL)
            why = f"the attempt's tether is gone, so the attempt was stopped: {exc}"
            raise OSError(why) from exc

    def pid(self) -> int:
        """The tether's pid, once its starter has said it. Raises OSError when it did not."""
        self._known.wait()
        if self._pid is None:
            raise OSError(f"{sys.executable} -m {MODULE} did not start its tether")
        return self._pid

    def release(self) -> None:
        """Close the write end of the pipe, as this process's death would."""
        os.close(self._fd)


def start_tether(grace: float = GRACE_SECONDS) -> Tether:
    """Start a tether for the attempt this process is about to start (see the module).
    Raises OSError when it cannot start."""
    read, write = os.pipe()
    try:
        starter = subprocess.Popen(
            [sys.executable, "-m", MODULE, str(grace)],
            stdin=read,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)
    return Tether(starter, write)


def hold(pipe: int, info: ProcessInfo, grace: float, poll: float = POLL_SECONDS) -> bool:
    """Wait until the pipe ends or the attempt's group is gone; when the pipe ended first,
    stop the group. True when it stopped it."""
    while group_left_by(info):
        ready, _, _ = select.select([pipe], [], [], poll)
        if ready and not os.read(pipe, 512):
            if not group_left_by(info):
                return False
            asyncio.run(stop_group(info.pgid, grace))
            return True
    return False


def attempt_of(pipe: int) -> ProcessInfo | None:
    """The attempt's process as the pipe's first line says it ('PID PGID START_TICKS'), or
    None when the pipe ended first (the attempt never started)."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(pipe, 1)
        if not chunk:
            return None
        line += chunk
    pid, pgid, ticks = (int(word) for word in line.split())
    return ProcessInfo(pid, pgid, ticks)


def main(argv: list[str]) -> int:
    """Fork the tether, say its pid, and end: the tether is no child of the process that
    started it. The tether reads which attempt it holds, then holds it."""
    [grace] = argv
    child = os.fork()
    if child:
        print(child, flush=True)
        return 0
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    info = attempt_of(sys.stdin.fileno())
    if info is not None:
        hold(sys.stdin.fileno(), info, float(grace))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
