"""Slots: what an attempt holds while it runs or is validated, counted against every cap.

An attempt of a job that was stopped keeps its slot until the runtime reports its end
(`drain`, then `drained`), and its sheet does not run again before.
"""

from podium.domain.engine.state import AttemptKey, EngineState
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey, Limits, Occupancy
from podium.domain.live import LiveJob, LiveSheet


class Slots:
    """Takes and gives the slots of attempts, including those of stopped jobs."""

    def __init__(self, state: EngineState) -> None:
        self._state = state

    def take(self, job: LiveJob, sheet: LiveSheet, key: InstrumentKey | None = None) -> None:
        """The sheet's attempt holds a slot on `key` (by default, its instrument's now)."""
        key = key or sheet.key
        self._state.slots.take(job.job_id, key)
        sheet.launched_on = key
        job.in_flight += 1

    def give(self, job: LiveJob, sheet: LiveSheet) -> None:
        """The sheet's attempt gives its slot back."""
        if sheet.launched_on is None:
            raise AssertionError(f"job {job.job_id} sheet {sheet.plan.num} holds no slot")
        self._state.slots.give(job.job_id, sheet.launched_on)
        sheet.launched_on = None
        job.in_flight -= 1

    def drain(self, job: LiveJob, sheet: LiveSheet, held: InstrumentKey) -> AttemptKey:
        """The attempt of a job being stopped keeps its slot (`held`), no longer the job's,
        until it ends. Returns the attempt's key."""
        key = (job.job_id, sheet.plan.num, sheet.attempts)
        self._state.draining[key] = (job.job_id, held)
        self._state.draining_sheets[(job.job_id, sheet.plan.num)] += 1
        job.in_flight -= 1
        sheet.launched_on = None
        return key

    def drained(self, key: AttemptKey) -> bool:
        """An attempt of a stopped job has ended: its slot is free again."""
        state = self._state
        held = state.draining.pop(key, None)
        if held is None:
            return False
        state.slots.give(*held)
        state.draining_sheets[key[:2]] -= 1
        if not state.draining_sheets[key[:2]]:
            del state.draining_sheets[key[:2]]
        return True

    def draining(self, job_id: JobId, num: SheetNum) -> bool:
        """Whether an attempt of the sheet is still being stopped."""
        return (job_id, num) in self._state.draining_sheets

    def change_limits(self, limits: Limits) -> None:
        """The slots held are counted again under new caps (a model may have gained or lost
        a cap of its own)."""
        state = self._state
        held = [
            (job.job_id, sheet.launched_on)
            for job in state.jobs.values()
            for sheet in job.sheets.values()
            if sheet.launched_on is not None
        ]
        held.extend(state.draining.values())
        state.limits = limits
        state.slots = Occupancy(limits)
        for job_id, key in held:
            state.slots.take(job_id, key)
