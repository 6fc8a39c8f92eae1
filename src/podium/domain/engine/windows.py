"""Whether an instrument takes work now: the rate-limit windows (shared by every job using
the instrument, and by model where the profile says so) and the circuit breakers."""

from collections.abc import Iterable

from podium.domain.alarms import AlarmKind
from podium.domain.classify import Classified
from podium.domain.commands import Accepted, Reply
from podium.domain.decide import Action, Ended, rate_limit_end
from podium.domain.engine.flow import SheetFlow
from podium.domain.engine.state import EngineState
from podium.domain.engine.words import key_name, utc_text
from podium.domain.events import ClearRateLimits
from podium.domain.limits import InstrumentKey
from podium.domain.live import Changes, LiveJob, LiveSheet
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import RateLimitRecord
from podium.domain.status import SheetStatus

BREAKER_FAILURES = frozenset(
    {
        AttemptOutcome.FAILED,
        AttemptOutcome.CRASHED,
        AttemptOutcome.TIMED_OUT,
        AttemptOutcome.STALE,
        AttemptOutcome.CAPACITY,
        AttemptOutcome.AUTH_FAILED,
        AttemptOutcome.LAUNCH_FAILED,
    }
)
"""Outcomes that say something about the instrument's health."""


class Windows:
    """Opens, closes and consults rate-limit windows; feeds and consults circuit breakers."""

    def __init__(self, state: EngineState, flow: SheetFlow) -> None:
        self._state = state
        self._flow = flow

    def open_now(self) -> list[RateLimitRecord]:
        """The windows open now, by instrument and model."""
        return sorted(self._state.windows.values(), key=lambda r: (r.instrument, r.model or ""))

    def for_job(self, job: LiveJob) -> tuple[RateLimitRecord, ...]:
        """The windows on an instrument that an unfinished sheet of the job uses."""
        keys = {s.key for s in job.sheets.values() if not s.status.is_terminal}
        instruments = {k[0] for k in keys}
        return tuple(
            w
            for k, w in self._state.windows.items()
            if k in keys or (k[1] is None and k[0] in instruments)
        )

    def available(self, job: LiveJob, sheet: LiveSheet, now: float, out: Changes) -> bool:
        """Whether the sheet's instrument takes work now; a sheet that has somewhere else to go
        moves there rather than wait for a rate limit or an open circuit breaker."""
        while True:
            window = self._window_on(sheet.key, now)
            breaker = self._state.breakers.get(sheet.instrument)
            if window is None and (breaker is None or breaker.allows(now)):
                return True
            if not sheet.has_fallback:
                return False
            if window is not None:
                reason = f"{key_name(sheet.key)} is rate limited until {utc_text(window.until)}"
            else:
                reason = f"the circuit breaker of {sheet.instrument} is open"
            self._flow.fall_back(job, sheet, reason, now, out)

    def _window_on(self, key: InstrumentKey, now: float) -> RateLimitRecord | None:
        for candidate in ((key[0], None), key):
            window = self._state.windows.get(candidate)
            if window is not None and window.until > now:
                return window
        return None

    def judge(
        self, job: LiveJob, sheet: LiveSheet, outcome: AttemptOutcome, now: float, out: Changes
    ) -> None:
        """Feed the instrument's circuit breaker. A script's own failure (the `cli`
        instrument's exit code) says nothing about the instrument, only a launch failure does."""
        breaker = self._state.breaker(sheet.instrument)
        script = sheet.instrument in self._state.limits.script_instruments
        if outcome not in BREAKER_FAILURES or (
            script and outcome is not AttemptOutcome.LAUNCH_FAILED
        ):
            breaker.abandoned()
            return
        was_open = breaker.open_until is not None and breaker.open_until > now
        breaker.failed(now, job.plan.policy.breaker)
        if breaker.open_until is not None and not was_open and breaker.open_until > now:
            self._state.alarms.set(breaker.open_until, AlarmKind.LOOK)
            out.note(
                job,
                now,
                f"the circuit breaker of {sheet.instrument} opened after {breaker.failures} "
                f"failure(s); no attempt starts on it before {utc_text(breaker.open_until)}",
            )

    def open(
        self, job: LiveJob, sheet: LiveSheet, result: Classified, now: float, out: Changes
    ) -> None:
        """A rate-limited attempt opens (or lengthens) its instrument's window."""
        until = rate_limit_end(
            Ended(AttemptOutcome.RATE_LIMITED, now, "", reset_at=result.reset_at),
            job.plan.policy.rate_limit,
        )
        key = sheet.key
        current = self._state.windows.get(key)
        if current is not None and current.until >= until:
            return
        window = RateLimitRecord(sheet.instrument, sheet.model, until, result.detail[:300])
        self._state.windows[key] = window
        out.window(key, window)
        self._state.alarms.set(until, AlarmKind.WINDOW_END)
        said = (
            "" if result.reset_at is not None else " (no reset time given: rate_limit.wait_minutes)"
        )
        out.note(job, now, f"{key_name(key)} is rate limited until {utc_text(until)}{said}")

    def restore(self, windows: Iterable[RateLimitRecord], now: float, out: Changes) -> None:
        """The windows the store kept: those still open apply again, the others are closed."""
        for window in windows:
            key = (window.instrument, window.model)
            if window.until > now:
                self._state.windows[key] = window
                self._state.alarms.set(window.until, AlarmKind.WINDOW_END)
            else:
                out.window(key, None)

    def expire(self, now: float, out: Changes) -> None:
        """The windows whose end has come close."""
        for key, window in list(self._state.windows.items()):
            if window.until <= now:
                del self._state.windows[key]
                out.window(key, None)

    def clear(self, event: ClearRateLimits, now: float, out: Changes) -> None:
        """The user clears the windows (of one instrument, or all): the sheets waiting for
        them may run at once."""
        cleared = [k for k in self._state.windows if event.instrument in (None, k[0])]
        for key in cleared:
            del self._state.windows[key]
            out.window(key, None)
        woken = 0
        for job in self._state.jobs.values():
            for sheet in job.sheets.values():
                if (
                    sheet.status is SheetStatus.WAITING
                    and sheet.wait == Action.WAIT_RATE_LIMIT
                    and event.instrument in (None, sheet.instrument)
                ):
                    self._flow.wake(job, sheet, now, out)
                    woken += 1
        message = f"cleared {len(cleared)} rate limit(s)"
        if woken:
            message += f"; {woken} waiting sheet(s) may run now"
        out.effects.append(Reply(event.request, Accepted(None, message)))
