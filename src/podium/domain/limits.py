"""The conductor's limits, and the count of what holds them.

Every attempt in flight holds one slot of the conductor (`max_concurrent_sheets`), one of its
job's, and one of its instrument's, or of its model's where the model has a cap of its own. A
running job holds a job slot (`max_concurrent_jobs`); a paused or queued one does not.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from podium.domain.ids import JobId

InstrumentKey = tuple[str, str | None]
"""An instrument and the model it runs, when one is named."""

DEFAULT_INSTRUMENT_CAP = 4


@dataclass(frozen=True, slots=True)
class Limits:
    max_concurrent_jobs: int = 15
    max_concurrent_sheets: int = 10
    job_timeout_seconds: float = 86400.0
    """A job running longer than this since its latest start or resume fails."""
    instrument_caps: Mapping[str, int] = field(default_factory=dict)
    model_caps: Mapping[InstrumentKey, int] = field(default_factory=dict)
    default_instrument_cap: int = DEFAULT_INSTRUMENT_CAP
    script_instruments: frozenset[str] = frozenset({"cli"})
    """Instruments whose exit code is the work's own verdict (a script's), not a sign of the
    instrument's health: their failures do not feed the circuit breaker."""

    def cap_of(self, key: InstrumentKey) -> tuple[InstrumentKey, int]:
        """The slot an attempt on `key` takes: its model's when the model has a cap (Marianne's
        rule), otherwise its instrument's."""
        instrument, model = key
        if model is not None and key in self.model_caps:
            return key, self.model_caps[key]
        cap = self.instrument_caps.get(instrument, self.default_instrument_cap)
        return (instrument, None), cap


@dataclass(slots=True)
class Occupancy:
    """Slots held right now. The engine takes one when it launches an attempt and gives it back
    when the attempt's outcome is decided (or, for a stopped attempt, when its process ended)."""

    limits: Limits
    sheets: int = 0
    by_job: Counter[JobId] = field(default_factory=Counter)
    by_key: Counter[InstrumentKey] = field(default_factory=Counter)

    def room_for(self, key: InstrumentKey) -> bool:
        slot, cap = self.limits.cap_of(key)
        return self.sheets < self.limits.max_concurrent_sheets and self.by_key[slot] < cap

    def take(self, job_id: JobId, key: InstrumentKey) -> None:
        self.sheets += 1
        self.by_job[job_id] += 1
        self.by_key[self.limits.cap_of(key)[0]] += 1

    def give(self, job_id: JobId, key: InstrumentKey) -> None:
        slot = self.limits.cap_of(key)[0]
        if self.sheets <= 0 or self.by_job[job_id] <= 0 or self.by_key[slot] <= 0:
            raise AssertionError(f"giving back a slot that was not taken: {job_id} {key}")
        self.sheets -= 1
        self.by_job[job_id] -= 1
        self.by_key[slot] -= 1
        if not self.by_job[job_id]:
            del self.by_job[job_id]
        if not self.by_key[slot]:
            del self.by_key[slot]

    def full(self) -> bool:
        return self.sheets >= self.limits.max_concurrent_sheets
