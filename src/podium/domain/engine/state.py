"""The engine's mutable state, in one place: the active jobs, the slots they hold, the queue,
the rate-limit windows, the circuit breakers, the alarms and the attempts being drained.

Every collaborator of the engine is handed this one object; none keeps state of its own.
"""

import heapq
from collections import Counter

from podium.domain.alarms import Alarms
from podium.domain.breaker import Breaker
from podium.domain.decide import Budget
from podium.domain.events import RestoredJob
from podium.domain.gates import COST_GATE, Answer, GateRecord, GateWhen
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey, Limits, Occupancy
from podium.domain.live import LiveJob, LiveSheet
from podium.domain.plan import JobPlan
from podium.domain.pressure import LaunchPacing
from podium.domain.records import RateLimitRecord
from podium.domain.status import JobStatus, SheetStatus

AttemptKey = tuple[JobId, SheetNum, int]


class EngineState:
    """What the engine knows between two events; the collaborators change it in place."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.jobs: dict[JobId, LiveJob] = {}
        self.by_score: dict[str, JobId] = {}
        self.slots = Occupancy(limits)
        self.running: dict[JobId, LiveJob] = {}
        """The running jobs: dispatch looks only at these, however many wait in the queue."""
        self.queue: list[tuple[int, JobId]] = []
        self.windows: dict[InstrumentKey, RateLimitRecord] = {}
        self.breakers: dict[str, Breaker] = {}
        self.alarms = Alarms()
        self.pacing = LaunchPacing()
        """Backpressure: the resource monitor's level spaces attempt starts."""
        self.draining: dict[AttemptKey, tuple[JobId, InstrumentKey]] = {}
        """Attempts of stopped jobs whose process or validations have not ended yet: they keep
        their slot until they do, and their sheet does not run again before."""
        self.draining_sheets: Counter[tuple[JobId, SheetNum]] = Counter()
        self.seq = 0
        self.checks = 0
        """Numbers each skip check, so that an answer to an older one is recognised."""

    def add_job(
        self,
        job_id: JobId,
        plan: JobPlan,
        score_path: str,
        workspace: str,
        *,
        submitted_at: float,
        status: JobStatus,
    ) -> LiveJob:
        """A new live job, known by its id and holding its score's path."""
        sheets, dependents = sheets_of(plan, submitted_at)
        self.seq += 1
        job = LiveJob(
            self.seq, job_id, plan, score_path, workspace, submitted_at, status, sheets, dependents
        )
        job.asks = plan.asks
        self.jobs[job_id] = job
        self.by_score[score_path] = job_id
        return job

    def restore(self, stored: RestoredJob) -> LiveJob:
        """A job back in the engine as the store remembers it; nothing is decided yet."""
        rec = stored.job
        job = self.add_job(
            rec.job_id,
            stored.plan,
            rec.score_path,
            rec.workspace,
            submitted_at=rec.submitted_at,
            status=rec.status,
        )
        if rec.status is JobStatus.RUNNING:
            self.running[rec.job_id] = job
        job.started_at, job.finished_at, job.error = rec.started_at, rec.finished_at, rec.error
        job.detail, job.chain_depth, job.cost = rec.detail, rec.chain_depth, rec.cost
        job.resume_when_idle = rec.resume_when_idle
        job.history.extend(stored.history)
        for srec in stored.sheets:
            sheet = job.sheets.get(srec.num)
            if sheet is None:
                continue  # a sheet of the score before a modify
            sheet.status, sheet.updated_at, sheet.error = srec.status, srec.updated_at, srec.error
            sheet.attempts, sheet.blocked_by, sheet.fallback = (
                srec.attempts,
                srec.blocked_by,
                min(srec.fallback, len(sheet.plan.chain) - 1),
            )
            sheet.budget = Budget(
                srec.failures, srec.completions, srec.rate_waits, srec.quota_waits
            )
            sheet.due, sheet.wait, sheet.failed_checks = srec.due, srec.wait, srec.failed_checks
            sheet.cost = srec.cost
        for gate in stored.gates:
            if gate.sheet in job.sheets:
                restore_gate(job.sheets[gate.sheet], gate)
        if stored.plan.policy.parallel.fail_fast:
            failed = [n for n, s in job.sheets.items() if s.status is SheetStatus.FAILED]
            job.stopped_by = min(failed, default=None)
        recount(job)
        return job

    def enqueue(self, job: LiveJob) -> None:
        """The job waits for a job slot, behind every job submitted before it."""
        heapq.heappush(self.queue, (job.seq, job.job_id))

    def forget(self, job: LiveJob) -> None:
        """The job leaves the engine, and the score paths it held are free again."""
        del self.jobs[job.job_id]
        for path in (job.score_path, job.held_path):
            if path is not None:
                self.release_path(job, path)

    def release_path(self, job: LiveJob, path: str) -> None:
        """`path` is no longer the job's to run (unless another job holds it now)."""
        if self.by_score.get(path) == job.job_id:
            del self.by_score[path]

    def breaker(self, instrument: str) -> Breaker:
        """The instrument's circuit breaker, closed until it is first judged."""
        breaker = self.breakers.get(instrument)
        if breaker is None:
            breaker = self.breakers[instrument] = Breaker()
        return breaker

    def current(
        self, job_id: JobId, num: SheetNum, attempt: int, status: SheetStatus
    ) -> tuple[LiveJob, LiveSheet] | None:
        """The job and sheet a result belongs to, or None when the result is stale."""
        job = self.jobs.get(job_id)
        sheet = job.sheets.get(num) if job else None
        if job is None or sheet is None or sheet.status is not status:
            return None
        if sheet.attempts != attempt:
            return None
        return job, sheet


def sheets_of(
    plan: JobPlan, now: float
) -> tuple[dict[SheetNum, LiveSheet], dict[SheetNum, list[SheetNum]]]:
    """A plan's sheets, all pending, and for each sheet the sheets that depend on it."""
    dependents: dict[SheetNum, list[SheetNum]] = {p.num: [] for p in plan.sheets}
    for p in plan.sheets:
        for dep in p.depends_on:
            dependents[dep].append(p.num)
    sheets = {
        p.num: LiveSheet(p, SheetStatus.PENDING, now, unmet=len(p.depends_on)) for p in plan.sheets
    }
    return sheets, dependents


def recount(job: LiveJob) -> None:
    """Derive a job's counters and each sheet's unmet dependencies from the statuses."""
    job.terminal = sum(1 for s in job.sheets.values() if s.status.is_terminal)
    job.completed = sum(1 for s in job.sheets.values() if s.status is SheetStatus.COMPLETED)
    job.ready = {n for n, s in job.sheets.items() if s.status is SheetStatus.READY}
    job.awaiting = {n for n, s in job.sheets.items() if s.status is SheetStatus.AWAITING_APPROVAL}
    for sheet in job.sheets.values():
        sheet.unmet = sum(
            1 for d in sheet.plan.depends_on if not job.sheets[d].satisfies_dependents
        )


def restore_gate(sheet: LiveSheet, gate: GateRecord) -> None:
    """A sheet's latest question back, and what it says the sheet passed."""
    sheet.gate = gate
    passed = gate.answer is Answer.APPROVE and sheet.status is not SheetStatus.PENDING
    if gate.name == COST_GATE:
        # The cost question follows the sheet's own gate before it, which was passed then.
        own = sheet.plan.gate
        sheet.cost_approved = passed
        sheet.approved = own is not None and own.when is GateWhen.BEFORE
    else:
        sheet.approved = passed
