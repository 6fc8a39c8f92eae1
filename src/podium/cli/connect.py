"""Finding the conductor, and starting one in the background when there is none."""

from __future__ import annotations

import os
import sys
import time

from podium.domain.errors import UserError, refused_write
from podium.host.locations import SOCKET_PATH_MAX, Locations, listening, locate
from podium.host.private import open_private, secure_state_dir
from podium.ipc.client import AnswerLate, ConductorClient, ConductorUnavailable
from podium.ipc.methods import DAEMON_STATUS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.ipc.schema import ConductorInfo

START_TIMEOUT_SECONDS = 20.0

LOADING = "loading"
"""The state of a conductor that answers but has not read its settings or store yet: it may
still fail to start (see `podium.conductor.loading`)."""


def client(locations: Locations | None = None, timeout: float = 30.0) -> ConductorClient:
    loc = locations or locate()
    if loc.socket_too_long():
        raise UserError(
            f"the socket path {loc.socket} is longer than {SOCKET_PATH_MAX} bytes, "
            "the limit for Unix sockets; set PODIUM_SOCKET to a shorter path"
        )
    return ConductorClient(loc.socket, timeout=timeout)


def conductor_info(conductor: ConductorClient) -> ConductorInfo | None:
    """The conductor's `daemon.status`, or None when it is not running."""
    try:
        return conductor.request(DAEMON_STATUS({}))
    except AnswerLate:
        raise  # it runs, busy: never taken for none (another would be started)
    except ConductorUnavailable:
        return None


class StartFailed(UserError):
    pass


def ensure_running(locations: Locations, *, no_start: bool) -> Locations:
    """Start a conductor in the background when none answers (`run` does), and say so on
    stderr; with `no_start`, a missing conductor is an error. The locations of the conductor
    that runs (one started here listens where its settings say)."""
    with client(locations) as conductor:
        if conductor_info(conductor) is not None:
            return locations
    if no_start:
        raise ConductorUnavailable(locations.socket, "not running, and --no-start")
    info = start_in_background(locations)
    print(
        f"started the conductor in the background (pid {info['pid']}{recovering(info)}; "
        f"log: {info['log_file']})",
        file=sys.stderr,
    )
    return Locations(locations.state_dir, locations.config_file, info["socket"])


def recovering(info: ConductorInfo) -> str:
    """What a started conductor is still doing, to say after its pid."""
    if info["state"] != "starting":
        return ""
    return "; taking back the unfinished jobs of its last run: new work waits until it is done"


def daemon_argv(
    config: str | None = None, profile: str | None = None, log_level: str | None = None
) -> list[str]:
    """`python -m podium.conductor.daemon` with the settings `podium start` was given."""
    argv = [sys.executable, "-m", "podium.conductor.daemon"]
    if config:
        argv += ["--config", os.path.abspath(config)]
    if profile:
        argv += ["--profile", profile]
    if log_level:
        argv += ["--log-level", log_level]
    return argv


def start_in_background(
    locations: Locations,
    config: str | None = None,
    profile: str | None = None,
    log_level: str | None = None,
) -> ConductorInfo:
    """Start the conductor in its own session and wait until it answers past loading (it has
    read its settings and opened its store, so it will not fail to start any more). It
    writes its own log (JSON lines); whatever it prints besides (why it could not start, a
    crash) goes to `locations.stderr_file`. Returns its `daemon.status`."""
    argv = [*daemon_argv(config, profile, log_level), "--detached"]
    try:
        # Checked here too, as the conductor does, because conductor.stderr is written first.
        was_open = secure_state_dir(locations.state_dir)
        out_fd = open_private(locations.stderr_file, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        if not refused_write(exc):
            raise
        raise StartFailed(
            f"the conductor cannot start: the state folder {locations.state_dir} takes no "
            f"write ({exc.strerror}); make room there or make it writable (or set PODIUM_HOME "
            "to another folder), then try again"
        ) from None
    if was_open is not None:
        print(
            f"podium: the state folder {locations.state_dir} was open to other users (mode "
            f"{was_open:o}); made it private (700)",
            file=sys.stderr,
        )
    try:
        before = os.fstat(out_fd).st_size
        pid = os.posix_spawn(
            sys.executable,
            argv,
            os.environ,
            setsid=True,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_fd, 1),
                (os.POSIX_SPAWN_DUP2, out_fd, 2),
            ],
        )
    finally:
        os.close(out_fd)
    return _wait_until_ready(locations, pid, before)


def _wait_until_ready(locations: Locations, pid: int, output_from: int) -> ConductorInfo:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            if code == 3:
                # Another start won the race: wait for that conductor instead.
                return _wait_for_other(deadline, locations)
            raise StartFailed(
                f"the conductor exited at start (code {code}):\n"
                f"{_output_tail(locations.stderr_file, output_from)}\n"
                f"(its output is in {locations.stderr_file})"
            )
        info = _answer(locations)
        if info is not None and info["pid"] == pid and info["state"] != LOADING:
            return info
        # Another conductor answering means another start won the race: ours is about
        # to find the lock taken and exit, and must not outlive this command.
        time.sleep(0.02)
    raise StartFailed(
        f"the conductor did not answer within {START_TIMEOUT_SECONDS:g}s; see "
        f"{locations.stderr_file} and its log"
    )


def _wait_for_other(deadline: float, locations: Locations) -> ConductorInfo:
    while time.monotonic() < deadline:
        info = _answer(locations)
        if info is not None and info["state"] != LOADING:
            return info
        time.sleep(0.02)
    raise StartFailed(
        "another conductor holds the lock but does not answer; see " + locations.stderr_file
    )


def _answer(locations: Locations) -> ConductorInfo | None:
    """`daemon.status` from the socket the starting conductor names once it listens (read
    again each time: it may listen elsewhere than the last one did)."""
    with client(listening(locations), timeout=5.0) as conductor:
        return conductor_info(conductor)


_OUTPUT_TAIL_BYTES = 64 * 1024


def _output_tail(path: str, start: int, lines: int = 8) -> str:
    """The last lines the conductor printed from offset `start` on."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            f.seek(max(start, end - _OUTPUT_TAIL_BYTES))
            text = f.read(_OUTPUT_TAIL_BYTES).decode(errors="replace")
    except OSError:
        return "  (no output)"
    tail = text.splitlines()[-lines:]
    if tail:
        return "\n".join("  " + line for line in tail)
    return "  (no output)" + _no_room(os.path.dirname(path))


FULL_BYTES = 1024 * 1024
"""Less free space than this where the conductor writes its output: that is why it said nothing."""


def _no_room(state_dir: str) -> str:
    """Why a conductor that exited at start could not say why: its folder is full."""
    try:
        found = os.statvfs(state_dir)
    except OSError:
        return ""
    free = found.f_bavail * found.f_frsize
    if free >= FULL_BYTES:
        return ""
    return (
        f"\n  the state folder {state_dir} is full ({free // 1024} KB free), so the conductor "
        "could not write its lock, log or output; make room there, then try again"
    )
