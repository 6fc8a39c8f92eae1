"""The engine's alarms: times at which something may change without any event arriving (a retry
falls due, a rate-limit window ends, pacing is over, a job runs out of time).

The engine asks the runtime for one wake-up at a time (`WakeAt`) and gets a `Tick` back;
alarms that no longer matter when they ring are simply ignored.
"""

import heapq
from dataclasses import dataclass, field
from enum import StrEnum

from podium.domain.ids import JobId, SheetNum


class AlarmKind(StrEnum):
    DUE = "due"
    """A waiting sheet may run again."""
    JOB_TIMEOUT = "job_timeout"
    WINDOW_END = "window_end"
    GATE = "gate"
    """An approval gate's deadline: its `on_timeout` answer applies."""
    LOOK = "look"
    """Only look again: pacing, a stagger or a circuit breaker's recovery time is over."""


@dataclass(frozen=True, slots=True, order=True)
class Alarm:
    at: float
    seq: int
    kind: AlarmKind = field(compare=False)
    job_id: JobId | None = field(default=None, compare=False)
    sheet: SheetNum | None = field(default=None, compare=False)
    attempt: int = field(default=0, compare=False)


class Alarms:
    def __init__(self) -> None:
        self._heap: list[Alarm] = []
        self._seq = 0
        self._asked: float | None = None

    def set(
        self,
        at: float,
        kind: AlarmKind,
        job_id: JobId | None = None,
        sheet: SheetNum | None = None,
        attempt: int = 0,
    ) -> None:
        self._seq += 1
        heapq.heappush(self._heap, Alarm(at, self._seq, kind, job_id, sheet, attempt))

    def ring(self, now: float) -> list[Alarm]:
        """The alarms due at `now`, oldest first; the wake-up asked for has happened."""
        self._asked = None
        due = []
        while self._heap and self._heap[0].at <= now:
            due.append(heapq.heappop(self._heap))
        return due

    def wake_needed(self) -> float | None:
        """The time to ask the runtime to wake the engine at, when it has not been asked for
        that time or an earlier one already."""
        if not self._heap:
            return None
        first = self._heap[0].at
        if self._asked is not None and self._asked <= first:
            return None
        self._asked = first
        return first

    def __len__(self) -> int:
        return len(self._heap)
