"""The one task that owns the engine: it takes events from the inbox, asks the engine what to
do, commits every `Persist` of the batch in one transaction, then applies the effects.

The commit runs on a thread of its own (the store's writer; see `podium.store.sqlite`): while
the disk takes one batch, the loop goes on spawning, noticing exits and answering, and the
events that come meanwhile make the next batch, committed together (group commit). No effect
of a batch (a launch, a kill, a reply, an event published) is applied before its commit is
done; the engine's in-memory view may be a batch ahead of the disk meanwhile, as it is
between deciding and committing anyway. Between batches, and while the disk refuses one, the
store holds exactly what was acted on (what the observers, the event stream among them, were
told): `EngineLoop.at_rest` runs a reader there, and `EngineLoop.settled` waits for it.

Time comes from one `Clock` (`podium.runtime.clock`): the engine's `now`, its one wake-up
timer, the pause between commits the disk refused.

A commit the disk refuses (full, read-only, failing) never ends the loop: the same batch is
committed again, with a growing pause, until it goes through, and none of its effects is
applied before. Meanwhile the conductor is told (dispatch stops, `conductor-status` says
why), and the socket goes on answering.
"""

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, assert_never

from podium.domain.commands import (
    Accepted,
    Command,
    JobEnded,
    Kill,
    Launch,
    Persist,
    Rejected,
    Reply,
    RunHook,
    RunSkipCheck,
    RunValidations,
    StopHook,
    SwapScore,
    WakeAt,
)
from podium.domain.engine import Engine
from podium.domain.errors import StateUnwritable
from podium.domain.events import Event, Tick
from podium.runtime.clock import Clock, Timer
from podium.runtime.conductor_log import job_fields
from podium.runtime.executors.base import Executor
from podium.runtime.jobs.catalog import JobCatalog

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH = 256
"""Events handled per transaction: group commit keeps fsyncs few when events arrive together."""

REST_WAIT_SECONDS = 2.0
"""The longest a reader waits for a commit under way (`EngineLoop.at_rest`): past it, a slow
disk does not hold up answers."""

RETRY_FIRST_SECONDS = 0.05
RETRY_MAX_SECONDS = 2.0
"""The pause before committing a refused batch again: doubled each time, up to the second."""


class Committer(Protocol):
    def commit(self, batch: Sequence[Persist]) -> None: ...


class Checker(Protocol):
    def start(self, cmd: RunValidations) -> None: ...


class SkipChecker(Protocol):
    def start(self, cmd: RunSkipCheck) -> None: ...


class HookStarter(Protocol):
    def start(self, cmd: RunHook) -> None: ...

    def stop(self, cmd: StopHook) -> None: ...


class Observer(Protocol):
    """Told of every committed batch, after the commit and before the effects; it must not
    block the loop (slow work, such as sending a notification, goes to a task of its own)."""

    def committed(self, batch: Sequence[Persist]) -> None: ...


class Inbox:
    """Events waiting for the engine. Anyone may post; only the engine loop takes."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue()

    def post(self, event: Event) -> None:
        self._queue.put_nowait(event)

    async def take_batch(self, limit: int = MAX_BATCH) -> list[Event]:
        batch = [await self._queue.get()]
        while len(batch) < limit and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    def handled(self, count: int) -> None:
        for _ in range(count):
            self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every event posted so far has been handled."""
        await self._queue.join()


