"""The event stream's rules: which changes a committed batch makes known, how they are numbered
and kept for a subscriber that reconnects, and which of them a subscriber wants.

Every change carries the whole of what it is about (a job's record, a sheet's), so that
applying it twice leaves a copy of the state as applying it once: a subscriber's snapshot may
already hold a change that the stream then brings, and nothing goes wrong.
"""

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from podium.domain.commands import Persist
from podium.domain.fleet import FleetStatus
from podium.domain.gates import GateRecord
from podium.domain.ids import JobId
from podium.domain.outcome import AttemptOutcome
from podium.domain.pressure import Pressure
from podium.domain.records import (
    AttemptRecord,
    HookRecord,
    JobNote,
    JobRecord,
    RateLimitRecord,
    SheetRecord,
)

JOB = "job"
SHEET = "sheet"
ATTEMPT = "attempt"
CHECKS = "checks"
NOTE = "note"
HOOK = "hook"
RATE_LIMIT = "rate_limit"
PRESSURE = "pressure"
FLEET = "fleet"
OUTPUT = "output"
APPROVAL = "approval"
KINDS = (JOB, SHEET, ATTEMPT, CHECKS, NOTE, HOOK, RATE_LIMIT, PRESSURE, FLEET, OUTPUT, APPROVAL)
"""Every kind of event."""


@dataclass(frozen=True, slots=True)
class WindowCleared:
    """A rate-limit window that ended early or expired."""

    instrument: str
    model: str | None


@dataclass(frozen=True, slots=True)
class FleetMoved:
    """A fleet submitted, or moved to another status."""

    fleet_id: str
    status: FleetStatus
    reason: str | None


@dataclass(frozen=True, slots=True)
class OutputLine:
    """A line an attempt wrote (the end of a very long one: see the tailer)."""

    attempt: int
    stream: str
    """stdout or stderr."""
    text: str
    offset: int
    """Where the line starts in its file: a reader that got the file up to some offset
    elsewhere (`job.logs`) skips the lines before it."""


Subject = (
    JobRecord
    | SheetRecord
    | AttemptRecord
    | JobNote
    | HookRecord
    | RateLimitRecord
    | WindowCleared
    | Pressure
    | FleetMoved
    | OutputLine
    | GateRecord
)


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that changed: its kind, the job it belongs to (None for the conductor's own)
    and what it is about, whole: a record, or for the conductor's own changes what the
    runtime measured."""

    kind: str
    job_id: JobId | None
    subject: Subject
    sheet: int | None = None
    """The sheet it is about, for sheets, attempts, checks and output."""


def changes(batch: Iterable[Persist]) -> list[Change]:
    """What a committed batch makes known, in the order it was committed; within one step,
    the attempts (with their checks once decided) and sheets before their job, so that a job's
    end is the last word on it (approval questions come with their sheets), then its notes,
    hooks and the rate-limit windows."""
    found: list[Change] = []
    for persist in batch:
        for attempt in persist.attempts:
            found.append(Change(ATTEMPT, attempt.job_id, attempt, attempt.sheet))
            if attempt.validations and attempt.outcome is not AttemptOutcome.VALIDATING:
                found.append(Change(CHECKS, attempt.job_id, attempt, attempt.sheet))
        found += [Change(SHEET, s.job_id, s, s.num) for s in persist.sheets]
        found += [Change(APPROVAL, g.job_id, g, g.sheet) for g in persist.gates]
        found += [Change(JOB, job.job_id, job) for job in persist.jobs]
        found += [Change(NOTE, note.job_id, note) for note in persist.notes]
        found += [Change(HOOK, hook.job_id, hook) for hook in persist.hooks]
        found += [Change(RATE_LIMIT, None, window) for window in persist.rate_limits]
        found += [
            Change(RATE_LIMIT, None, WindowCleared(instrument, model))
            for instrument, model in persist.rate_limits_cleared
        ]
    return found


@dataclass(frozen=True, slots=True)
class Interest:
    """What a subscriber asked for. Empty `job_ids` or `kinds`: all of them; `output` comes
    only for the (job, sheet) pairs named, sheet 0 naming every sheet of the job."""

    job_ids: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    output: frozenset[tuple[str, int]] = frozenset()

    def wants(self, change: Change) -> bool:
        if change.kind == OUTPUT:
            job_id = str(change.job_id)
            return (job_id, change.sheet or 0) in self.output or (job_id, 0) in self.output
        if self.kinds and change.kind not in self.kinds:
            return False
        return not self.job_ids or change.job_id is None or change.job_id in self.job_ids


def unknown_kinds(kinds: Iterable[str]) -> list[str]:
    """The kinds named that do not exist, in the order given."""
    return [kind for kind in kinds if kind not in KINDS]


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Numbered(Generic[T]):
    """An event with its place in the stream and the time it was committed."""

    seq: int
    at: float
    item: T


class Ring(Generic[T]):
    """The latest `capacity` events, numbered 1, 2, 3… in the order they happened, so that a
    subscriber that comes back with the number of the last one it took gets what it missed,
    or learns that it is gone."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a ring keeps one event at least")
        self._kept: deque[Numbered[T]] = deque(maxlen=capacity)
        self.seq = 0
        """The number of the last event; 0 before the first."""

    def add(self, item: T, at: float) -> Numbered[T]:
        self.seq += 1
        numbered = Numbered(self.seq, at, item)
        self._kept.append(numbered)
        return numbered

    def after(self, seq: int) -> Sequence[Numbered[T]] | None:
        """The events after number `seq`, oldest first; None when some of them are no longer
        kept, or `seq` is ahead of the stream (a position in another run's stream)."""
        if seq > self.seq or seq < 0:
            return None
        missed = self.seq - seq
        if missed > len(self._kept):
            return None
        return list(self._kept)[len(self._kept) - missed :] if missed else []

    def __iter__(self) -> Iterator[Numbered[T]]:
        return iter(self._kept)
