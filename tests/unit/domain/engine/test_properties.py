"""The engine's invariants under random scores, outcomes, job control, rate limits, time and
restarts (hypothesis, stateful).

A model runtime applies the engine's commands the way the conductor does (it remembers what was
persisted, which attempts run, which wake-up was asked for) and checks after every step what
must always hold:
- no limit is ever exceeded: the conductor's jobs and sheets, each job's parallel limit, each
  instrument's and model's cap;
- no sheet starts before its dependencies completed (or were skipped on purpose), a completed
  sheet never starts again, a sheet never has two attempts at once;
- nothing starts on an instrument inside a rate-limit window;
- a paused or cancelled job starts nothing until it is resumed;
and, at the end, that once every instrument succeeds every job reaches a terminal state.
"""

from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from podium.domain.commands import (
    Accepted,
    Command,
    Launch,
    Persist,
    Reply,
    RunSkipCheck,
    RunValidations,
    SwapScore,
    WakeAt,
)
from podium.domain.engine import Limits
from podium.domain.events import Restarted, RestoredJob, SkipChecked, Tick
from podium.domain.ids import JobId, SheetNum
from podium.domain.limits import InstrumentKey
from podium.domain.outcome import AttemptOutcome
from podium.domain.plan import JobPlan
from podium.domain.policy import JobPolicy, ParallelPolicy, RateLimitPolicy, RetryPolicy
from podium.domain.records import AttemptRecord, JobRecord, RateLimitRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, make_plan

pytestmark = pytest.mark.timeout(600)

LIMITS = Limits(
    max_concurrent_jobs=2,
    max_concurrent_sheets=4,
    instrument_caps={"a": 2},
    model_caps={("b", "big"): 1},
    default_instrument_cap=3,
    job_timeout_seconds=3600.0,
)
Attempt = tuple[str, int, int]


@st.composite
def plans(draw: st.DrawFn) -> JobPlan:
    size = draw(st.integers(1, 6))
    dag = {
        n: draw(st.lists(st.integers(1, n - 1), max_size=2, unique=True)) if n > 1 else []
        for n in range(1, size + 1)
    }
    policy = JobPolicy(
        retry=RetryPolicy(
            max_retries=draw(st.integers(0, 2)),
            base_delay_seconds=draw(st.sampled_from([1.0, 30.0])),
            max_delay_seconds=60.0,
            jitter=draw(st.booleans()),
            max_completion_attempts=draw(st.integers(0, 1)),
            completion_delay_seconds=2.0,
        ),
        parallel=ParallelPolicy(
            enabled=draw(st.booleans()),
            max_concurrent=draw(st.integers(1, 3)),
            fail_fast=draw(st.booleans()),
            stagger_delay_ms=draw(st.sampled_from([0, 500])),
        ),
        rate_limit=RateLimitPolicy(wait_minutes=1, max_waits=draw(st.integers(1, 3))),
        pause_between_sheets_seconds=draw(st.sampled_from([0.0, 2.0])),
    )
    plan = make_plan(
        dag,
        policy=policy,
        instruments={n: draw(st.sampled_from(["a", "b"])) for n in dag},
        model=draw(st.sampled_from([None, "big"])),
        fallbacks=draw(st.sampled_from([(), ("a",), ("b",)])),
        skip_when={n: "sheets[1].attempts > 2" for n in dag if n > 1 and draw(st.booleans())},
        skip_when_command={n: "test -e skip" for n in dag if draw(st.integers(0, 4)) == 0},
    )
    return plan


