"""Approval gates in the engine: a sheet asks a person before it runs (or before it counts as
done), waits in `awaiting_approval` holding no slot, and goes on as the first answer says."""

from dataclasses import replace

from podium.domain.alarms import Alarm, AlarmKind
from podium.domain.commands import Accepted, Reply
from podium.domain.engine.costs import over_limit
from podium.domain.engine.flow import SheetFlow
from podium.domain.engine.moves import Moves
from podium.domain.engine.rules import Rules
from podium.domain.engine.state import EngineState
from podium.domain.engine.words import reject, utc_text
from podium.domain.events import AnswerGate
from podium.domain.gates import (
    BY_DEADLINE,
    BY_PERSON,
    COST_GATE,
    Answer,
    GatePlan,
    GateRecord,
    GateWhen,
    OnTimeout,
    answer_command,
    waiting_detail,
)
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.status import JobEvent, JobStatus, SheetEvent, SheetStatus


class Gates:
    """Opens, answers and expires the approval questions of the engine's jobs."""

    def __init__(self, state: EngineState, moves: Moves, flow: SheetFlow, rules: Rules) -> None:
        self._state = state
        self._moves = moves
        self._flow = flow
        self._rules = rules

    @staticmethod
    def due(job: LiveJob, sheet: LiveSheet, when: GateWhen) -> GatePlan | None:
        """The gate the sheet must pass now, at this point of its run, or None: its own,
        then, over a cost limit with `on_exceed: ask`, the cost question."""
        gate = sheet.plan.gate
        if gate is None or gate.when is not when or sheet.approved:
            return _cost_gate(job, sheet) if when is GateWhen.BEFORE else None
        if gate.min_retry is not None and sheet.budget.failures < gate.min_retry:
            return None
        if gate.cost_over is not None:
            spent = job.cost if gate.cost_of_job else sheet.cost
            if spent < gate.cost_over:
                return None
        return gate

    def ask_ready(self, now: float, out: Changes) -> None:
        """Every ready sheet of a running job with a gate before it asks its question (before
        any dispatch: a question holds no slot, so it is asked whatever room there is)."""
        for job in [j for j in self._state.running.values() if j.asks]:
            for num in sorted(job.ready):
                self._ask_before(job, job.sheets[num], now, out)
            if job.awaiting and job.detail is None:  # resumed, or back after a restart
                self.describe_wait(job, out)

    def _ask_before(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        if sheet.checking is None and (gate := self.due(job, sheet, GateWhen.BEFORE)):
            self.ask(job, sheet, gate, now, out)

    def ask(self, job: LiveJob, sheet: LiveSheet, gate: GatePlan, now: float, out: Changes) -> bool:
        """Ask the gate's question; True when the sheet now waits for the answer (False for a
        notice, `requires_confirmation: false`, after which the sheet goes on)."""
        num = sheet.plan.num
        if not gate.confirm:
            sheet.approved = True
            out.note(job, now, f"sheet {num} passed checkpoint '{gate.name}': {gate.message}")
            return False
        deadline = None if gate.timeout_seconds is None else now + gate.timeout_seconds
        sheet.gate = GateRecord(
            job.job_id,
            num,
            gate.name,
            gate.message,
            gate.when,
            now,
            deadline,
            gate.on_timeout,
            _context(job, sheet),
            gate.input_schema,
        )
        out.gate(sheet.gate)
        self._moves.sheet(job, sheet, SheetEvent.ASK, now, out)
        if deadline is not None:
            self._state.alarms.set(deadline, AlarmKind.GATE, job.job_id, num)
        out.note(
            job,
            now,
            f"sheet {num} waits for a person ('{gate.name}'): {answer_command(job.job_id, num)}",
        )
        self.describe_wait(job, out)
        return True

    def answer(self, event: AnswerGate, now: float, out: Changes) -> None:
        """A person's answer: the first one wins, later ones are refused naming it."""
        job = self._state.jobs.get(event.job_id)
        sheet = job.sheets.get(event.sheet) if job is not None else None
        if job is None or sheet is None:
            what = "is not active" if job is None else f"has no sheet {event.sheet}"
            reject(event.request, f"job '{event.job_id}' {what}", out, "not_found")
            return
        refusal = _refusal(job, sheet)
        if refusal:
            reject(event.request, refusal, out)
            return
        assert sheet.gate is not None
        sheet.gate = sheet.gate.answered(
            event.answer,
            now,
            BY_PERSON,
            note=event.note,
            prompt=event.prompt,
            replace_prompt=event.replace_prompt,
        )
        self._apply(job, sheet, now, out)
        message = f"sheet {sheet.plan.num} of job '{job.job_id}': {_said(sheet.gate)}"
        out.effects.append(Reply(event.request, Accepted(job.job_id, message)))

    def rang(self, alarm: Alarm, now: float, out: Changes) -> None:
        """A gate's deadline: its `on_timeout` answers, or the job pauses (once)."""
        job = self._state.jobs.get(alarm.job_id) if alarm.job_id else None
        sheet = job.sheets.get(alarm.sheet) if job and alarm.sheet else None
        gate = sheet.gate if sheet is not None else None
        if (
            job is None
            or sheet is None
            or gate is None
            or not gate.is_open
            or gate.expired
            or sheet.status is not SheetStatus.AWAITING_APPROVAL
            or gate.deadline is None
            or gate.deadline > now
        ):
            return
        if gate.on_timeout is OnTimeout.PAUSE:
            sheet.gate = _expired(gate)
            out.gate(sheet.gate)
            out.note(job, now, f"no answer about sheet {sheet.plan.num} in time: the job pauses")
            if job.status is JobStatus.RUNNING:
                job.detail = (
                    f"paused: no answer about sheet {sheet.plan.num} in time; "
                    f"{answer_command(job.job_id, sheet.plan.num)}, then podium resume"
                )
                self._moves.job(job, JobEvent.PAUSE, out)
                out.job(job)
            return
        sheet.gate = gate.answered(Answer(gate.on_timeout.value), now, BY_DEADLINE)
        self._apply(job, sheet, now, out)

    def rearm(self, sheet: LiveSheet) -> None:
        """After a restart: an open question's deadline is set again (one passed meanwhile
        rings at once)."""
        gate = sheet.gate
        if gate is not None and gate.is_open and not gate.expired and gate.deadline is not None:
            self._state.alarms.set(gate.deadline, AlarmKind.GATE, gate.job_id, gate.sheet)

    def describe_wait(self, job: LiveJob, out: Changes) -> None:
        """A running job says which sheets wait for a person (nothing once none does)."""
        if job.status is not JobStatus.RUNNING:
            return
        detail = waiting_detail(job.job_id, sorted(job.awaiting)) if job.awaiting else None
        if detail != job.detail:
            job.detail = detail
            out.job(job)

    def _apply(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> None:
        """The sheet goes on as its gate's answer says."""
        gate = sheet.gate
        assert gate is not None and gate.answer is not None
        out.gate(gate)
        out.note(job, now, f"sheet {sheet.plan.num}: {_said(gate)}")
        match gate.answer:
            case Answer.APPROVE if gate.name == COST_GATE:
                sheet.cost_approved = True
                self._moves.sheet(job, sheet, SheetEvent.APPROVE, now, out)
            case Answer.APPROVE:
                sheet.approved = True
                if gate.point is GateWhen.BEFORE:
                    self._moves.sheet(job, sheet, SheetEvent.APPROVE, now, out)
                else:
                    self._moves.sheet(job, sheet, SheetEvent.PASS, now, out)
                    job.completed_this_run += 1
                    self._flow.release_dependents(job, sheet, now, out)
            case Answer.REJECT:
                sheet.error = "rejected by a person" + (f": {gate.note}" if gate.note else "")
                self._moves.sheet(job, sheet, SheetEvent.FAIL, now, out)
                self._flow.skip_dependents(job, sheet, now, out)
                if job.plan.policy.parallel.fail_fast and job.stopped_by is None:
                    job.stopped_by = sheet.plan.num
            case Answer.SKIP:
                self._flow.skip_on_purpose(job, sheet, f"{_said(gate)}", now, out)
        self.describe_wait(job, out)
        self._rules.settle(job, now, out)


def _cost_gate(job: LiveJob, sheet: LiveSheet) -> GatePlan | None:
    """Over a cost limit with `on_exceed: ask`: the question the sheet asks before it runs."""
    if not job.plan.policy.cost.ask or sheet.cost_approved:
        return None
    reason = over_limit(job, sheet)
    return None if reason is None else GatePlan(COST_GATE, f"{reason}; run it anyway?")


def _refusal(job: LiveJob, sheet: LiveSheet) -> str:
    """Why the sheet cannot be answered now, or ""."""
    gate, num = sheet.gate, sheet.plan.num
    if gate is not None and not gate.is_open:
        return (
            f"sheet {num} of job '{job.job_id}' was already answered: {_said(gate)} "
            f"at {utc_text(gate.answered_at or gate.asked_at)}"
        )
    if gate is None or sheet.status is not SheetStatus.AWAITING_APPROVAL:
        return (
            f"sheet {num} of job '{job.job_id}' waits for no answer (it is "
            f"{sheet.status.value}); 'podium approvals' lists the open questions"
        )
    return ""


def _said(gate: GateRecord) -> str:
    """An answer in words: 'approved by a person (note: …)'."""
    verb = {Answer.APPROVE: "approved", Answer.REJECT: "rejected", Answer.SKIP: "skipped"}
    assert gate.answer is not None
    text = f"{verb[gate.answer]} by {gate.answered_by}"
    if gate.prompt:
        text += ", with a new prompt" if gate.replace_prompt else ", with added instructions"
    return text + (f" (note: {gate.note})" if gate.note else "")


def _expired(gate: GateRecord) -> GateRecord:
    return replace(gate, expired=True)


def _context(job: LiveJob, sheet: LiveSheet) -> str:
    """What the person is shown with the question."""
    plan = sheet.plan
    parts = [f"sheet {plan.num} of {job.plan.total_sheets}"]
    if plan.description:
        parts.append(plan.description)
    parts.append(f"instrument {sheet.instrument}")
    parts.append(f"attempts so far {sheet.attempts}")
    parts.append(f"cost so far ${sheet.cost:.2f} (job ${job.cost:.2f})")
    if sheet.status is SheetStatus.VALIDATING:
        parts.append("its checks passed")
    return "; ".join(parts)
