"""What psutil says about a process, in the shape `procfs` gives it: the portable process table
(macOS, the BSDs, and Linux under `PODIUM_PORTABLE=1`).

A process is named for good by its pid and its *start stamp*, an integer whose unit depends on
the operating system, never on the way it was read, so that a stamp recorded one way is
compared with one read the other way:
- on Linux, clock ticks since boot, as /proc/<pid>/stat has it: psutil's create time less the
  boot time it was computed from, in ticks (the same number, exactly; unaffected by changes of
  the wall clock);
- elsewhere, microseconds since the epoch of psutil's create time (from the kernel's process
  start time: fixed when the process starts).
A pid reused by another process has another stamp: it started later.
"""

import os
import sys
from collections.abc import Collection

import psutil

from podium.host.procfs import ProcStat

_ZOMBIE = (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied, ProcessLookupError)
"""What reading a process raises when it has gone (or is not ours to read)."""

LINUX = sys.platform.startswith("linux")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if LINUX else 0


def start_stamp(
    created: float, booted: float, linux: bool = LINUX, ticks: int = CLOCK_TICKS
) -> int:
    """The start stamp of a process created at `created` (psutil's create time) on a system
    booted at `booted` (psutil's boot time); see the module's docstring."""
    if linux:
        return round((created - booted) * ticks)
    return round(created * 1_000_000)


def stat(pid: int) -> ProcStat | None:
    """The process's state, group and start stamp; None when there is no such process."""
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            status = process.status()
            booted = psutil.boot_time() if LINUX else 0.0
            created = process.create_time()
        pgid = os.getpgid(pid)
    except (*_GONE, PermissionError):
        return None
    state = b"Z" if status in _ZOMBIE else b"R"
    return ProcStat(state, pgid, start_stamp(created, booted))


def running(pid: int) -> bool:
    found = stat(pid)
    return found is not None and found.running


def members(groups: Collection[int]) -> set[int]:
    """The live (not zombie) processes in any of the process groups: each pid's group asked
    first (a system call), psutil only for the few in them."""
    found = set()
    for pid in psutil.pids():
        try:
            in_group = os.getpgid(pid) in groups
        except (ProcessLookupError, PermissionError):
            continue
        if in_group and running(pid):
            found.add(pid)
    return found


def pids() -> list[int]:
    return psutil.pids()


def environ_value(pid: int, name: bytes) -> bytes | None:
    """One variable of the process's environment, or None (absent, gone, not ours). On macOS
    it is the environment the process started with, as on Linux."""
    try:
        found = psutil.Process(pid).environ()
    except (*_GONE, OSError):
        return None
    value = found.get(os.fsdecode(name))
    return None if value is None else os.fsencode(value)


def rss_bytes() -> int:
    """This process's resident memory."""
    return int(psutil.Process().memory_info().rss)
