"""Resource pressure: how close the conductor and its processes are to their limits, and what
each level does (backpressure, one of the dispatch limits).

A sample is the memory (RSS) of the conductor and every process it started, together, and the
number of those processes. Its share of a limit is the larger of the two shares:

| level    | share above | effect                                                          |
|----------|-------------|-----------------------------------------------------------------|
| none     |             | none                                                            |
| low      | 50 %        | at most one attempt starts every 0.5 s                          |
| medium   | 70 %        | at most one attempt starts every 2 s                            |
| high     | 85 %        | one attempt every 10 s; new jobs and resumes are refused        |
| critical | 95 %        | no attempt starts, no queued job starts; at each measurement    |
|          |             | the newest running job is paused (never killed)                 |
| disk     | (see below) | no attempt starts, no queued job starts; new jobs are refused;  |
|          |             | running attempts go on                                          |

A level is entered as soon as its threshold is passed, but left only once the share has fallen
5 points below it (`HYSTERESIS`), so that a share hovering at a threshold does not make the
level flap at every measurement.

The disk level comes from the state folder, not from a share: it holds while the folder is
nearly full or read-only (`podium.domain.disk`), whatever memory and processes say.
"""

import math
from dataclasses import dataclass
from enum import StrEnum


class PressureLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    DISK = "disk"
    """The state folder is full or read-only (`podium.domain.disk`)."""

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def refuses_work(self) -> bool:
        """New jobs and resumes are refused at this level."""
        return self.rank >= PressureLevel.HIGH.rank


_ORDER = tuple(PressureLevel)

THRESHOLDS: tuple[tuple[PressureLevel, float], ...] = (
    (PressureLevel.CRITICAL, 0.95),
    (PressureLevel.HIGH, 0.85),
    (PressureLevel.MEDIUM, 0.70),
    (PressureLevel.LOW, 0.50),
)
"""The share of a limit above which each level begins, highest first."""

HYSTERESIS = 0.05
"""How far below its threshold the share must fall for a level to be left."""

LAUNCH_GAP_SECONDS: dict[PressureLevel, float] = {
    PressureLevel.NONE: 0.0,
    PressureLevel.LOW: 0.5,
    PressureLevel.MEDIUM: 2.0,
    PressureLevel.HIGH: 10.0,
    PressureLevel.CRITICAL: math.inf,
    PressureLevel.DISK: math.inf,
}
"""The least time between two attempt starts, across all jobs, at each level."""


@dataclass(frozen=True, slots=True)
class ResourceCaps:
    max_memory_mb: float
    max_processes: int


@dataclass(frozen=True, slots=True)
class Sample:
    memory_mb: float
    """RSS of the conductor and every process it started, together."""
    processes: int
    """Processes the conductor started (attempts and their children), not itself."""


@dataclass(frozen=True, slots=True)
class Pressure:
    """The monitor's latest word: the level, why, and what it was measured from."""

    level: PressureLevel
    reason: str
    caps: ResourceCaps
    sample: Sample | None = None
    """None until a measurement succeeded (and after one failed)."""
    sampled_at: float | None = None


def level_of(share: float, previous: PressureLevel = PressureLevel.NONE) -> PressureLevel:
    """The level for `share` (of a limit, 1.0 = at the limit), given the level before."""
    rising = _plain_level(share, 0.0)
    falling = _plain_level(share, HYSTERESIS)
    kept = previous if previous.rank < falling.rank else falling
    return rising if rising.rank > kept.rank else kept


def _plain_level(share: float, lowered_by: float) -> PressureLevel:
    for level, threshold in THRESHOLDS:
        if share > threshold - lowered_by:
            return level
    return PressureLevel.NONE


def assess(sample: Sample, caps: ResourceCaps, previous: PressureLevel, now: float) -> Pressure:
    """The pressure `sample` puts on `caps`, the level before being `previous`."""
    memory = sample.memory_mb / caps.max_memory_mb
    processes = sample.processes / caps.max_processes
    level = level_of(max(memory, processes), previous)
    memory_text = f"memory {_size(sample.memory_mb)} of {_size(caps.max_memory_mb)} ({memory:.0%})"
    processes_text = f"{sample.processes} of {caps.max_processes} processes ({processes:.0%})"
    if level is PressureLevel.NONE:
        reason = f"{memory_text}, {processes_text}"
    else:
        reason = memory_text if memory >= processes else processes_text
    return Pressure(level, reason, caps, sample, now)


def unmeasured(previous: Pressure, caps: ResourceCaps, error: str, now: float) -> Pressure:
    """A measurement failed: the level stays what it was, and the reason says so."""
    return Pressure(
        previous.level,
        f"not measured ({error}); the level is the last one measured",
        caps,
        None,
        now,
    )


def with_disk(pressure: Pressure, trouble: str | None) -> Pressure:
    """The pressure with the state folder's word laid over it: the disk level while the folder
    is in trouble (see `podium.domain.disk.disk_trouble`), else `pressure` as it is."""
    if trouble is None:
        return pressure
    return Pressure(
        PressureLevel.DISK, trouble, pressure.caps, pressure.sample, pressure.sampled_at
    )


def refusal(pressure: Pressure) -> str:
    """Why new work is refused under `pressure` (a level that refuses work), and what to do."""
    if pressure.level is PressureLevel.DISK:
        return (
            f"the conductor takes no new work now: {pressure.reason} (podium conductor-status "
            "shows it; jobs already running keep their state)"
        )
    return (
        f"the conductor is under {pressure.level} resource pressure ({pressure.reason}) and "
        "takes no new work now; try again when the load drops (podium conductor-status "
        "shows it)"
    )


def pause_note(reason: str) -> str:
    """The note on a job the conductor paused to shed load."""
    return f"paused by the conductor: {reason}; resume it when the load drops"


def _size(mb: float) -> str:
    if mb < 1024:
        return f"{mb:.0f} MB"
    return f"{mb / 1024:.1f}".removesuffix(".0") + " GB"


@dataclass(slots=True)
class LaunchPacing:
    """The engine's view of the pressure: the level, and when the last attempt started."""

    level: PressureLevel = PressureLevel.NONE
    last_launch: float | None = None
    asked: float | None = None
    """The wake-up already asked for, to look again once the gap is over."""

    def hold_until(self, now: float) -> float | None:
        """None when an attempt may start at `now`; otherwise the time one may (infinite
        while the level allows none)."""
        gap = LAUNCH_GAP_SECONDS[self.level]
        if self.last_launch is None and gap < math.inf:
            return None
        start = (self.last_launch or 0.0) + gap
        return None if now >= start else start

    @property
    def admits_jobs(self) -> bool:
        """Queued jobs may start (they would only be paused again at the critical level)."""
        return self.level not in (PressureLevel.CRITICAL, PressureLevel.DISK)
