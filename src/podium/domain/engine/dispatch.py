"""Starting work: queued jobs take job slots, ready sheets take sheet slots, within every limit
(conductor, score, instrument and model caps, rate-limit windows, circuit breakers,
backpressure)."""

import heapq
import math

from podium.domain.alarms import AlarmKind
from podium.domain.commands import Launch
from podium.domain.decide import Action
from podium.domain.engine.flow import SheetFlow
from podium.domain.engine.moves import Moves, attempt_record
from podium.domain.engine.rules import Rules
from podium.domain.engine.slots import Slots
from podium.domain.engine.state import EngineState
from podium.domain.engine.windows import Windows
from podium.domain.limits import Limits
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import JobEvent, JobStatus, SheetEvent


class Dispatch:
    """Admits queued jobs and launches ready sheets while every limit has room."""

    def __init__(
        self,
        state: EngineState,
        *,
        moves: Moves,
        flow: SheetFlow,
        slots: Slots,
        windows: Windows,
        rules: Rules,
    ) -> None:
        self._state = state
        self._moves = moves
        self._flow = flow
        self._slots = slots
        self._windows = windows
        self._rules = rules

    def change_limits(self, limits: Limits, now: float) -> None:
        """New limits from now on; `handle` then admits and dispatches as always. The slots
        held are counted again under the new caps, and each running job's timeout alarm is
        set from its new limit."""
        self._slots.change_limits(limits)
        for job in self._state.jobs.values():
            if job.status is JobStatus.RUNNING and job.started_at is not None:
                self._state.alarms.set(
                    max(now, job.started_at + limits.job_timeout_seconds),
                    AlarmKind.JOB_TIMEOUT,
                    job.job_id,
                )

    def admit(self, now: float, out: Changes) -> None:
        """Start queued jobs, oldest first, while job slots are free."""
        state = self._state
        while (
            state.queue
            and len(state.running) < state.limits.max_concurrent_jobs
            and state.pacing.admits_jobs
        ):
            seq, job_id = heapq.heappop(state.queue)
            job = state.jobs.get(job_id)
            if job is None or job.seq != seq or job.status is not JobStatus.QUEUED:
                continue
            self._moves.job(job, JobEvent.START, out)
            job.started_at = now
            out.job(job)
            self._flow.start(job, now, out)
            self._rules.settle(job, now, out)

    def dispatch(self, now: float, out: Changes) -> None:
        """Launch ready sheets while every limit has room: jobs in submission order, sheets in
        number order within a job."""
        slots = self._state.slots
        if slots.full() or not self._pressure_allows(now):
            return
        jobs = sorted((j for j in self._state.running.values() if j.ready), key=lambda j: j.seq)
        for job in jobs:
            if not self._job_may_launch(job, now):
                continue
            limit = job.plan.policy.parallel.limit
            for num in sorted(job.ready):
                if slots.by_job[job.job_id] >= limit or slots.full() or now < job.not_before:
                    break
                sheet = job.sheets[num]
                if (
                    sheet.checking is not None
                    or self._slots.draining(job.job_id, num)
                    or not self._windows.available(job, sheet, now, out)
                ):
                    continue
                if slots.room_for(sheet.key):
                    self._launch(job, sheet, now, out)
                    if not self._pressure_allows(now):
                        return
            if slots.full():
                return

    def _job_may_launch(self, job: LiveJob, now: float) -> bool:
        return not (
            self._state.slots.by_job[job.job_id] >= job.plan.policy.parallel.limit
            or job.pending is not None
            or job.resume_when_idle
            or job.stopped_by is not None
            or now < job.not_before
        )

    def _pressure_allows(self, now: float) -> bool:
        """Whether backpressure lets an attempt start now; when it will later, the engine
        asks to look again then."""
        pacing = self._state.pacing
        until = pacing.hold_until(now)
        if until is None:
            return True
        if until < math.inf and until != pacing.asked:
            pacing.asked = until
            self._state.alarms.set(until, AlarmKind.LOOK)
        return False

    def _launch(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        completion = sheet.wait == Action.COMPLETE
        self._moves.sheet(job, sheet, SheetEvent.DISPATCH, now, out)
        sheet.attempts += 1
        sheet.attempt_started_at = now
        sheet.exit, sheet.exited_at, sheet.due, sheet.wait = None, None, None, None
        sheet.usage, sheet.quota, sheet.feedback, sheet.review = None, False, None, None
        sheet.mode = "completion" if completion else "normal"
        self._slots.take(job, sheet)
        self._state.pacing.last_launch = now
        self._state.breaker(sheet.instrument).started(now)
        out.attempt(attempt_record(job, sheet, AttemptOutcome.RUNNING, now))
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
                *_person_prompt(sheet),
            )
        )
        if policy.parallel.enabled and policy.parallel.stagger_delay_ms:
            self._flow.hold_dispatch(job, now + policy.parallel.stagger_delay_ms / 1000)


def _person_prompt(sheet: LiveSheet) -> tuple[str | None, bool]:
    """The text a person gave with the sheet's approval, and whether it replaces the prompt."""
    gate = sheet.gate
    if gate is None or gate.prompt is None or not (sheet.approved or sheet.cost_approved):
        return None, False
    return gate.prompt, gate.replace_prompt
