"""What an attempt's end leads to: validations after a clean exit, then completion; otherwise
a wait, a retry, a fall-back or a failure (the rules are `podium.domain.decide`'s), told to the
circuit breaker, the rate-limit windows and the cost limits; an attempt that ended through no
fault of its own (no room for its files, its node lost) runs again, its budget untouched.
Also the answer of a skip check.
"""

from typing import assert_never

from podium.domain.classify import Classified
from podium.domain.commands import RunValidations
from podium.domain.decide import Action, Decision, Ended, decide
from podium.domain.engine.costs import CostLimits
from podium.domain.engine.flow import SheetFlow
from podium.domain.engine.gates import Gates
from podium.domain.engine.moves import Moves, attempt_record
from podium.domain.engine.rules import Rules
from podium.domain.engine.slots import Slots
from podium.domain.engine.state import EngineState
from podium.domain.engine.windows import Windows
from podium.domain.engine.words import failed_checks
from podium.domain.events import (
    AttemptExited,
    AttemptLost,
    AttemptNotLaunched,
    SkipChecked,
    ValidationsDone,
)
from podium.domain.gates import GateWhen, grounding_gate
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import SheetEvent, SheetStatus
from podium.domain.validation import ValidationResult, failure_summary


class Outcomes:
    """Turns the runtime's reports on attempts into the sheets' next steps."""

    def __init__(
        self,
        state: EngineState,
        *,
        moves: Moves,
        flow: SheetFlow,
        slots: Slots,
        windows: Windows,
        costs: CostLimits,
        rules: Rules,
        gates: Gates,
    ) -> None:
        self._state = state
        self._gates = gates
        self._moves = moves
        self._flow = flow
        self._slots = slots
        self._windows = windows
        self._costs = costs
        self._rules = rules

    def exited(self, event: AttemptExited, now: float, out: Changes) -> None:
        """An attempt's process ended: its validations run, or the sheet goes on without."""
        found = self._result_for(event, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        sheet.exit, sheet.usage, sheet.feedback = event.status, event.usage, event.feedback
        sheet.exited_at = now if event.exited_at is None else min(now, event.exited_at)
        cost = event.usage.cost if event.usage else None
        if cost:
            sheet.cost += cost
            job.cost += cost
            out.job(job)
        result = event.classified
        if result.outcome is AttemptOutcome.SUCCEEDED:
            self._state.breaker(sheet.instrument).succeeded()
            sheet.stopping = False
            self._moves.sheet(job, sheet, SheetEvent.EXITED, now, out)
            out.attempt(attempt_record(job, sheet, AttemptOutcome.VALIDATING, now))
            out.effects.append(RunValidations(job.job_id, sheet.plan.num, sheet.attempts))
        elif sheet.stopping:
            self._slots.give(job, sheet)
            sheet.stopping = False
            self._state.breaker(sheet.instrument).abandoned()
            error = sheet.stopped_why or "stopped on purpose; it runs again"
            out.attempt(attempt_record(job, sheet, AttemptOutcome.STOPPED, now, error=error))
            self._moves.sheet(job, sheet, SheetEvent.REQUEUE, now, out)
        else:
            self._ended_badly(job, sheet, result, now, out)
        self._costs.check(job, sheet, now, out)
        self._rules.settle(job, now, out)

    def not_launched(self, event: AttemptNotLaunched, now: float, out: Changes) -> None:
        """An attempt could not start: for want of room it waits, otherwise it failed."""
        found = self._result_for(event, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        if event.no_room:
            error = f"not started: {event.reason}; it starts once the state folder has room"
            self._interrupted(job, sheet, error, now, out)
            return
        if event.wait_seconds is not None:
            error = (
                f"not started: {event.reason}; it tries again in {event.wait_seconds:g}s, "
                "its retries untouched"
            )
            self._interrupted(job, sheet, error, now, out, due=now + event.wait_seconds)
            return
        sheet.stopping = False
        failed = Classified(AttemptOutcome.LAUNCH_FAILED, f"could not start: {event.reason}")
        self._ended_badly(job, sheet, failed, now, out, final=event.final)
        self._rules.settle(job, now, out)

    def lost(self, event: AttemptLost, now: float, out: Changes) -> None:
        """An attempt was lost with the node that ran it: it runs again, as soon as dispatch
        allows, wherever its instrument is still offered."""
        found = self._result_for(event, SheetStatus.RUNNING)
        if found is None:
            return
        job, sheet = found
        error = (
            f"lost with the node that ran it: {event.reason}; it runs again, its retries untouched"
        )
        self._interrupted(job, sheet, error, now, out)

    def _interrupted(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        error: str,
        now: float,
        out: Changes,
        *,
        due: float | None = None,
    ) -> None:
        """The attempt ended through no fault of its own (no room for its files, its node
        lost, no node to place it on yet): it frees its slot, judges nothing, and the sheet
        runs again without spending its budget, at once or at `due` (on resume, when the job
        is paused meanwhile)."""
        self._slots.give(job, sheet)
        sheet.stopping = False
        self._state.breaker(sheet.instrument).abandoned()
        out.attempt(attempt_record(job, sheet, AttemptOutcome.INTERRUPTED, now, error=error))
        if due is None:
            self._moves.sheet(job, sheet, SheetEvent.REQUEUE, now, out)
        else:
            sheet.error = error  # what it waits for, shown meanwhile
            self._moves.sheet(job, sheet, SheetEvent.WAIT, now, out)
            self._flow.wait_until(job, sheet, due, now, out)
        self._rules.settle(job, now, out)

    def validated(self, event: ValidationsDone, now: float, out: Changes) -> None:
        """An attempt's validations ran: the sheet completes, or its attempt failed."""
        found = self._result_for(event, SheetStatus.VALIDATING)
        if found is None:
            return
        job, sheet = found
        self._slots.give(job, sheet)
        if event.review is not None:
            sheet.review = event.review
        if event.review_cost:
            sheet.cost += event.review_cost
            job.cost += event.review_cost
            out.job(job)
        if all(r.passed or r.rule.advisory for r in event.results):
            sheet.error, sheet.failed_checks = None, ()
            out.attempt(
                attempt_record(job, sheet, AttemptOutcome.SUCCEEDED, now, validations=event.results)
            )
            ungrounded = [r for r in event.results if not r.passed]
            if ungrounded:
                out.note(job, now, f"sheet {sheet.plan.num}: {failure_summary(ungrounded)}")
            gate = grounding_gate(ungrounded) or self._gates.due(job, sheet, GateWhen.AFTER_CHECKS)
            if gate is not None and self._gates.ask(job, sheet, gate, now, out):
                self._rules.settle(job, now, out)
                return
            self._moves.sheet(job, sheet, SheetEvent.PASS, now, out)
            job.completed_this_run += 1
            self._flow.release_dependents(job, sheet, now, out)
            pace = job.plan.policy.pause_between_sheets_seconds
            if pace > 0 and job.in_flight == 0:
                self._flow.hold_dispatch(job, now + pace)
        else:
            passed = sum(1 for r in event.results if r.passed)
            self._attempt_failed(
                job,
                sheet,
                now,
                out,
                outcome=AttemptOutcome.VALIDATION_FAILED,
                error=failure_summary(event.results),
                validations=event.results,
                pass_rate=passed / len(event.results),
                final=any(r.rule.fatal and not r.passed for r in event.results),
            )
        self._rules.settle(job, now, out)

    def skip_checked(self, event: SkipChecked, now: float, out: Changes) -> None:
        """A sheet's skip_when_command answered: the sheet is skipped, or runs."""
        job = self._state.jobs.get(event.job_id)
        sheet = job.sheets.get(event.sheet) if job else None
        if job is None or sheet is None or sheet.checking != event.check:
            return
        sheet.checking = None
        if event.skip:
            self._flow.skip_on_purpose(job, sheet, f"skip_when_command {event.detail}", now, out)
        elif event.detail:
            out.note(job, now, f"sheet {sheet.plan.num} runs: skip_when_command {event.detail}")
        self._rules.settle(job, now, out)

    def _result_for(
        self,
        event: AttemptExited | AttemptNotLaunched | AttemptLost | ValidationsDone,
        status: SheetStatus,
    ) -> tuple[LiveJob, LiveSheet] | None:
        """The job and sheet a result is for; None when it is stale, or when it ends an
        attempt of a stopped job (whose slot it frees)."""
        if self._slots.drained((event.job_id, event.sheet, event.attempt)):
            return None
        return self._state.current(event.job_id, event.sheet, event.attempt, status)

    def _ended_badly(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        result: Classified,
        now: float,
        out: Changes,
        *,
        final: bool = False,
    ) -> None:
        """The attempt ended without succeeding: it frees its slot, tells the breaker and the
        rate-limit windows, and the sheet waits, retries, falls back or fails."""
        self._slots.give(job, sheet)
        sheet.quota = result.quota
        self._windows.judge(job, sheet, result.outcome, now, out)
        if result.outcome is AttemptOutcome.RATE_LIMITED:
            self._windows.open(job, sheet, result, now, out)
        self._attempt_failed(
            job,
            sheet,
            now,
            out,
            outcome=result.outcome,
            error=result.detail,
            reset_at=result.reset_at,
            quota=result.quota,
            final=final,
        )

    def _attempt_failed(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        now: float,
        out: Changes,
        *,
        outcome: AttemptOutcome,
        error: str,
        validations: tuple[ValidationResult, ...] = (),
        pass_rate: float = 0.0,
        reset_at: float | None = None,
        quota: bool = False,
        final: bool = False,
    ) -> None:
        """An attempt ended without success: wait, retry, fall back or fail (see `decide`)."""
        sheet.error = error
        out.attempt(attempt_record(job, sheet, outcome, now, error=error, validations=validations))
        seed = f"{job.job_id}/{sheet.plan.num}/{sheet.attempts}"
        policy = job.plan.policy
        decision = decide(
            Ended(outcome, now, seed, pass_rate, reset_at, quota, final),
            sheet.budget,
            has_fallback=sheet.has_fallback,
            retry=policy.retry,
            rate_limit=policy.rate_limit,
        )
        sheet.budget = decision.budget
        self._follow(job, sheet, decision, now, out, validations=validations)

    def _follow(
        self,
        job: LiveJob,
        sheet: LiveSheet,
        decision: Decision,
        now: float,
        out: Changes,
        *,
        validations: tuple[ValidationResult, ...],
    ) -> None:
        """The sheet does what `decide` said: wait, fall back or fail."""
        match decision.action:
            case Action.RETRY | Action.COMPLETE | Action.WAIT_RATE_LIMIT:
                sheet.wait = decision.action.value
                sheet.failed_checks = (
                    failed_checks(validations) if decision.action is Action.COMPLETE else ()
                )
                self._moves.sheet(job, sheet, SheetEvent.WAIT, now, out)
                self._flow.wait_until(job, sheet, decision.at or now, now, out)
            case Action.FALL_BACK:
                self._moves.sheet(job, sheet, SheetEvent.WAIT, now, out)
                self._flow.fall_back(job, sheet, decision.reason, now, out)
                self._moves.sheet(job, sheet, SheetEvent.RETRY_DUE, now, out)
            case Action.FAIL:
                self._moves.sheet(job, sheet, SheetEvent.FAIL, now, out)
                out.note(job, now, f"sheet {sheet.plan.num} failed: {decision.reason}")
                self._flow.skip_dependents(job, sheet, now, out)
                if job.plan.policy.parallel.fail_fast and job.stopped_by is None:
                    job.stopped_by = sheet.plan.num
            case _:
                assert_never(decision.action)
