"""The jobs' side of a conductor on a real store, with the engine loop played one step at a
time: decide, commit, tell the catalog, then apply what the catalog and the callers see."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from podium.conductor.compiler import ScoreCompiler
from podium.domain.commands import JobEnded, Persist, Reply, SwapScore
from podium.domain.engine import Engine
from podium.domain.limits import Limits
from podium.runtime.jobs.admission import Admission, ReachCheck
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.jobs.control import JobControl
from podium.runtime.jobs.requests import EngineRequests
from podium.runtime.loop import Inbox, Replies
from podium.runtime.worktrees.isolation import Worktrees
from podium.store.sqlite import SqliteStore

T = TypeVar("T")


@dataclass
class Jobs:
    engine: Engine
    store: SqliteStore
    inbox: Inbox
    catalog: JobCatalog
    replies: Replies
    admission: Admission
    control: JobControl
    now: float = 1.0

    async def step(self) -> None:
        """Handle what the inbox holds as the engine loop would (no attempt is started)."""
        batch = await self.inbox.take_batch()
        commands = [c for e in batch for c in self.engine.handle(e, self.now)]
        persists = [c for c in commands if isinstance(c, Persist)]
        self.store.commit(persists)
        self.catalog.committed(persists)
        for command in commands:
            match command:
                case SwapScore():
                    self.catalog.promote(command.job_id, command.key)
                case JobEnded():
                    self.catalog.forget(command.job_id)
                case Reply():
                    self.replies.resolve(command)
        self.inbox.handled(len(batch))

    async def answered(self, request: Awaitable[T]) -> T:
        """Run a request to its answer, stepping the engine once for it."""
        task = asyncio.ensure_future(request)
        while not task.done():
            stepping = asyncio.ensure_future(self.step())
            await asyncio.wait({task, stepping}, return_when=asyncio.FIRST_COMPLETED)
            if not stepping.done():
                stepping.cancel()
        await asyncio.sleep(0)  # the offers lapse once the answer is given
        return task.result()


def with_jobs(
    tmp_path: Path,
    body: Callable[[Jobs], Awaitable[T]],
    worktrees: Callable[[SqliteStore, asyncio.TaskGroup], Worktrees] | None = None,
    reach: ReachCheck | None = None,
) -> T:
    async def main() -> T:
        async with asyncio.TaskGroup() as tasks:
            made = worktrees(store, tasks) if worktrees is not None else None
            engine, inbox, replies, catalog = Engine(Limits()), Inbox(), Replies(), JobCatalog()
            requests = EngineRequests(inbox=inbox, replies=replies, catalog=catalog, worktrees=made)
            compiler = ScoreCompiler()
            jobs = Jobs(
                engine,
                store,
                inbox,
                catalog,
                replies,
                Admission(
                    engine=engine,
                    store=store,
                    requests=requests,
                    compiler=compiler,
                    worktrees=made,
                    reach=reach,
                ),
                JobControl(
                    engine=engine,
                    store=store,
                    requests=requests,
                    catalog=catalog,
                    compiler=compiler,
                    worktrees=made,
                ),
            )
            requests.open()
            return await body(jobs)

    store = SqliteStore(tmp_path / "podium.db")
    try:
        return asyncio.run(main())
    finally:
        store.close()
