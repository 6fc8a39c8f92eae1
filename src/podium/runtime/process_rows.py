"""The processes of each running attempt, measured now: what `podium top` shows under a sheet.

CPU is a share of one core since the previous look (psutil's way): the processes looked at are
kept between looks, each known by its pid and start time so that a reused pid starts over.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from podium.domain.ids import JobId, SheetNum
from podium.host import processes as process_table

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied)
COMMAND_CHARS = 200

AttemptKey = tuple[JobId, SheetNum, int]


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One process as measured now; `key` is its attempt (None for the conductor)."""

    key: AttemptKey | None
    pid: int
    ppid: int
    command: str
    cpu_percent: float | None
    """None the first time the process is looked at."""
    memory_mb: float
    started_at: float


class ProcessSampler:
    def __init__(self, groups: Callable[[], dict[AttemptKey, int]]) -> None:
        self._groups = groups
        self._known: dict[tuple[int, float], psutil.Process] = {}

    def sample(self) -> tuple[ProcessSample, list[ProcessSample]]:
        """The conductor itself, and every process of every attempt watched, by attempt,
        parents before children."""
        seen: dict[tuple[int, float], psutil.Process] = {}
        me = self._measure(None, os.getpid(), seen)
        assert me is not None  # this very process
        found: list[ProcessSample] = []
        for key, group in sorted(self._groups().items()):
            rows = (self._measure(key, pid, seen) for pid in process_table.members([group]))
            found += _parents_first([row for row in rows if row is not None], group)
        self._known = seen
        return me, found

    def _measure(
        self, key: AttemptKey | None, pid: int, seen: dict[tuple[int, float], psutil.Process]
    ) -> ProcessSample | None:
        try:
            probe = psutil.Process(pid)
            ident = (pid, probe.create_time())
            process = self._known.get(ident, probe)
            first = ident not in self._known
            with process.oneshot():
                cpu = process.cpu_percent(None)
                row = ProcessSample(
                    key=key,
                    pid=pid,
                    ppid=process.ppid(),
                    command=" ".join(process.cmdline())[:COMMAND_CHARS] or process.name(),
                    cpu_percent=None if first else round(cpu, 1),
                    memory_mb=round(process.memory_info().rss / 2**20, 1),
                    started_at=ident[1],
                )
        except _GONE:
            return None
        seen[ident] = process
        return row


def _parents_first(rows: list[ProcessSample], group: int) -> list[ProcessSample]:
    """The group's leader first, then each process after its parent (depth first)."""
    children: dict[int, list[ProcessSample]] = {}
    pids = {row.pid for row in rows}
    roots = []
    for row in sorted(rows, key=lambda r: r.pid):
        if row.ppid in pids and row.pid != group:
            children.setdefault(row.ppid, []).append(row)
        else:
            roots.append(row)
    ordered: list[ProcessSample] = []
    stack = sorted(roots, key=lambda r: (r.pid != group, r.pid), reverse=True)
    while stack:
        row = stack.pop()
        ordered.append(row)
        stack += reversed(children.get(row.pid, []))
    return ordered