@dataclass
class Store:
    """What a store would hold: the latest version of every persisted record."""

    jobs: dict[str, JobRecord] = field(default_factory=dict)
    plans: dict[str, JobPlan] = field(default_factory=dict)
    sheets: dict[tuple[str, int], SheetRecord] = field(default_factory=dict)
    attempts: dict[Attempt, AttemptRecord] = field(default_factory=dict)
    windows: dict[InstrumentKey, RateLimitRecord] = field(default_factory=dict)

    def apply(self, p: Persist) -> None:
        self.jobs.update({j.job_id: j for j in p.jobs})
        self.plans.update({s.job_id: s.plan for s in p.specs})
        self.sheets.update({(s.job_id, s.num): s for s in p.sheets})
        self.attempts.update({(a.job_id, a.sheet, a.attempt): a for a in p.attempts})
        self.windows.update({(r.instrument, r.model): r for r in p.rate_limits})
        for key in p.rate_limits_cleared:
            self.windows.pop(key, None)

    def recovered(self, job_id: str, *, in_flight: bool) -> RestoredJob:
        plan = self.plans[job_id]
        nums = {s.num for s in plan.sheets}
        sheets = tuple(r for (j, n), r in sorted(self.sheets.items()) if j == job_id and n in nums)
        attempts = tuple(
            self.attempts[(job_id, r.num, r.attempts)]
            for r in sheets
            if in_flight and r.status.in_flight
        )
        return RestoredJob(self.jobs[job_id], plan, sheets, attempts)


class EngineMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.h = EngineHarness(LIMITS)
        self.store = Store()
        self.count = 0
        self.running: dict[Attempt, InstrumentKey] = {}
        self.validating: dict[Attempt, InstrumentKey] = {}
        self.checks: dict[tuple[str, int], int] = {}
        self.held: set[str] = set()
        """Jobs a person paused or cancelled, until they resume them."""
        self.wake: float | None = None
        self.in_force: dict[str, JobPlan] = {}
        """The plan each job runs on (a modified job switches at `SwapScore`)."""

    # ---- the model runtime --------------------------------------------------------------

    def apply(self, commands: list[Command]) -> list[Command]:
        for command in commands:
            match command:
                case Persist():
                    self.store.apply(command)
                    for spec in command.specs:
                        self.in_force.setdefault(spec.job_id, spec.plan)
                case SwapScore():
                    self.in_force[command.job_id] = self.store.plans[command.job_id]
                case Launch():
                    self.check_launch(command)
                    key = (command.job_id, command.sheet, command.attempt)
                    self.running[key] = (command.instrument, command.model)
                case RunValidations():
                    key = (command.job_id, command.sheet, command.attempt)
                    self.validating[key] = self.running_key(key)
                case RunSkipCheck():
                    self.checks[(command.job_id, command.sheet)] = command.check
                case WakeAt():
                    self.wake = command.at if self.wake is None else min(self.wake, command.at)
                case _:
                    pass
        return commands

    def running_key(self, key: Attempt) -> InstrumentKey:
        record = self.store.attempts[key]
        assert record.instrument is not None
        return (record.instrument, record.model)

    def check_launch(self, launch: Launch) -> None:
        job, num = launch.job_id, launch.sheet
        assert job not in self.held, f"{job} started sheet {num} while paused or cancelled"
        sheet = self.store.sheets.get((job, num))
        assert sheet is not None and sheet.attempts == launch.attempt
        assert not any(k[:2] == (job, num) for k in [*self.running, *self.validating]), (
            f"{job} sheet {num} started while an attempt of it is in flight"
        )
        plan = self.in_force[job]
        in_flight = sum(1 for key in [*self.running, *self.validating] if key[0] == job)
        limit = plan.policy.parallel.limit
        assert in_flight < limit, f"{job} starts sheet {num} with {in_flight} in flight ({limit})"
        for dep in next(s for s in plan.sheets if s.num == num).depends_on:
            record = self.store.sheets.get((job, dep))
            assert record is not None and (
                record.status is SheetStatus.COMPLETED
                or (record.status is SheetStatus.SKIPPED and record.blocked_by is None)
            ), f"{job} sheet {num} started before its dependency {dep} was satisfied"
        now = self.h.clock.now()
        for key in ((launch.instrument, None), (launch.instrument, launch.model)):
            window = self.store.windows.get(key)
            assert window is None or window.until <= now, f"{key} started inside its window"

    def feed(self, event: object) -> list[Command]:
        return self.apply(self.h.feed(event))  # type: ignore[arg-type]

    def pick(self, data: st.DataObject, pool: dict[Attempt, InstrumentKey]) -> Attempt:
        return data.draw(st.sampled_from(sorted(pool)))

    def jobs(self) -> list[str]:
        return sorted(self.store.jobs)

    # ---- rules ------------------------------------------------------------------------

    @rule(plan=plans(), start=st.integers(1, 3))
    def submit(self, plan: JobPlan, start: int) -> None:
        self.count += 1
        self.apply(
            self.h.submit(plan, job_id=f"j{self.count}", start_sheet=min(start, len(plan.sheets)))
        )

    @precondition(lambda self: self.running)
    @rule(
        data=st.data(),
        outcome=st.sampled_from(
            ["ok", "fail", "timeout", "signal", "rate", "rate-reset", "auth", "capacity"]
        ),
    )
    def attempt_ends(self, data: st.DataObject, outcome: str) -> None:
        job, sheet, attempt = self.pick(data, self.running)
        del self.running[(job, sheet, attempt)]
        now = self.h.clock.now()
        outcomes: dict[str, dict[str, object]] = {
            "ok": {},
            "fail": {"code": 1},
            "timeout": {"timed_out": True},
            "signal": {"signal": 9},
            "rate": {"code": 1, "outcome": AttemptOutcome.RATE_LIMITED},
            "rate-reset": {
                "code": 1,
                "outcome": AttemptOutcome.RATE_LIMITED,
                "reset_at": now + 30,
            },
            "auth": {"code": 1, "outcome": AttemptOutcome.AUTH_FAILED},
            "capacity": {"code": 1, "outcome": AttemptOutcome.CAPACITY},
        }
        kwargs = outcomes[outcome]
        self.apply(self.h.exit(job, sheet, attempt=attempt, **kwargs))  # type: ignore[arg-type]

    @precondition(lambda self: self.running)
    @rule(data=st.data())
    def attempt_cannot_start(self, data: st.DataObject) -> None:
        job, sheet, attempt = self.pick(data, self.running)
        del self.running[(job, sheet, attempt)]
        self.apply(self.h.not_launched(job, sheet))

    @precondition(lambda self: self.validating)
    @rule(data=st.data(), passed=st.sampled_from([[True], [False], [True, False]]))
    def validations_end(self, data: st.DataObject, passed: list[bool]) -> None:
        job, sheet, attempt = self.pick(data, self.validating)
        del self.validating[(job, sheet, attempt)]
        self.apply(self.h.validated(job, sheet, passed, attempt=attempt))

    @precondition(lambda self: self.checks)
    @rule(data=st.data(), skip=st.booleans())
    def skip_check_answers(self, data: st.DataObject, skip: bool) -> None:
        (job, sheet), attempt = data.draw(st.sampled_from(sorted(self.checks.items())))
        del self.checks[(job, sheet)]
        self.feed(SkipChecked(JobId(job), SheetNum(sheet), attempt, skip, "exited"))

    @rule(seconds=st.sampled_from([0.5, 3.0, 40.0, 120.0]))
    def time_passes(self, seconds: float) -> None:
        self.h.clock.advance(seconds)
        if self.wake is not None and self.wake <= self.h.clock.now():
            self.wake = None
            self.feed(Tick())

    @precondition(lambda self: self.store.jobs)
    @rule(data=st.data(), force=st.booleans())
    def pause(self, data: st.DataObject, force: bool) -> None:
        job = data.draw(st.sampled_from(self.jobs()))
        self.control(job, self.h.pause(job, force=force), held=True)

    @precondition(lambda self: self.store.jobs)
    @rule(data=st.data(), reload=st.booleans())
    def resume(self, data: st.DataObject, reload: bool) -> None:
        job = data.draw(st.sampled_from(self.jobs()))
        stored = (
            None if self.h.engine.view(JobId(job)) else self.store.recovered(job, in_flight=False)
        )
        plan = self.store.plans[job] if reload else None
        self.control(job, self.h.resume(job, stored=stored, plan=plan), held=False, revived=stored)

    @precondition(lambda self: self.store.jobs)
    @rule(data=st.data(), plan=plans())
    def modify(self, data: st.DataObject, plan: JobPlan) -> None:
        job = data.draw(st.sampled_from(self.jobs()))
        stored = (
            None if self.h.engine.view(JobId(job)) else self.store.recovered(job, in_flight=False)
        )
        self.control(job, self.h.modify(plan, job, stored=stored), held=False, revived=stored)

    @precondition(lambda self: self.store.jobs)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job = data.draw(st.sampled_from(self.jobs()))
        self.control(job, self.h.cancel(job), held=True)

    @rule(instrument=st.sampled_from([None, "a", "b"]))
    def clear_rate_limits(self, instrument: str | None) -> None:
        self.apply(self.h.clear_rate_limits(instrument))

    @rule()
    def restart(self) -> None:
        """A new engine from what was persisted, as after a conductor crash: every process
        is gone, and each sheet that was in flight runs again."""
        active = [j for j, r in self.store.jobs.items() if not r.status.is_terminal]
        jobs = tuple(self.store.recovered(j, in_flight=True) for j in active)
        self.h = EngineHarness(LIMITS, self.h.clock)
        self.running.clear()
        self.validating.clear()
        self.checks.clear()
        self.wake = None
        self.in_force = dict(self.store.plans)
        self.feed(Restarted(jobs, tuple(self.store.windows.values())))
        self.held = {j for j in self.held if self.store.jobs[j].status is not JobStatus.RUNNING}

    def control(
        self,
        job: str,
        commands: list[Command],
        *,
        held: bool,
        revived: RestoredJob | None = None,
    ) -> None:
        """A pause or cancel holds the job from the moment it is accepted; a resume or modify
        releases it (the launches it leads to come in the same batch as the reply). A job
        revived from the store runs on its stored score (a modify it was waiting for, say)."""
        [reply] = [c for c in commands if isinstance(c, Reply)]
        if isinstance(reply.result, Accepted):
            if held:
                self.held.add(job)
            else:
                self.held.discard(job)
            if revived is not None:
                self.in_force[job] = revived.plan
        self.apply(commands)

    # ---- invariants -------------------------------------------------------------------

    @invariant()
    def limits_hold(self) -> None:
        engine = self.h.engine
        in_flight = {**self.running, **self.validating}
        assert engine.in_flight == len(in_flight)
        assert engine.in_flight <= LIMITS.max_concurrent_sheets
        assert engine.running_jobs <= LIMITS.max_concurrent_jobs
        slots = Counter(LIMITS.cap_of(key)[0] for key in in_flight.values())
        for slot, used in slots.items():
            assert used <= LIMITS.cap_of(slot)[1], f"{slot} holds {used} attempts"

    @invariant()
    def the_store_agrees_with_the_engine(self) -> None:
        for record in self.h.engine.active_jobs():
            assert self.store.jobs[record.job_id] == record

    def teardown(self) -> None:
        """Everything succeeds from now on, and every job resumed: each must end."""
        if not hasattr(self, "h"):
            return
        for _ in range(500):
            if self.running:
                job, sheet, attempt = sorted(self.running)[0]
                del self.running[(job, sheet, attempt)]
                self.apply(self.h.exit(job, sheet, attempt=attempt))
            elif self.validating:
                job, sheet, attempt = sorted(self.validating)[0]
                del self.validating[(job, sheet, attempt)]
                self.apply(self.h.validated(job, sheet, attempt=attempt))
            elif self.checks:
                (job, sheet), attempt = sorted(self.checks.items())[0]
                del self.checks[(job, sheet)]
                self.feed(SkipChecked(JobId(job), SheetNum(sheet), attempt, False, ""))
            elif paused := [
                r.job_id
                for r in self.h.engine.active_jobs()
                if r.status in (JobStatus.PAUSED, JobStatus.PAUSED_AT_CHAIN)
            ]:
                self.control(paused[0], self.h.resume(paused[0]), held=False)
            elif self.h.engine.active_jobs():
                self.h.clock.advance(4000.0)
                self.wake = None
                self.feed(Tick())
            else:
                break
        assert self.h.engine.active_jobs() == [], "work stalled with every instrument healthy"
        assert self.h.engine.in_flight == 0


EngineMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=60, deadline=None, report_multiple_bugs=False
)
TestEngineInvariants = EngineMachine.TestCase
