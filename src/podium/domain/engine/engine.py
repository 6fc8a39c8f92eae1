"""The engine: every decision the conductor makes, as `handle(event, now) -> commands`.

It owns the live state of active jobs (`EngineState`): the slots they hold, the rate-limit
windows and the circuit breakers. It never awaits, spawns, reads the clock, logs or touches a
file: the runtime feeds it events with the current time and applies the commands it returns,
`Persist` first. Terminal jobs leave the engine; their history lives in the store.

`handle` is the one dispatch point: each event goes to the collaborator whose concern it is.
Each call ends the same way: queued jobs are admitted while job slots are free, ready sheets
are dispatched while every limit has room, and a wake-up is asked for the next alarm.
"""

import heapq
from typing import assert_never

from podium.domain.alarms import AlarmKind
from podium.domain.commands import Command, WakeAt
from podium.domain.engine.control import Control
from podium.domain.engine.costs import CostLimits
from podium.domain.engine.dispatch import Dispatch
from podium.domain.engine.flow import SheetFlow
from podium.domain.engine.gates import Gates
from podium.domain.engine.hooks import Hooks
from podium.domain.engine.lifecycle import Lifecycle
from podium.domain.engine.moves import Moves
from podium.domain.engine.outcomes import Outcomes
from podium.domain.engine.recheck import Rechecks
from podium.domain.engine.restart import Restart
from podium.domain.engine.resumption import Resumption
from podium.domain.engine.rules import Rules
from podium.domain.engine.slots import Slots
from podium.domain.engine.state import EngineState
from podium.domain.engine.windows import Windows
from podium.domain.engine.words import reject
from podium.domain.events import (
    AnswerGate,
    AttemptExited,
    AttemptLost,
    AttemptNotLaunched,
    CancelJob,
    ClearRateLimits,
    Event,
    HookFinished,
    JobSubmitted,
    LimitsChanged,
    ModifyJob,
    PauseJob,
    PressureMeasured,
    RecoverSheets,
    Restarted,
    ResumeJob,
    SkipChecked,
    StopAttempt,
    StoredScoreBroken,
    Tick,
    ValidationsDone,
)
from podium.domain.gates import GateRecord
from podium.domain.ids import JobId
from podium.domain.limits import Limits
from podium.domain.live import Changes
from podium.domain.records import JobRecord, RateLimitRecord
from podium.domain.status import SheetStatus
from podium.domain.views import JobView, job_view


