"""The engine's invariants under random plans and random outcomes (hypothesis)."""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from podium.domain.commands import Command, JobEnded, Launch, Persist, RunValidations
from podium.domain.engine import Limits
from podium.domain.events import AttemptNotLaunched, Recovered, RecoveredJob
from podium.domain.ids import JobId, SheetNum
from podium.domain.plan import JobPlan
from podium.domain.records import AttemptRecord, JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, make_plan


@st.composite
def dags(draw: st.DrawFn) -> dict[int, list[int]]:
    size = draw(st.integers(1, 7))
    return {
        n: draw(st.lists(st.integers(1, n - 1), max_size=3, unique=True)) if n > 1 else []
        for n in range(1, size + 1)
    }


class EngineMachine(RuleBasedStateMachine):
    """Feeds an engine random work and checks, after every step, what must always hold."""

    @initialize(limit=st.integers(1, 4))
    def setup(self, limit: int) -> None:
        self.limit = limit
        self.h = EngineHarness(Limits(max_concurrent_sheets=limit))
        self.jobs = 0
        self.deps: dict[tuple[str, int], tuple[int, ...]] = {}
        self.completed: set[tuple[str, int]] = set()
        self.running: set[tuple[str, int, int]] = set()
        self.validating: set[tuple[str, int, int]] = set()
        self.ended: set[str] = set()
        self.sheet_count: dict[str, int] = {}
        # What a store would hold: the latest record of everything persisted.
        self.stored_jobs: dict[str, JobRecord] = {}
        self.stored_plans: dict[str, JobPlan] = {}
        self.stored_sheets: dict[tuple[str, int], SheetRecord] = {}
        self.stored_attempts: dict[tuple[str, int, int], AttemptRecord] = {}

    def remember(self, persist: Persist) -> None:
        for new in persist.new_jobs:
            self.stored_plans[new.record.job_id] = new.plan
            self.stored_jobs[new.record.job_id] = new.record
        for job in persist.jobs:
            self.stored_jobs[job.job_id] = job
        for sheet in persist.sheets:
            self.stored_sheets[(sheet.job_id, sheet.num)] = sheet
        for attempt in persist.attempts:
            self.stored_attempts[(attempt.job_id, attempt.sheet, attempt.attempt)] = attempt

    def apply(self, commands: list[Command]) -> None:
        for command in commands:
            match command:
                case Persist():
                    self.remember(command)
                    for sheet in command.sheets:
                        if sheet.status is SheetStatus.COMPLETED:
                            self.completed.add((sheet.job_id, sheet.num))
                case Launch():
                    key = (command.job_id, command.sheet)
                    assert key not in self.completed, f"{key} launched after it completed"
                    missing = [
                        d for d in self.deps[key] if (command.job_id, d) not in self.completed
                    ]
                    assert not missing, f"{key} launched before its dependencies {missing}"
                    self.running.add((command.job_id, command.sheet, command.attempt))
                case RunValidations():
                    self.validating.add((command.job_id, command.sheet, command.attempt))
                case JobEnded():
                    self.ended.add(command.job_id)
                case _:
                    pass

    @rule(dag=dags(), retries=st.integers(0, 2))
    def submit(self, dag: dict[int, list[int]], retries: int) -> None:
        self.jobs += 1
        job_id = f"job{self.jobs}"
        plan = make_plan(dag, max_retries=retries)
        for sheet in plan.sheets:
            self.deps[(job_id, sheet.num)] = sheet.depends_on
        self.sheet_count[job_id] = plan.total_sheets
        self.apply(self.h.submit(plan, job_id=job_id))

    @precondition(lambda self: self.running)
    @rule(data=st.data(), outcome=st.sampled_from(["ok", "fail", "timeout", "signal"]))
    def exit_attempt(self, data: st.DataObject, outcome: str) -> None:
        job_id, sheet, attempt = data.draw(st.sampled_from(sorted(self.running)))
        self.running.discard((job_id, sheet, attempt))
        kwargs = {
            "ok": {},
            "fail": {"code": 1},
            "timeout": {"timed_out": True},
            "signal": {"signal": 9},
        }[outcome]
        self.h.clock.advance(1)
        self.apply(self.h.exit(job_id, sheet, attempt=attempt, **kwargs))  # type: ignore[arg-type]

    @precondition(lambda self: self.running)
    @rule(data=st.data())
    def attempt_cannot_start(self, data: st.DataObject) -> None:
        job_id, sheet, attempt = data.draw(st.sampled_from(sorted(self.running)))
        self.running.discard((job_id, sheet, attempt))
        self.apply(self.h.feed(AttemptNotLaunched(JobId(job_id), SheetNum(sheet), attempt, "x")))

    @precondition(lambda self: self.jobs)
    @rule()
    def restart(self) -> None:
        """A new engine from what was persisted, as after a conductor crash."""
        recovered = []
        for job_id, record in self.stored_jobs.items():
            if record.status.is_terminal:
                continue
            sheets = tuple(r for (j, _), r in self.stored_sheets.items() if j == job_id)
            in_flight = tuple(
                self.stored_attempts[(job_id, r.num, r.attempts)]
                for r in sheets
                if r.status.in_flight
            )
            recovered.append(RecoveredJob(record, self.stored_plans[job_id], sheets, in_flight))
        self.h = EngineHarness(Limits(max_concurrent_sheets=self.limit), self.h.clock)
        self.running.clear()
        self.validating.clear()
        self.apply(self.h.feed(Recovered(tuple(recovered))))

    @precondition(lambda self: self.validating)
    @rule(data=st.data(), passed=st.booleans())
    def finish_validation(self, data: st.DataObject, passed: bool) -> None:
        job_id, sheet, attempt = data.draw(st.sampled_from(sorted(self.validating)))
        self.validating.discard((job_id, sheet, attempt))
        self.apply(self.h.validated(job_id, sheet, [passed], attempt=attempt))

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def stale_result_changes_nothing(self, data: st.DataObject) -> None:
        job_id = f"job{data.draw(st.integers(1, self.jobs))}"
        assert self.h.exit(job_id, 1, attempt=999) == []

    @invariant()
    def never_over_the_limit(self) -> None:
        if hasattr(self, "h"):
            assert self.h.engine.in_flight == len(self.running) + len(self.validating)
            assert self.h.engine.in_flight <= self.limit

    @invariant()
    def work_never_stalls(self) -> None:
        """While some job is active, something is in flight (nothing waits on nothing)."""
        if hasattr(self, "h") and self.h.engine.active_jobs():
            assert self.running or self.validating

    @invariant()
    def no_sheet_is_lost(self) -> None:
        if not hasattr(self, "h"):
            return
        for record in self.h.engine.active_jobs():
            view = self.h.engine.view(record.job_id)
            assert view is not None and len(view.sheets) == self.sheet_count[record.job_id]
            assert record.status is JobStatus.RUNNING
        assert self.ended | {r.job_id for r in self.h.engine.active_jobs()} == set(self.sheet_count)

    def teardown(self) -> None:
        """Let every attempt succeed: every job must then end."""
        if not hasattr(self, "h"):
            return
        while True:
            if self.running:
                job_id, sheet, attempt = sorted(self.running)[0]
                self.running.discard((job_id, sheet, attempt))
                self.apply(self.h.exit(job_id, sheet, attempt=attempt))
            elif self.validating:
                job_id, sheet, attempt = sorted(self.validating)[0]
                self.validating.discard((job_id, sheet, attempt))
                self.apply(self.h.validated(job_id, sheet, attempt=attempt))
            else:
                break
        assert self.h.engine.active_jobs() == []
        assert self.ended == set(self.sheet_count)


EngineMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestEngineInvariants = EngineMachine.TestCase
