"""What an attempt that did not succeed leads to: a wait, a retry, a fall-back or a failure (the
rules are `podium.domain.decide`'s), and what it tells the circuit breaker, the rate-limit
windows and the cost limits.
"""

from typing import assert_never

from podium.domain.alarms import AlarmKind
from podium.domain.classify import Classified
from podium.domain.decide import Action, Budget, Ended, decide, rate_limit_end
from podium.domain.engine.core import (
    BREAKER_FAILURES,
    EngineCore,
    failed_checks,
    key_name,
    utc_text,
)
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import RateLimitRecord
from podium.domain.status import (
    JobEvent,
    JobStatus,
    SheetEvent,
)
from podium.domain.validation import ValidationResult


class Outcomes(EngineCore):
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
    ) -> None:
        """An attempt ended without success: wait, retry, fall back or fail (see `decide`)."""
        sheet.error = error
        out.attempt(self._attempt(job, sheet, outcome, now, error=error, validations=validations))
        seed = f"{job.job_id}/{sheet.plan.num}/{sheet.attempts}"
        policy = job.plan.policy
        decision = decide(
            Ended(outcome, now, seed, pass_rate, reset_at),
            sheet.budget,
            has_fallback=sheet.has_fallback,
            retry=policy.retry,
            rate_limit=policy.rate_limit,
        )
        sheet.budget = decision.budget
        match decision.action:
            case Action.RETRY | Action.COMPLETE | Action.WAIT_RATE_LIMIT:
                sheet.wait = decision.action.value
                sheet.failed_checks = (
                    failed_checks(validations) if decision.action is Action.COMPLETE else ()
                )
                self._move(job, sheet, SheetEvent.WAIT, now, out)
                self._wait_until(job, sheet, decision.at or now, now, out)
            case Action.FALL_BACK:
                self._move(job, sheet, SheetEvent.WAIT, now, out)
                self._fall_back(job, sheet, decision.reason, now, out)
                self._move(job, sheet, SheetEvent.RETRY_DUE, now, out)
            case Action.FAIL:
                self._move(job, sheet, SheetEvent.FAIL, now, out)
                out.note(job, now, f"sheet {sheet.plan.num} failed: {decision.reason}")
                self._skip_dependents(job, sheet, now, out)
                if job.plan.policy.parallel.fail_fast and job.stopped_by is None:
                    job.stopped_by = sheet.plan.num
            case _:
                assert_never(decision.action)

    def _fall_back(
        self, job: LiveJob, sheet: LiveSheet, reason: str, now: float, out: Changes
    ) -> None:
        before = sheet.instrument
        sheet.fallback += 1
        sheet.budget, sheet.failed_checks = Budget(), ()
        out.note(
            job, now, f"sheet {sheet.plan.num} moves from {before} to {sheet.instrument}: {reason}"
        )
        out.sheet(job, sheet)

    def _judge_instrument(
        self, job: LiveJob, sheet: LiveSheet, outcome: AttemptOutcome, now: float, out: Changes
    ) -> None:
        """Feed the instrument's circuit breaker. A script's own failure (the `cli`
        instrument's exit code) says nothing about the instrument, only a launch failure does."""
        breaker = self._breaker(sheet.instrument)
        script = sheet.instrument in self._limits.script_instruments
        if outcome not in BREAKER_FAILURES or (
            script and outcome is not AttemptOutcome.LAUNCH_FAILED
        ):
            breaker.abandoned()
            return
        was_open = breaker.open_until is not None and breaker.open_until > now
        breaker.failed(now, job.plan.policy.breaker)
        if breaker.open_until is not None and not was_open and breaker.open_until > now:
            self._alarms.set(breaker.open_until, AlarmKind.LOOK)
            out.note(
                job,
                now,
                f"the circuit breaker of {sheet.instrument} opened after {breaker.failures} "
                f"failure(s); no attempt starts on it before {utc_text(breaker.open_until)}",
            )

    def _open_window(
        self, job: LiveJob, sheet: LiveSheet, result: Classified, now: float, out: Changes
    ) -> None:
        until = rate_limit_end(
            Ended(AttemptOutcome.RATE_LIMITED, now, "", reset_at=result.reset_at),
            job.plan.policy.rate_limit,
        )
        key = sheet.key
        current = self._windows.get(key)
        if current is not None and current.until >= until:
            return
        window = RateLimitRecord(sheet.instrument, sheet.model, until, result.detail[:300])
        self._windows[key] = window
        out.window(key, window)
        self._alarms.set(until, AlarmKind.WINDOW_END)
        said = (
            "" if result.reset_at is not None else " (no reset time given: rate_limit.wait_minutes)"
        )
        out.note(job, now, f"{key_name(key)} is rate limited until {utc_text(until)}{said}")

    def _check_cost(self, job: LiveJob, sheet: LiveSheet | None, now: float, out: Changes) -> None:
        """Reaching a cost limit pauses the job, saying why; nearing it is noted once."""
        if job.status not in (JobStatus.RUNNING, JobStatus.QUEUED):
            return
        limits = job.plan.policy.cost
        reason = None
        if limits.max_cost_per_job is not None:
            if job.cost >= limits.max_cost_per_job:
                reason = (
                    f"cost limit reached: ${job.cost:.2f} of ${limits.max_cost_per_job:.2f} "
                    "(cost_limits.max_cost_per_job)"
                )
            elif not job.cost_warned and job.cost >= (
                limits.max_cost_per_job * limits.warn_at_percent / 100
            ):
                job.cost_warned = True
                out.note(
                    job,
                    now,
                    f"cost ${job.cost:.2f} is past {limits.warn_at_percent:g}% of the job's "
                    f"limit (${limits.max_cost_per_job:.2f})",
                )
        if (
            reason is None
            and sheet is not None
            and limits.max_cost_per_sheet is not None
            and sheet.cost >= limits.max_cost_per_sheet
        ):
            reason = (
                f"cost limit reached: sheet {sheet.plan.num} cost ${sheet.cost:.2f} of "
                f"${limits.max_cost_per_sheet:.2f} (cost_limits.max_cost_per_sheet)"
            )
        if reason is not None:
            job.detail = reason
            self._move_job(job, JobEvent.PAUSE, out)
            out.note(job, now, f"paused: {reason}")