class Replies:
    """Futures for callers waiting on the engine's answer to their event."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Accepted | Rejected]] = {}

    def expect(self) -> tuple[int, asyncio.Future[Accepted | Rejected]]:
        request = next(self._ids)
        future: asyncio.Future[Accepted | Rejected] = asyncio.get_running_loop().create_future()
        self._waiting[request] = future
        return request, future

    def resolve(self, reply: Reply) -> None:
        future = self._waiting.pop(reply.request, None)
        if future is not None and not future.done():
            future.set_result(reply.result)


class EngineLoop:
    """The engine's task: decide on each batch of events, persist, then act (see the module's
    docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: Committer,
        inbox: Inbox,
        replies: Replies,
        attempts: Executor,
        validator: Checker,
        skip_checks: SkipChecker,
        hooks: HookStarter,
        catalog: JobCatalog,
        clock: Clock,
        observers: Sequence[Observer] = (),
        unwritable: Callable[[str], None] = lambda error: None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._inbox = inbox
        self._replies = replies
        self._attempts = attempts
        self._validator = validator
        self._skip_checks = skip_checks
        self._hooks = hooks
        self._catalog = catalog
        self._clock = clock
        self._observers = tuple(observers)
        self._unwritable = unwritable
        self._launching = True
        self.waiting_for_disk = False
        """A batch is waiting for the disk to take its commit."""
        self._timer: Timer | None = None
        self._busy = False
        """A batch is between deciding and acting, its commit under way or done: the store
        may be ahead of what was acted on, or about to be."""
        self._at_rest: list[_AtRest[Any]] = []
        """What waits for the loop to be at rest again."""

    async def run(self) -> None:
        """Handle events until cancelled. A commit under way when cancelled is finished (by
        its thread) before this returns."""
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="podium-commit")
        try:
            while True:
                batch = await self._inbox.take_batch()
                self._busy = True
                try:
                    commands = self._decide(batch)
                    persists = _persists(commands)
                    if persists:
                        await self._commit_enduring(persists, writer)
                    self._act(persists, commands)
                finally:
                    self._inbox.handled(len(batch))
                    self._rest()
        finally:
            # Without holding up the loop's thread, which others share.
            await asyncio.to_thread(writer.shutdown, wait=True)

    async def at_rest(self, read: Callable[[], T], most: float = REST_WAIT_SECONDS) -> T:
        """`read()`, called when the store holds exactly what was acted on: at once if no
        batch is between deciding and acting, else once it is acted on (or its commit refused).
        What the engine had decided when this was called is then in the store, unless the disk
        refuses it; and the store holds nothing the observers were not told (a snapshot that
        the event stream continues exactly). A disk slower than `most` seconds: called then,
        as things stand."""
        if not self._busy:
            return read()
        waiting = _AtRest(read, asyncio.get_running_loop().create_future())
        self._at_rest.append(waiting)
        try:
            return await asyncio.wait_for(waiting.answer, most)  # cancelled: never called
        except TimeoutError:
            return read()

    async def settled(self) -> None:
        """Return once the store holds what the engine had decided when this was called (see
        `at_rest`): what a reader saw of the engine (`status`) is then in the store too
        (`list`, `history`), so a later answer never shows less than an earlier one."""
        await self.at_rest(lambda: None)

    def _rest(self) -> None:
        """The store holds exactly what was acted on: call the readers that waited for it."""
        self._busy = False
        waiting, self._at_rest = self._at_rest, []
        for reader in waiting:
            reader.call()

    def stop_launching(self) -> None:
        """At shutdown: decide and record as usual, but start no attempt or validation. The
        sheets concerned stay running or validating in the store, and the next start picks
        them up."""
        self._launching = False
        self._attempts.stop_starting()
        if self._timer is not None:
            self._timer.cancel()

    def handle(self, batch: list[Event]) -> None:
        """Decide, persist, then act: nothing here awaits, so no reader sees a half-step. A
        failed commit raises, and nothing is applied."""
        commands = self._decide(batch)
        persists = _persists(commands)
        if persists:
            self._store.commit(persists)
        self._act(persists, commands)

    def _decide(self, batch: list[Event]) -> list[Command]:
        commands: list[Command] = []
        for event in batch:
            commands.extend(self._engine.handle(event, self._clock.now()))
        return commands

    async def _commit_enduring(self, persists: list[Persist], writer: ThreadPoolExecutor) -> None:
        """Commit the batch on the `writer` thread, however long the disk takes to accept it."""
        pause = RETRY_FIRST_SECONDS
        loop = asyncio.get_running_loop()
        while True:
            self._busy = True
            try:
                await loop.run_in_executor(writer, self._store.commit, persists)
            except StateUnwritable as exc:
                self._rest()  # nothing of the batch is stored: readers go on meanwhile
                if not self.waiting_for_disk:
                    log.error(
                        "could not record the engine's last step: %s; nothing of it is acted "
                        "on until it is recorded, tried again until the disk takes it",
                        exc,
                    )
                    self.waiting_for_disk = True
                self._unwritable(str(exc.__cause__ or exc))
                await self._clock.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                continue
            if self.waiting_for_disk:
                log.info("the engine's last step is recorded; the conductor goes on")
                self.waiting_for_disk = False
            return

    def _act(self, persists: list[Persist], commands: list[Command]) -> None:
        if persists:
            for observer in self._observers:
                try:
                    observer.committed(persists)
                except Exception:  # an observer's bug never stops the engine
                    log.exception("%s failed on a committed batch", type(observer).__name__)
        for command in commands:
            self._apply(command)

    def _apply(self, command: Command) -> None:  # noqa: C901, PLR0912 - a dispatch table
        match command:
            case Persist():
                pass
            case Launch():
                if self._launching:
                    self._attempts.launch(command)
            case RunValidations():
                if self._launching:
                    self._validator.start(command)
            case RunSkipCheck():
                if self._launching:
                    self._skip_checks.start(command)
            case Kill():
                self._attempts.kill(command)
            case WakeAt():
                self._wake_at(command.at)
            case SwapScore():
                self._catalog.promote(command.job_id, command.key)
            case RunHook():
                if self._launching:
                    self._hooks.start(command)
            case StopHook():
                self._hooks.stop(command)
            case Reply():
                self._replies.resolve(command)
            case JobEnded():
                self._catalog.forget(command.job_id)
                log.info("job %s ended", command.job_id, extra=job_fields(command.job_id))
            case _:
                assert_never(command)

    def _wake_at(self, at: float) -> None:
        """One timer for the whole engine: a new wake-up replaces the one before (the engine
        asks again for anything later once it has been woken)."""
        if not self._launching:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, at - self._clock.now())
        when = self._clock.monotonic() + delay
        self._timer = self._clock.call_at(when, lambda: self._inbox.post(Tick()))


@dataclass(slots=True)
class _AtRest(Generic[T]):
    """A reader waiting for the loop to be at rest, and the future of its answer."""

    read: Callable[[], T]
    answer: asyncio.Future[T]

    def call(self) -> None:
        if self.answer.done():  # its caller gave up (it hung up, or the disk was too slow)
            return
        try:
            self.answer.set_result(self.read())
        except Exception as exc:  # noqa: BLE001 - the reader's error, raised where it waits
            self.answer.set_exception(exc)


def _persists(commands: list[Command]) -> list[Persist]:
    return [c for c in commands if isinstance(c, Persist)]
