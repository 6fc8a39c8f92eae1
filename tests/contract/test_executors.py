"""The executor contract (`podium.runtime.executors.base`), run against every executor: real
attempts (`sys.executable` scripts) launched from the engine's own `Launch`, signalled,
re-attached by a second executor as after a conductor restart, and their endings collected.

Each attempt is started as the conductor starts it: a compiled score, the engine's decision
committed to a real store, then the executor. A "conductor" here is one task group: cancelling
it is a crash, which the attempt outlives.
"""

import asyncio
import gc
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from podium.conductor.compiler import ScoreCompiler
from podium.domain.commands import Kill, Launch, Persist
from podium.domain.engine import Engine, Limits
from podium.domain.events import AttemptExited, Event, JobSubmitted
from podium.domain.ids import JobId, SheetNum
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import InFlightAttempt, ProcessInfo
from podium.host import platform
from podium.host.processes import stat
from podium.runtime import exits
from podium.runtime.clock import SYSTEM_CLOCK, Clock
from podium.runtime.context import WorkerContext
from podium.runtime.executors.base import Executor, ExecutorDescription
from podium.runtime.executors.local.attempts import AttemptRunner
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.layout import Layout
from podium.store.sqlite import SqliteStore
from podium.testing.clock import VirtualClock
from podium.testing.conductor import kill_leftovers

JOB = JobId("contract")

MakeExecutor = Callable[[WorkerContext, SqliteStore, Clock], Executor]


def local(context: WorkerContext, store: SqliteStore, clock: Clock) -> Executor:
    return AttemptRunner(context, store, clock=clock)


def on_ray(context: WorkerContext, store: SqliteStore, clock: Clock) -> Executor:
    """The Ray executor on the session's loopback cluster (the `ray_cluster` fixture), in a
    namespace of the test's own (its actors' names are the same in every test)."""
    from podium.config import ExecutorConfig
    from podium.runtime.executors.ray.executor import RayExecutor

    settings = ExecutorConfig(type="ray", namespace=RAY_NAMESPACE[0])
    return RayExecutor(context, store, lambda: settings, clock=clock)


RAY_NAMESPACE = ["contract"]
"""The namespace of the running test's Ray actors (set by `_on_ray_cluster`)."""

EXECUTORS = [
    pytest.param(local, id="local"),
    pytest.param(on_ray, id="ray", marks=pytest.mark.ray),
]

RUN_HERE = {local}
"""The executors whose attempts run on this machine, and so count in `process_groups`."""


@pytest.fixture(autouse=True)
def _on_ray_cluster(request: pytest.FixtureRequest) -> None:
    if "ray" in request.keywords:
        request.getfixturevalue("ray_cluster")
        RAY_NAMESPACE[0] = f"contract-{uuid.uuid4().hex[:12]}"


