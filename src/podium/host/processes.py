"""The process table, read the way `podium.host.platform` chose: /proc (the Linux fast path) or
psutil (everywhere else, and on Linux under `PODIUM_PORTABLE=1`). Both give a process's state,
group and start stamp (`podium.host.psproc` defines the stamp), its environment, and this
process's memory; everyone asks here, never a backend directly.

psutil is imported only when it is chosen: the CLI asks here too.
"""

from collections.abc import Collection
from typing import Protocol

from podium.host import platform
from podium.host.procfs import ProcStat

__all__ = ["ProcStat", "environ_value", "members", "pids", "rss_bytes", "running", "stat"]


class ProcessTable(Protocol):
    """What a backend answers (`podium.host.procfs`, `podium.host.psproc`)."""

    def stat(self, pid: int) -> ProcStat | None: ...

    def pids(self) -> list[int]: ...

    def members(self, groups: Collection[int]) -> set[int]: ...

    def environ_value(self, pid: int, name: bytes) -> bytes | None: ...

    def rss_bytes(self) -> int: ...


_TABLE: ProcessTable | None = None


def table() -> ProcessTable:
    """The backend this process uses."""
    global _TABLE  # noqa: PLW0603 - chosen once, on first use
    if _TABLE is None:
        if platform.mode().processes.way == platform.PROCFS:
            from podium.host import procfs  # noqa: PLC0415

            _TABLE = procfs
        else:
            from podium.host import psproc  # noqa: PLC0415 - psutil only when it is used

            _TABLE = psproc
    return _TABLE


def stat(pid: int) -> ProcStat | None:
    """The process's state, group and start stamp; None when there is no such process."""
    return table().stat(pid)


def running(pid: int) -> bool:
    """Whether the pid names a live process (not a zombie)."""
    found = stat(pid)
    return found is not None and found.running


def pids() -> list[int]:
    """Every process's pid."""
    return table().pids()


def members(groups: Collection[int]) -> set[int]:
    """The live (not zombie) processes in any of the process groups."""
    return table().members(groups)


def environ_value(pid: int, name: bytes) -> bytes | None:
    """One variable of the process's initial environment, or None (absent, gone, not ours)."""
    return table().environ_value(pid, name)


def rss_bytes() -> int:
    """This process's resident memory, in bytes."""
    return table().rss_bytes()
