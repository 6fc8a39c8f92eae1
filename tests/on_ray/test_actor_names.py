"""One actor per attempt: its name (`<job>/<sheet>/<attempt>`) cannot be taken twice."""

import asyncio
import uuid
from pathlib import Path

import pytest

from podium.config import ExecutorConfig
from podium.domain.commands import Kill
from podium.domain.events import AttemptExited, AttemptNotLaunched, Event
from podium.domain.ids import JobId, SheetNum
from podium.runtime.clock import SYSTEM_CLOCK
from podium.runtime.context import WorkerContext
from podium.testing.conductor import kill_leftovers
from podium.testing.ray_cluster import LoopbackCluster
from tests.contract.test_executors import Bench, script, until

pytestmark = pytest.mark.ray


def test_a_second_launch_of_the_same_attempt_is_refused_while_the_first_runs(
    ray_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from podium.runtime.executors.ray.executor import RayExecutor

    bench = Bench(tmp_path, script(tmp_path, "time.sleep(60)"))
    settings = ExecutorConfig(type="ray", namespace=f"names-{uuid.uuid4().hex[:12]}")

    async def main() -> tuple[AttemptNotLaunched, AttemptExited]:
        events: asyncio.Queue[Event] = asyncio.Queue()
        async with asyncio.TaskGroup() as tasks:
            context = WorkerContext(bench.catalog, bench.layout, events.put_nowait, tasks, 1.0)
            first = RayExecutor(context, bench.store, lambda: settings)
            second = RayExecutor(context, bench.store, lambda: settings)
            launch = bench.first_launch(SYSTEM_CLOCK)
            first.launch(launch)
            await until(bench.file("started").exists)
            second.launch(launch)  # as a second conductor on the same namespace would
            refused = await asyncio.wait_for(events.get(), 60)
            assert isinstance(refused, AttemptNotLaunched), refused
            first.kill(Kill(JobId(launch.job_id), SheetNum(launch.sheet), launch.attempt))
            ended = await asyncio.wait_for(events.get(), 60)
            assert isinstance(ended, AttemptExited), ended
            return refused, ended

    try:
        refused, ended = SYSTEM_CLOCK.run(main())
    finally:
        bench.close()
        kill_leftovers(tmp_path / "state" / "jobs")
    assert "contract/1/1" in refused.reason and "already taken" in refused.reason
    assert ended.status.signal is not None  # the first ran on, until it was stopped