@dataclass
class Conductor:
    """What an executor is given by one run of the conductor, and what it posted."""

    executor: Executor
    events: "asyncio.Queue[Event]"

    async def ending(self, timeout: float = 20.0) -> AttemptExited:
        """The next `AttemptExited` the executor posted."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                if isinstance(event, AttemptExited):
                    return event


class Bench:
    """A compiled one-sheet score whose attempt runs `script`, a real store, the engine."""

    made: ClassVar[list["Bench"]] = []
    """Every bench of the test running: their stores are closed when it ends."""

    def __init__(self, tmp_path: Path, script: str, timeout: float = 60.0) -> None:
        Bench.made.append(self)
        self.tmp_path = tmp_path
        self.held: list[subprocess.Popen[bytes]] = []
        (tmp_path / "attempt.py").write_text(textwrap.dedent(script))
        (tmp_path / "score.yaml").write_text(
            textwrap.dedent(f"""\
                name: contract
                workspace: ./ws
                instrument: cli
                instrument_config: {{timeout_seconds: {timeout}}}
                retry: {{max_retries: 0, max_completion_attempts: 0}}
                sheet: {{size: 1, total_items: 1}}
                prompt:
                  template: '{sys.executable} {tmp_path / "attempt.py"}'
            """)
        )
        self.store = SqliteStore(tmp_path / "state" / "podium.db")
        self.layout = Layout(tmp_path / "state" / "jobs")
        self.catalog = JobCatalog()
        self.compiled = ScoreCompiler().compile(tmp_path / "score.yaml")
        self.catalog.add(JOB, self.compiled)

    def first_launch(self, clock: Clock) -> Launch:
        """Submit the job to the engine and commit its decision, as the engine loop does; the
        `Launch` it made."""
        submitted = JobSubmitted(
            1,
            JOB,
            self.compiled.plan,
            str(self.tmp_path / "score.yaml"),
            str(self.compiled.workspace),
            self.compiled.snapshot,
        )
        commands = Engine(Limits()).handle(submitted, clock.now())
        self.store.commit([c for c in commands if isinstance(c, Persist)])
        launches = [c for c in commands if isinstance(c, Launch)]
        assert len(launches) == 1, commands
        return launches[0]

    @asynccontextmanager
    async def conductor(self, make: MakeExecutor, clock: Clock) -> AsyncIterator[Conductor]:
        """One run of a conductor; leaving the block early (a cancel) is its crash."""
        events: asyncio.Queue[Event] = asyncio.Queue()
        async with asyncio.TaskGroup() as tasks:
            context = WorkerContext(self.catalog, self.layout, events.put_nowait, tasks, 1.0)
            yield Conductor(make(context, self.store, clock), events)

    def close(self) -> None:
        self.store.close()

    def reap(self) -> None:
        """Wait for the processes a crashed conductor left (an exit file may be written, and
        the ending collected, a moment before the process itself is gone)."""
        for popen in self.held:
            popen.wait(timeout=30)

    def in_flight(self) -> list[InFlightAttempt]:
        """The attempts the store has as running, as a restart reads them."""
        return [a for job in self.store.load_active() for a in job.in_flight]

    def file(self, name: str) -> Path:
        return self.tmp_path / "ws" / name


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not so within {timeout}s"
        await asyncio.sleep(0.01)


def script(tmp_path: Path, body: str) -> str:
    """A Python attempt that first says it started (a file in the workspace), then `body`."""
    return f"""\
        import pathlib, sys, time
        ws = pathlib.Path({str(tmp_path / "ws")!r})
        (ws / "started").write_text("")
{textwrap.indent(textwrap.dedent(body), " " * 8)}
    """


WAIT_FOR_GO = """\
    while not (ws / "go").exists():
        time.sleep(0.01)
    print("done")
    sys.exit(5)
