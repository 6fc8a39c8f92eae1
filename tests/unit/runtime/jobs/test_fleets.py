"""The fleet runner against a real SQLite store and scripted jobs: requests that queue behind
one another never undo what came first, a job that refuses a request does not stop the others,
an unexpected submission error fails the fleet, and pressure keeps one retry timer per fleet."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from podium.domain.errors import InvalidState, ResourceExhausted
from podium.domain.fleet import FleetPlan, FleetStatus
from podium.domain.ids import JobId
from podium.domain.records import Carried
from podium.domain.status import JobStatus
from podium.runtime.jobs.fleets import FleetRunner
from podium.store.sqlite import SqliteStore
from tests.contract.test_store import job, submit

PRESSURE = ResourceExhausted("memory is at 95%; new work waits until it drops")


class ScriptedJobs:
    """Jobs kept in the store as the engine would keep them, with scripted refusals and a gate
    that holds every pause until it opens."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.refusals: dict[str, Exception] = {}
        """Each score's (stem) or job's refusal of any request."""
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = 0
        """Pauses waiting at the gate."""

    def reserve_id(self, score_path: str) -> JobId:
        return JobId(Path(score_path).stem)

    async def submit(
        self,
        score_path: str,
        client_cwd: str | None,
        *,
        job_id: JobId | None,
        note: str | None,
        environment: Carried | None = None,
    ) -> object:
        self._refused(Path(score_path).stem)
        assert job_id is not None
        submit(self.store, job(job_id))
        return job_id

    async def pause(self, job_id: str, *, force: bool) -> str:
        self.held += 1
        await self.gate.wait()
        self.held -= 1
        return self._set(job_id, JobStatus.PAUSED)

    async def resume(self, job_id: str, *, reload: bool) -> str:
        return self._set(job_id, JobStatus.RUNNING)

    async def cancel(self, job_id: str) -> str:
        return self._set(job_id, JobStatus.CANCELLED)

    def _set(self, job_id: str, status: JobStatus) -> str:
        self._refused(job_id)
        submit(self.store, job(job_id, status))
        return str(status)

    def _refused(self, name: str) -> None:
        if name in self.refusals:
            raise self.refusals[name]


def plan(*names: str) -> FleetPlan:
    """One group, `first`, holding a score of each name."""
    return FleetPlan(
        "rel", "/f/fleet.yaml", {"first": ()}, tuple((f"/f/{n}.yaml", "first") for n in names)
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    found = SqliteStore(tmp_path / "podium.db")
    yield found
    found.close()


Scenario = Callable[[FleetRunner, ScriptedJobs], Awaitable[None]]


def play(store: SqliteStore, fleet: FleetPlan, scenario: Scenario) -> None:
    """Run `scenario` with a runner of its own; timers still pending at its end are dropped."""

    async def main() -> None:
        jobs = ScriptedJobs(store)
        async with asyncio.TaskGroup() as tasks:
            runner = FleetRunner(
                fleets=store.fleets,
                admission=jobs,
                control=jobs,
                load=lambda _: fleet,
                tasks=tasks,
                clock=lambda: 5.0,
                retry_seconds=3600.0,
            )
            await scenario(runner, jobs)
            for task in pending():
                task.cancel()

    asyncio.run(main())


def pending() -> set[asyncio.Task[object]]:
    """The tasks other than the running one."""
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current}


async def settle() -> None:
    """Let every ready task run until it blocks: nothing here waits on I/O or a clock, so a few
    turns of the event loop suffice."""
    for _ in range(20):
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never came true: {what}")


def test_a_pause_queued_behind_a_cancel_does_not_bring_the_fleet_back(
    store: SqliteStore,
) -> None:
    async def scenario(runner: FleetRunner, jobs: ScriptedJobs) -> None:
        fleet_id = (await runner.submit(Path("/f/fleet.yaml"))).fleet.record.fleet_id
        jobs.gate.clear()
        first = asyncio.create_task(runner.pause(fleet_id, force=False))
        await until(lambda: jobs.held == 1, "the first pause to hold the fleet at the gate")
        cancel = asyncio.create_task(runner.cancel(fleet_id))
        second = asyncio.create_task(runner.pause(fleet_id, force=False))
        await settle()
        jobs.gate.set()
        await first
        assert (await cancel).startswith("cancelled: 2 active job(s) cancelled")
        with pytest.raises(InvalidState, match="has already ended \\(cancelled\\)"):
            await second
        assert runner.status(fleet_id).fleet.record.status is FleetStatus.CANCELLED

    play(store, plan("a", "b"), scenario)


def test_a_job_that_refuses_a_resume_leaves_the_others_resumed_and_is_reported(
    store: SqliteStore,
) -> None:
    async def scenario(runner: FleetRunner, jobs: ScriptedJobs) -> None:
        fleet_id = (await runner.submit(Path("/f/fleet.yaml"))).fleet.record.fleet_id
        assert (await runner.pause(fleet_id, force=False)).startswith("paused: 2 job(s) pausing")
        jobs.refusals["a"] = PRESSURE
        said = await runner.resume(fleet_id)
        assert said.startswith(f"resumed: 1 job(s) go on, 1 left as it is: {PRESSURE}")
        state = runner.status(fleet_id)
        assert state.fleet.record.status is FleetStatus.RUNNING
        assert state.statuses == {"a": JobStatus.PAUSED, "b": JobStatus.RUNNING}

    play(store, plan("a", "b"), scenario)


def test_an_unexpected_submission_error_fails_the_fleet_with_it_as_the_reason(
    store: SqliteStore,
) -> None:
    async def scenario(runner: FleetRunner, jobs: ScriptedJobs) -> None:
        jobs.refusals["b"] = OSError(28, "No space left on device")
        state = await runner.submit(Path("/f/fleet.yaml"))
        [_, b] = state.fleet.members
        assert b.job_id is None
        assert b.error == (
            "OSError: [Errno 28] No space left on device (the conductor's log has the details)"
        )
        assert state.fleet.record.status is FleetStatus.RUNNING  # a still runs
        submit(store, job("a", JobStatus.COMPLETED))
        runner.start()
        fleet_id = state.fleet.record.fleet_id
        await until(lambda: runner.status(fleet_id).fleet.record.status.is_terminal, "its end")
        record = runner.status(fleet_id).fleet.record
        assert record.status is FleetStatus.FAILED
        assert record.reason is not None
        assert "/f/b.yaml (group 'first') could not be submitted: OSError" in record.reason

    play(store, plan("a", "b"), scenario)


def test_refusals_under_pressure_keep_one_retry_timer_per_fleet(store: SqliteStore) -> None:
    async def scenario(runner: FleetRunner, jobs: ScriptedJobs) -> None:
        jobs.refusals["a"] = PRESSURE
        state = await runner.submit(Path("/f/fleet.yaml"))
        assert state.fleet.members[0].job_id == "a" and state.statuses == {}
        for _ in range(3):
            runner.start()  # evaluated again: refused again
            await settle()
        assert len(pending()) == 1

    play(store, plan("a"), scenario)
