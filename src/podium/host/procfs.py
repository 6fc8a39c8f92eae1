"""What /proc says about a process: its state, group, start time and environment.

Standard library only and no pathlib, because the CLI uses it too.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection

ZOMBIE_STATES = (b"Z", b"X")


class ProcStat:
    """The fields of /proc/<pid>/stat that Podium needs."""

    __slots__ = ("pgid", "start_ticks", "state")

    def __init__(self, state: bytes, pgid: int, start_ticks: int) -> None:
        self.state = state
        self.pgid = pgid
        self.start_ticks = start_ticks
        """Start time in clock ticks since boot: with the pid, it names one process for good
        (the start stamp on Linux, see `podium.host.psproc`)."""

    @property
    def running(self) -> bool:
        """Alive: not a zombie (an init that does not reap orphans leaves those around)."""
        return self.state not in ZOMBIE_STATES


def stat(pid: int) -> ProcStat | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return ProcStat(fields[0], int(fields[2]), int(fields[19]))


def running(pid: int) -> bool:
    found = stat(pid)
    return found is not None and found.running


def members(groups: "Collection[int]") -> set[int]:
    """The live (not zombie) processes in any of the process groups."""
    found = set()
    for pid in pids():
        stat_ = stat(pid)
        if stat_ is not None and stat_.pgid in groups and stat_.running:
            found.add(pid)
    return found


def pids() -> list[int]:
    with os.scandir("/proc") as entries:
        return [int(e.name) for e in entries if e.name.isdigit()]


def environ_value(pid: int, name: bytes) -> bytes | None:
    """One variable of the process's initial environment, or None (absent, gone, not ours)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    prefix = name + b"="
    for item in raw.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :]
    return None


def rss_bytes() -> int:
    """This process's resident memory, from /proc/self/statm."""
    with open("/proc/self/statm", "rb") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")