"""


@pytest.fixture(autouse=True)
def _benches_closed() -> Iterator[None]:
    yield
    while Bench.made:
        Bench.made.pop().close()


@pytest.mark.parametrize("make", EXECUTORS)
def test_an_attempt_is_recorded_before_it_runs_and_its_ending_is_collected(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, "print('hello'); sys.exit(3)"))

    async def main() -> AttemptExited:
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            conductor.executor.launch(bench.first_launch(SYSTEM_CLOCK))
            return await conductor.ending()

    ending = SYSTEM_CLOCK.run(main())
    assert (ending.job_id, ending.sheet, ending.attempt) == (JOB, 1, 1)
    assert (ending.status.exit_code, ending.status.signal, ending.status.timed_out) == (
        3,
        None,
        False,
    )
    assert ending.classified.outcome is AttemptOutcome.FAILED
    [recorded] = bench.in_flight()
    assert recorded.process is not None and recorded.process.pid > 0


@pytest.mark.parametrize("make", EXECUTORS)
def test_a_signalled_attempt_stops_and_its_ending_says_so(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, "time.sleep(60)"))

    async def main() -> AttemptExited:
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            launch = bench.first_launch(SYSTEM_CLOCK)
            conductor.executor.launch(launch)
            await until(bench.file("started").exists)
            # Counted once its start is back on the loop, a moment after the process runs.
            await until(lambda: conductor.executor.running == 1)
            conductor.executor.kill(Kill(launch.job_id, launch.sheet, launch.attempt))
            ending = await conductor.ending()
            assert conductor.executor.running == 0
            return ending

    ending = SYSTEM_CLOCK.run(main())
    assert (ending.status.exit_code, ending.status.signal) == (None, signal.SIGTERM)
    assert not ending.status.timed_out


@pytest.mark.parametrize("make", EXECUTORS)
def test_the_description_says_where_attempts_run_and_how_many(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, "time.sleep(60)"))

    async def main() -> tuple[ExecutorDescription, ExecutorDescription]:
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            launch = bench.first_launch(SYSTEM_CLOCK)
            conductor.executor.launch(launch)
            await until(lambda: conductor.executor.describe().running == 1)
            running = conductor.executor.describe()
            conductor.executor.kill(Kill(launch.job_id, launch.sheet, launch.attempt))
            await conductor.ending()
            return running, conductor.executor.describe()

    running, ended = SYSTEM_CLOCK.run(main())
    assert (running.running, ended.running) == (1, 0)
    if make in RUN_HERE:
        assert (running.type, running.address, running.nodes) == ("local", "", ())
    else:
        assert (running.type, running.namespace) == ("ray", RAY_NAMESPACE[0])


@pytest.mark.parametrize("make", EXECUTORS)
def test_an_attempt_signalled_while_it_starts_is_stopped_once_it_runs(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, "time.sleep(60)"))

    async def main() -> AttemptExited:
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            launch = bench.first_launch(SYSTEM_CLOCK)
            conductor.executor.launch(launch)
            conductor.executor.kill(Kill(launch.job_id, launch.sheet, launch.attempt))
            return await conductor.ending()

    ending = SYSTEM_CLOCK.run(main())
    assert ending.status.signal == signal.SIGTERM


async def crash_while_running(bench: Bench, make: MakeExecutor) -> None:
    """Start the attempt under a first conductor, then crash that conductor (its tasks are
    cancelled; the attempt, in its own session, runs on)."""
    started = asyncio.Event()
    before = {id(o) for o in gc.get_objects() if isinstance(o, subprocess.Popen)}

    async def first() -> None:
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            conductor.executor.launch(bench.first_launch(SYSTEM_CLOCK))
            await until(bench.file("started").exists)
            # A crash after the process is recorded (a moment after it runs): the store has it.
            await until(lambda: all(a.process is not None for a in bench.in_flight()))
            started.set()
            await asyncio.Event().wait()

    run = asyncio.create_task(first())
    await started.wait()
    # A real crash leaves no objects behind; in one process, the crashed conductor's Popen
    # objects would be collected (and warn) while their processes run on: held, they are
    # reaped at the end (`Bench.reap`).
    bench.held.extend(
        o for o in gc.get_objects() if isinstance(o, subprocess.Popen) and id(o) not in before
    )
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


@pytest.mark.parametrize("make", EXECUTORS)
def test_a_running_attempt_is_reattached_after_a_crash_and_its_ending_collected(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, WAIT_FOR_GO))

    async def main() -> AttemptExited:
        await crash_while_running(bench, make)
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            [survivor] = conductor.executor.survivors(bench.in_flight())
            assert survivor.process is not None
            assert stat(survivor.process.pid) is not None  # still running, not re-run
            conductor.executor.reattach(survivor)
            assert conductor.executor.running == 1
            groups = conductor.executor.process_groups()
            assert (survivor.process.pgid in groups) is (make in RUN_HERE)
            bench.file("go").write_text("")
            return await conductor.ending()

    ending = SYSTEM_CLOCK.run(main())
    bench.reap()
    assert (ending.status.exit_code, ending.status.signal) == (5, None)
    assert (tmp_path / "ws").exists()


@pytest.mark.parametrize("make", EXECUTORS)
def test_an_attempt_that_ended_with_no_conductor_watching_is_collected_from_what_it_left(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, WAIT_FOR_GO))

    async def main() -> AttemptExited:
        await crash_while_running(bench, make)
        [recorded] = bench.in_flight()
        assert recorded.process is not None
        bench.file("go").write_text("")
        pid = recorded.process.pid
        await until(lambda: (found := stat(pid)) is None or not found.running)
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            [survivor] = conductor.executor.survivors(bench.in_flight())
            conductor.executor.reattach(survivor)
            return await conductor.ending()

    ending = SYSTEM_CLOCK.run(main())
    bench.reap()
    assert (ending.status.exit_code, ending.status.signal) == (5, None)


@pytest.mark.skipif(
    platform.mode().exits.way == platform.POLLING,
    reason="open: on virtual time, an exit noticed by polling comes after the clock has jumped "
    "past the test's own deadline; the same timeout on real time passes (docs/platforms.md)",
)
@pytest.mark.parametrize(
    "make", [p for p in EXECUTORS if p.id != "ray"]
)  # Ray's threads and virtual time: the Ray executor's timeouts are tested on real time
def test_an_attempt_past_its_timeout_is_stopped_without_waiting_on_virtual_time(
    make: MakeExecutor, tmp_path: Path
) -> None:
    bench = Bench(tmp_path, script(tmp_path, "time.sleep(600)"), timeout=3600)
    # Time jumps only after longer real quiet than an exit may take to be noticed (polling
    # notices it within POLL_SECONDS; a pidfd at once).
    clock = VirtualClock(autojump_threshold=max(0.05, 3 * exits.POLL_SECONDS))

    async def main() -> AttemptExited:
        async with bench.conductor(make, clock) as conductor:
            conductor.executor.launch(bench.first_launch(clock))
            return await conductor.ending(timeout=7200)

    ending = clock.run(main())
    assert ending.status.timed_out and ending.status.timeout_seconds == 3600
    assert ending.status.signal == signal.SIGTERM
    assert 3600 <= clock.monotonic() < 3700  # an hour passed, virtually
    assert ending.exited_at == clock.now()


@pytest.fixture(autouse=True)
def no_attempt_left(tmp_path: Path) -> Iterator[None]:
    yield
    kill_leftovers(tmp_path / "state" / "jobs")


class HeldRecords(SqliteStore):
    """The store, with each process record held (in the thread that spawned the process)
    until `go` is set."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.go = threading.Event()

    def record_process(
        self,
        job_id: JobId,
        sheet: SheetNum,
        attempt: int,
        process: ProcessInfo,
        spawned_at: float | None = None,
    ) -> None:
        assert self.go.wait(timeout=30), "the test never let the record through"
        super().record_process(job_id, sheet, attempt, process, spawned_at)


def test_a_local_attempt_killed_while_its_spawn_is_off_the_loop_is_stopped_once_back(
    tmp_path: Path,
) -> None:
    bench = Bench(tmp_path, script(tmp_path, "time.sleep(60)"))
    held = HeldRecords(bench.store.path)

    def make(context: WorkerContext, store: SqliteStore, clock: Clock) -> Executor:
        return AttemptRunner(context, held, clock=clock)

    async def main() -> AttemptExited:
        async with bench.conductor(make, SYSTEM_CLOCK) as conductor:
            launch = bench.first_launch(SYSTEM_CLOCK)
            conductor.executor.launch(launch)
            # Its process runs, while the thread that spawned it is still out recording it.
            await until(bench.file("started").exists)
            assert conductor.executor.running == 0
            conductor.executor.kill(Kill(launch.job_id, launch.sheet, launch.attempt))
            held.go.set()
            return await conductor.ending()

    try:
        ending = SYSTEM_CLOCK.run(main())
    finally:
        held.go.set()
        held.close()
    assert ending.status.signal == signal.SIGTERM
    [recorded] = bench.in_flight()
    assert recorded.process is not None  # recorded before it was reported running