class Engine:
    """Decides what runs, when, and what each outcome means. See the module docstring."""

    def __init__(self, limits: Limits | None = None) -> None:
        state = self._state = EngineState(limits or Limits())
        moves = Moves(state)
        costs = CostLimits(moves)
        flow = self._flow = SheetFlow(state, moves)
        slots = Slots(state)
        windows = self._windows = Windows(state, flow)
        hooks = self._hooks = Hooks(state, moves)
        lifecycle = self._lifecycle = Lifecycle(state, moves, slots, hooks)
        resumption = Resumption(state, moves, costs)
        rules = Rules(state, moves, lifecycle, hooks, resumption)
        gates = self._gates = Gates(state, moves, flow, rules)
        self._dispatch = Dispatch(
            state, moves=moves, flow=flow, slots=slots, windows=windows, rules=rules
        )
        self._outcomes = Outcomes(
            state,
            moves=moves,
            flow=flow,
            slots=slots,
            windows=windows,
            costs=costs,
            rules=rules,
            gates=gates,
        )
        self._control = Control(
            state,
            moves=moves,
            lifecycle=lifecycle,
            resumption=resumption,
            hooks=hooks,
            rules=rules,
        )
        self._restart = Restart(
            state,
            moves=moves,
            flow=flow,
            slots=slots,
            windows=windows,
            lifecycle=lifecycle,
            hooks=hooks,
            rules=rules,
            gates=gates,
        )
        self._rechecks = Rechecks(state, moves, lifecycle, rules)

    @property
    def in_flight(self) -> int:
        """Attempts holding a slot: running, being validated, or being stopped."""
        return self._state.slots.sheets

    @property
    def running_jobs(self) -> int:
        """How many jobs hold a job slot."""
        return len(self._state.running)

    def view(self, job_id: JobId) -> JobView | None:
        """What `status` shows of an active job; None when the job is not active."""
        job = self._state.jobs.get(job_id)
        if job is None:
            return None
        return job_view(
            job.record(),
            job.plan,
            (job.sheet_record(s) for s in job.sheets.values()),
            history=tuple(job.history),
            rate_limits=self._windows.for_job(job),
            hooks=tuple(job.hook_records[n] for n in sorted(job.hook_records)),
        )

    def open_gates(self, job_id: JobId | None = None) -> list[GateRecord]:
        """Every approval question waiting for its answer (of one job, when named), oldest
        first."""
        jobs = self._state.jobs.values() if job_id is None else [self._state.jobs[job_id]]
        found = [
            sheet.gate
            for job in jobs
            for sheet in job.sheets.values()
            if sheet.gate is not None
            and sheet.gate.is_open
            and sheet.status is SheetStatus.AWAITING_APPROVAL
        ]
        return sorted(found, key=lambda g: (g.asked_at, g.job_id, g.sheet))

    def job_running(self, score_path: str) -> JobId | None:
        """The active job that runs (or is about to run) the score at `score_path`."""
        return self._state.by_score.get(score_path)

    def active_jobs(self) -> list[JobRecord]:
        """The records of every job in the engine."""
        return [job.record() for job in self._state.jobs.values()]

    @property
    def active_count(self) -> int:
        """How many jobs are in the engine (without making their records)."""
        return len(self._state.jobs)

    def newest_jobs(self, limit: int) -> list[JobRecord]:
        """The records of the `limit` jobs submitted last, newest first (only theirs are
        made: a restart may bring back tens of thousands)."""
        newest = heapq.nlargest(limit, self._state.jobs.values(), key=lambda j: j.submitted_at)
        return [job.record() for job in newest]

    def rate_limits(self) -> list[RateLimitRecord]:
        """The rate-limit windows open now (some may have just expired: a `Tick` closes them)."""
        return self._windows.open_now()

    def handle(self, event: Event, now: float) -> list[Command]:  # noqa: C901, PLR0912, PLR0915 - a table
        """Apply one event at time `now` and return what the runtime must do, in order: the
        event goes to the collaborator whose concern it is, then queued jobs are admitted,
        ready sheets dispatched, and a wake-up asked for the next alarm."""
        out = Changes()
        match event:
            case (
                PauseJob()
                | StopAttempt()
                | ResumeJob()
                | ModifyJob()
                | CancelJob()
                | RecoverSheets()
                | AnswerGate()
            ) if busy := self._busy(event):
                reject(event.request, busy, out)
            case JobSubmitted():
                self._control.submit(event, now, out)
            case Restarted():
                self._restart.restarted(event, now, out)
            case StoredScoreBroken():
                self._restart.score_broken(event, now, out)
            case AttemptExited():
                self._outcomes.exited(event, now, out)
            case AttemptNotLaunched():
                self._outcomes.not_launched(event, now, out)
            case AttemptLost():
                self._outcomes.lost(event, now, out)
            case ValidationsDone(recheck=True):
                self._rechecks.rechecked(event, now, out)
            case ValidationsDone():
                self._outcomes.validated(event, now, out)
            case SkipChecked():
                self._outcomes.skip_checked(event, now, out)
            case HookFinished():
                self._lifecycle.hook_finished(event, now, out)
            case Tick():
                self._tick(now, out)
            case PauseJob():
                self._control.pause(event, now, out)
            case StopAttempt():
                self._control.stop_attempt(event, now, out)
            case AnswerGate():
                self._gates.answer(event, now, out)
            case ResumeJob():
                self._control.resume(event, now, out)
            case ModifyJob():
                self._control.modify(event, now, out)
            case CancelJob():
                self._control.cancel(event, now, out)
            case RecoverSheets():
                self._rechecks.recover_sheets(event, now, out)
            case ClearRateLimits():
                self._windows.clear(event, now, out)
            case LimitsChanged():
                self._dispatch.change_limits(event.limits, now)
            case PressureMeasured():
                self._control.pressure_measured(event, now, out)
            case _:
                assert_never(event)
        self._dispatch.admit(now, out)
        self._gates.ask_ready(now, out)
        self._dispatch.dispatch(now, out)
        wake = self._state.alarms.wake_needed()
        if wake is not None:
            out.effects.append(WakeAt(wake))
        return out.commands()

    def _busy(
        self,
        event: PauseJob
        | StopAttempt
        | ResumeJob
        | ModifyJob
        | CancelJob
        | RecoverSheets
        | AnswerGate,
    ) -> str:
        """Why a request about a job must wait, or "" when it need not: no request is taken
        while the job's sheets are checked again, no pause or modify while its hooks run."""
        if self._rechecks.rechecking(event.job_id):
            return (
                f"job '{event.job_id}' is being recovered (its validations are checked "
                "again); try again once 'podium recover' has answered"
            )
        if isinstance(event, PauseJob | ModifyJob) and self._hooks.running(event.job_id):
            return (
                f"job '{event.job_id}' is running its on_success hooks; wait for them to "
                "end, or cancel it"
            )
        return ""

    def _tick(self, now: float, out: Changes) -> None:
        """The alarms due by `now` ring: waiting sheets wake, timeouts are checked, windows
        close; a LOOK alarm only asks for the admit and dispatch every `handle` ends with."""
        for alarm in self._state.alarms.ring(now):
            match alarm.kind:
                case AlarmKind.DUE:
                    found = self._state.jobs.get(alarm.job_id) if alarm.job_id else None
                    sheet = found.sheets.get(alarm.sheet) if found and alarm.sheet else None
                    if (
                        found is not None
                        and sheet is not None
                        and sheet.status is SheetStatus.WAITING
                        and sheet.attempts == alarm.attempt
                        and (sheet.due or 0) <= now
                    ):
                        self._flow.wake(found, sheet, now, out)
                case AlarmKind.JOB_TIMEOUT:
                    found = self._state.jobs.get(alarm.job_id) if alarm.job_id else None
                    if found is not None:
                        self._lifecycle.check_timeout(found, now, out)
                case AlarmKind.GATE:
                    self._gates.rang(alarm, now, out)
                case AlarmKind.WINDOW_END:
                    self._windows.expire(now, out)
                case AlarmKind.LOOK:
                    pass
