"""Which way Podium asks the operating system about processes and socket peers: the Linux fast
paths, or the portable ones that work on macOS and elsewhere. Decided once per process, by what
the system offers, and forced portable with `PODIUM_PORTABLE=1` (so that Linux can run the
portable paths too: CI runs the integration suites both ways).

Three choices, each with the same guarantee either way (docs/platforms.md):
- the process table (state, group, start time, environment, memory): /proc, or psutil;
- waiting for a process to exit: a pidfd, a kqueue (macOS, the BSDs), or polling;
- who is at the other end of the socket: SO_PEERCRED, LOCAL_PEERCRED (macOS, FreeBSD), or,
  where neither is used, the socket's folder being private to this user.

Standard library only, no dataclasses: the CLI imports it.
"""

import os
import select
import socket
import sys

PORTABLE_ENV = "PODIUM_PORTABLE"

PROCFS, PSUTIL = "procfs", "psutil"
PIDFD, KQUEUE, POLLING = "pidfd", "kqueue", "polling"
SO_PEERCRED, LOCAL_PEERCRED, SOCKET_FOLDER = "SO_PEERCRED", "LOCAL_PEERCRED", "socket folder"

_LOCAL_PEERCRED_SYSTEMS = ("darwin", "freebsd")
"""Where getsockopt(SOL_LOCAL, LOCAL_PEERCRED) gives the peer's `struct xucred`."""


class Choice:
    """One way of doing something, and why it was taken."""

    __slots__ = ("reason", "way")

    def __init__(self, way: str, reason: str) -> None:
        self.way = way
        self.reason = reason

    def __repr__(self) -> str:
        return f"Choice({self.way!r}, {self.reason!r})"


class Probes:
    """What the system offers (found by `probe`, or given by a test)."""

    __slots__ = ("kqueue", "peercred", "pidfd", "procfs", "system")

    def __init__(
        self, *, system: str, procfs: bool, pidfd: str | None, kqueue: bool, peercred: bool
    ) -> None:
        self.system = system
        self.procfs = procfs
        self.pidfd = pidfd
        """None when pidfds work, else why not."""
        self.kqueue = kqueue
        self.peercred = peercred


class HostMode:
    """The ways chosen for this process."""

    __slots__ = ("exits", "forced", "peers", "processes")

    def __init__(self, forced: bool, processes: Choice, exits: Choice, peers: Choice) -> None:
        self.forced = forced
        """Portable because `PODIUM_PORTABLE=1` said so, not because the system lacks anything."""
        self.processes = processes
        self.exits = exits
        self.peers = peers

    @property
    def portable(self) -> bool:
        """Whether any fallback is in use."""
        return (self.processes.way, self.exits.way, self.peers.way) != (
            PROCFS,
            PIDFD,
            SO_PEERCRED,
        )

    def summary(self) -> str:
        """One line: which way each question is answered."""
        return f"processes: {self.processes.way}, exits: {self.exits.way}, peers: {self.peers.way}"


def forced(env: dict[str, str] | os._Environ[str]) -> bool:
    """Whether the environment asks for the portable paths."""
    return env.get(PORTABLE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def decide(probes: Probes, force: bool) -> HostMode:
    """The ways to take, given what the system offers (pure)."""
    why = f"{PORTABLE_ENV}=1 forces the portable paths"
    return HostMode(
        force,
        _processes(probes, force, why),
        _exits(probes, force, why),
        _peers(probes, force, why),
    )


def _processes(probes: Probes, force: bool, why: str) -> Choice:
    if force:
        return Choice(PSUTIL, why)
    if probes.procfs:
        return Choice(PROCFS, "/proc is there (the Linux fast path)")
    return Choice(PSUTIL, f"no /proc on {probes.system}")


def _exits(probes: Probes, force: bool, why: str) -> Choice:
    if not force and probes.pidfd is None:
        return Choice(PIDFD, "pidfds work (the Linux fast path)")
    if probes.kqueue:
        return Choice(KQUEUE, why if force else f"kqueue watches exits on {probes.system}")
    return Choice(POLLING, why if force else f"no pidfds ({probes.pidfd}) and no kqueue")


def _peers(probes: Probes, force: bool, why: str) -> Choice:
    if not force and probes.peercred:
        return Choice(SO_PEERCRED, "the kernel names the peer (SO_PEERCRED)")
    if probes.system.startswith(_LOCAL_PEERCRED_SYSTEMS):
        return Choice(LOCAL_PEERCRED, f"the kernel names the peer on {probes.system}")
    reason = why if force else f"no SO_PEERCRED on {probes.system}"
    return Choice(SOCKET_FOLDER, f"{reason}: only a private socket folder keeps others out")


def probe() -> Probes:
    """What this system offers."""
    return Probes(
        system=sys.platform,
        procfs=os.path.isfile("/proc/self/stat"),  # noqa: PTH113 - the CLI avoids pathlib
        pidfd=_pidfd_problem(),
        kqueue=hasattr(select, "kqueue"),
        peercred=hasattr(socket, "SO_PEERCRED"),
    )


def _pidfd_problem() -> str | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return "this Python has no os.pidfd_open"
    try:
        os.close(opener(os.getpid()))
    except OSError as exc:
        return f"pidfd_open failed: {exc.strerror or exc}"
    return None


_MODE: HostMode | None = None


def mode() -> HostMode:
    """The ways this process uses, decided at the first call and kept."""
    global _MODE  # noqa: PLW0603 - read once per process, on first use
    if _MODE is None:
        _MODE = decide(probe(), forced(os.environ))
    return _MODE
