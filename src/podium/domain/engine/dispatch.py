"""Starting work: queued jobs take job slots, ready sheets take sheet slots, within every limit."""

import heapq
import math

from podium.domain.alarms import AlarmKind
from podium.domain.commands import (
    Launch,
)
from podium.domain.decide import Action
from podium.domain.engine.core import (
    key_name,
    utc_text,
)
from podium.domain.engine.lifecycle import Lifecycle
from podium.domain.limits import Limits, Occupancy
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
    SheetStatus,
)


class Dispatch(Lifecycle):
    def _change_limits(self, limits: Limits, now: float) -> None:
        """New limits from now on; `handle` then admits and dispatches as always. The slots
        held are counted again under the new caps (a model may have gained or lost a cap of
        its own), and each running job's timeout alarm is set from its new limit."""
        held = [
            (job.job_id, sheet.launched_on)
            for job in self._jobs.values()
            for sheet in job.sheets.values()
            if sheet.launched_on is not None
        ]
        held.extend(self._draining.values())
        self._limits = limits
        self._slots = Occupancy(limits)
        for job_id, key in held:
            self._slots.take(job_id, key)
        for job in self._jobs.values():
            if job.status is JobStatus.RUNNING and job.started_at is not None:
                self._alarms.set(
                    max(now, job.started_at + limits.job_timeout_seconds),
                    AlarmKind.JOB_TIMEOUT,
                    job.job_id,
                )

    def _admit(self, now: float, out: Changes) -> None:
        """Start queued jobs, oldest first, while job slots are free."""
        while (
            self._queue
            and len(self._running) < self._limits.max_concurrent_jobs
            and self._pacing.admits_jobs
        ):
            seq, job_id = heapq.heappop(self._queue)
            job = self._jobs.get(job_id)
            if job is None or job.seq != seq or job.status is not JobStatus.QUEUED:
                continue
            self._move_job(job, JobEvent.START, out)
            job.started_at = now
            out.job(job)
            self._started(job, now, out)
            self._settle(job, now, out)

    def _started(self, job: LiveJob, now: float, out: Changes) -> None:
        started = job.started_at if job.started_at is not None else now
        self._alarms.set(
            started + self._limits.job_timeout_seconds, AlarmKind.JOB_TIMEOUT, job.job_id
        )
        for sheet in list(job.sheets.values()):
            if sheet.status is SheetStatus.PENDING and sheet.unmet == 0:
                self._make_ready(job, sheet, now, out)

    def _dispatch(self, now: float, out: Changes) -> None:
        """Launch ready sheets while every limit has room: jobs in submission order, sheets in
        number order within a job."""
        if self._slots.full() or not self._pressure_allows(now):
            return
        jobs = sorted((j for j in self._running.values() if j.ready), key=lambda j: j.seq)
        for job in jobs:
            limit = job.plan.policy.parallel.limit
            if (
                self._slots.by_job[job.job_id] >= limit
                or job.pending is not None
                or job.resume_when_idle
                or job.stopped_by is not None
                or now < job.not_before
            ):
                continue
            for num in sorted(job.ready):
                if (
                    self._slots.by_job[job.job_id] >= limit
                    or self._slots.full()
                    or now < job.not_before
                ):
                    break
                sheet = job.sheets[num]
                if (
                    sheet.checking is not None
                    or (job.job_id, num) in self._draining_sheets
                    or not self._available(job, sheet, now, out)
                ):
                    continue
                if self._slots.room_for(sheet.key):
                    self._launch(job, sheet, now, out)
                    if not self._pressure_allows(now):
                        return
            if self._slots.full():
                return

    def _pressure_allows(self, now: float) -> bool:
        """Whether backpressure lets an attempt start now; when it will later, the engine
        asks to look again then."""
        until = self._pacing.hold_until(now)
        if until is None:
            return True
        if until < math.inf and until != self._pacing.asked:
            self._pacing.asked = until
            self._alarms.set(until, AlarmKind.LOOK)
        return False

    def _available(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> bool:
        """Whether the sheet's instrument takes work now; a sheet that has somewhere else to go
        moves there rather than wait for a rate limit or an open circuit breaker."""
        while True:
            window = self._window_on(sheet.key, now)
            breaker = self._breakers.get(sheet.instrument)
            if window is None and (breaker is None or breaker.allows(now)):
                return True
            if not sheet.has_fallback:
                return False
            if window is not None:
                reason = f"{key_name(sheet.key)} is rate limited until {utc_text(window.until)}"
            else:
                reason = f"the circuit breaker of {sheet.instrument} is open"
            self._fall_back(job, sheet, reason, now, out)

    def _launch(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        completion = sheet.wait == Action.COMPLETE
        self._move(job, sheet, SheetEvent.DISPATCH, now, out)
        sheet.attempts += 1
        sheet.attempt_started_at = now
        sheet.exit, sheet.exited_at, sheet.due, sheet.wait = None, None, None, None
        sheet.usage, sheet.quota = None, False
        sheet.mode = "completion" if completion else "normal"
        self._take_slot(job, sheet)
        self._pacing.last_launch = now
        self._breaker(sheet.instrument).started(now)
        out.attempt(self._attempt(job, sheet, AttemptOutcome.RUNNING, now))
        policy = job.plan.policy
        out.effects.append(
            Launch(
                job.job_id,
                sheet.plan.num,
                sheet.attempts,
                sheet.instrument,
                sheet.model,
                sheet.plan.timeout_seconds,
                policy.idle_timeout_seconds,
                sheet.failed_checks if completion else (),
                sheet.error if sheet.attempts > 1 else None,
            )
        )
        if policy.parallel.enabled and policy.parallel.stagger_delay_ms:
            self._hold_dispatch(job, now + policy.parallel.stagger_delay_ms / 1000)
