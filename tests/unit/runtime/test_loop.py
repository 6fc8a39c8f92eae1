"""The engine loop's one promise: nothing happens for a state that was not saved."""

import asyncio
import contextlib
import threading
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import pytest

from podium.domain.commands import (
    Kill,
    Launch,
    Persist,
    RunHook,
    RunSkipCheck,
    RunValidations,
    StopHook,
)
from podium.domain.engine import Engine, Limits
from podium.domain.errors import StateUnwritable
from podium.domain.events import JobSubmitted
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import InFlightAttempt
from podium.runtime.checks.command import HERE, CheckCommands
from podium.runtime.clock import SYSTEM_CLOCK
from podium.runtime.executors.base import ExecutorDescription
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.loop import EngineLoop, Inbox, Replies
from podium.testing.clock import VirtualClock
from podium.testing.harness import make_plan


class DiskFull(Exception):
    pass


class FailingStore:
    def __init__(self) -> None:
        self.batches: list[Sequence[Persist]] = []

    def commit(self, batch: Sequence[Persist]) -> None:
        self.batches.append(batch)
        raise DiskFull


class RecordingRunner:
    def __init__(self) -> None:
        self.launched: list[Launch] = []
        self.validated: list[RunValidations] = []

    def launch(self, cmd: Launch) -> None:
        self.launched.append(cmd)

    def kill(self, cmd: Kill) -> None:
        raise AssertionError(f"nothing should be killed: {cmd}")

    def stop_starting(self) -> None:
        pass

    async def check_reach(self, workspace: Path, instruments: Collection[str]) -> None:
        raise AssertionError("no job is submitted here")

    async def keep_watch(self, lost: Callable[[str], None]) -> None:
        pass

    @property
    def check_commands(self) -> CheckCommands:
        return HERE

    def survivors(self, in_flight: Sequence[InFlightAttempt]) -> list[InFlightAttempt]:
        return []

    def reattach(self, attempt: InFlightAttempt) -> None:
        raise AssertionError(f"nothing should be re-attached: {attempt}")

    @property
    def running(self) -> int:
        return 0

    def process_groups(self) -> frozenset[int]:
        return frozenset()

    def attempt_groups(self) -> dict[tuple[JobId, SheetNum, int], int]:
        return {}

    def describe(self) -> ExecutorDescription:
        return ExecutorDescription("local", 0)

    def start(self, cmd: RunValidations) -> None:
        self.validated.append(cmd)


class NoSkipChecks:
    def start(self, cmd: RunSkipCheck) -> None:
        raise AssertionError(f"no skip check expected: {cmd}")


class NoHooks:
    def start(self, cmd: RunHook) -> None:
        raise AssertionError(f"no hook expected: {cmd}")

    def stop(self, cmd: StopHook) -> None:
        raise AssertionError(f"no hook expected: {cmd}")


def test_effects_never_run_when_the_commit_fails() -> None:
    async def main() -> tuple[FailingStore, RecordingRunner, bool]:
        store, runner, replies = FailingStore(), RecordingRunner(), Replies()
        request, answer = replies.expect()
        loop = EngineLoop(
            engine=Engine(Limits()),
            store=store,
            inbox=Inbox(),
            replies=replies,
            attempts=runner,
            validator=runner,
            skip_checks=NoSkipChecks(),
            hooks=NoHooks(),
            catalog=JobCatalog(),
            clock=VirtualClock(start=1.0),
        )
        event = JobSubmitted(request, JobId("a"), make_plan(sheets=2), "/s/a.yaml", "/w", "")
        with pytest.raises(DiskFull):
            loop.handle([event])
        return store, runner, answer.done()

    store, runner, answered = asyncio.run(main())
    assert len(store.batches) == 1 and store.batches[0][0].specs  # it tried to save the job
    assert runner.launched == []  # and started nothing
    assert not answered  # nor told the caller it was accepted


class FullDiskStore:
    """Refuses the first `refusals` commits as a full disk does, then takes them."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.committed: list[Sequence[Persist]] = []

    def commit(self, batch: Sequence[Persist]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise StateUnwritable("database or disk is full (/state/podium.db)")
        self.committed.append(batch)


def test_a_commit_the_disk_refuses_is_tried_again_and_nothing_is_acted_on_before() -> None:
    async def main() -> tuple[list[str], list[int], list[int], bool]:
        store, runner, replies, inbox = FullDiskStore(3), RecordingRunner(), Replies(), Inbox()
        told: list[str] = []
        launches_seen: list[int] = []

        def refused(error: str) -> None:
            told.append(error)
            launches_seen.append(len(runner.launched))

        request, answer = replies.expect()
        loop = EngineLoop(
            engine=Engine(Limits()),
            store=store,
            inbox=inbox,
            replies=replies,
            attempts=runner,
            validator=runner,
            skip_checks=NoSkipChecks(),
            hooks=NoHooks(),
            catalog=JobCatalog(),
            clock=clock,
            unwritable=refused,
        )
        inbox.post(JobSubmitted(request, JobId("a"), make_plan(sheets=2), "/s/a.yaml", "/w", ""))
        task = asyncio.create_task(loop.run())
        await asyncio.wait_for(inbox.drained(), timeout=10)
        task.cancel()
        return told, launches_seen, [len(store.committed), len(runner.launched)], answer.done()

    clock = VirtualClock(start=1.0, autojump_threshold=0)
    told, launches_seen, (committed, launched), answered = clock.run(main())
    assert clock.monotonic() == pytest.approx(0.05 + 0.1 + 0.2)  # paused, doubling each time
    assert told == ["database or disk is full (/state/podium.db)"] * 3
    assert launches_seen == [0, 0, 0]  # nothing started while the step was not recorded
    assert committed == 1  # the same batch, committed once it could be
    assert launched == 1  # then acted on (one sheet at a time, as the plan says)
    assert answered  # and then the caller was told


class HeldStore:
    """Commits in the loop's writer thread, each held until the test lets it through."""

    def __init__(self) -> None:
        self.committed: list[Sequence[Persist]] = []
        self.started = threading.Semaphore(0)
        self.go = threading.Semaphore(0)

    def commit(self, batch: Sequence[Persist]) -> None:
        self.started.release()
        self.go.acquire()
        self.committed.append(batch)


def held_loop(store: HeldStore, runner: RecordingRunner, inbox: Inbox) -> EngineLoop:
    return EngineLoop(
        engine=Engine(Limits()),
        store=store,
        inbox=inbox,
        replies=Replies(),
        attempts=runner,
        validator=runner,
        skip_checks=NoSkipChecks(),
        hooks=NoHooks(),
        catalog=JobCatalog(),
        clock=SYSTEM_CLOCK,
    )


async def commit_started(store: HeldStore) -> None:
    await asyncio.to_thread(store.started.acquire)


def submitted(name: str) -> JobSubmitted:
    return JobSubmitted(0, JobId(name), make_plan(sheets=1), f"/s/{name}.yaml", "/w", "")


def test_the_loop_goes_on_while_a_batch_is_committed_and_acts_only_once_it_is() -> None:
    async def main() -> tuple[list[int], int, list[int]]:
        store, runner, inbox = HeldStore(), RecordingRunner(), Inbox()
        loop = held_loop(store, runner, inbox)
        inbox.post(submitted("a"))
        task = asyncio.create_task(loop.run())
        await commit_started(store)
        # The commit is on the disk: the loop's thread is free (this coroutine runs), and
        # nothing of the batch is acted on yet.
        for _ in range(10):
            await asyncio.sleep(0)
        before = [len(runner.launched)]
        store.go.release()
        await asyncio.wait_for(inbox.drained(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return before, len(store.committed), [len(runner.launched)]

    before, committed, after = asyncio.run(main())
    assert before == [0]
    assert committed == 1
    assert after == [1]


def test_events_that_come_while_a_batch_is_committed_are_committed_together_next() -> None:
    async def main() -> list[list[str]]:
        store, runner, inbox = HeldStore(), RecordingRunner(), Inbox()
        loop = held_loop(store, runner, inbox)
        inbox.post(submitted("a"))
        task = asyncio.create_task(loop.run())
        await commit_started(store)
        inbox.post(submitted("b"))
        inbox.post(submitted("c"))
        store.go.release()
        await commit_started(store)
        store.go.release()
        await asyncio.wait_for(inbox.drained(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return [sorted(j.job_id for p in batch for j in p.jobs) for batch in store.committed]

    assert asyncio.run(main()) == [["a"], ["b", "c"]]


def test_a_loop_cancelled_during_a_commit_finishes_it_and_acts_on_none_of_it() -> None:
    async def main() -> tuple[int, int]:
        store, runner, inbox = HeldStore(), RecordingRunner(), Inbox()
        loop = held_loop(store, runner, inbox)
        inbox.post(submitted("a"))
        task = asyncio.create_task(loop.run())
        await commit_started(store)
        task.cancel()
        await asyncio.sleep(0)
        # The loop waits for its writer: the commit goes through, as a crash just after it
        # would leave it, and nothing of the batch is acted on.
        store.go.release()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return len(store.committed), len(runner.launched)

    assert asyncio.run(main()) == (1, 0)


def test_a_reader_at_rest_sees_the_store_hold_exactly_what_was_acted_on() -> None:
    async def main() -> tuple[tuple[int, int], list[tuple[int, int]], bool, int]:
        store, runner, inbox = HeldStore(), RecordingRunner(), Inbox()
        loop = held_loop(store, runner, inbox)

        def read() -> tuple[int, int]:
            return len(store.committed), len(runner.launched)

        idle = await asyncio.wait_for(loop.at_rest(read), timeout=10)  # nothing under way
        inbox.post(submitted("a"))
        task = asyncio.create_task(loop.run())
        await commit_started(store)
        called: list[tuple[int, int]] = []
        waiter = asyncio.create_task(loop.at_rest(read))
        gone = asyncio.create_task(loop.at_rest(lambda: called.append(read())))
        settled = asyncio.create_task(loop.settled())
        for _ in range(10):
            await asyncio.sleep(0)
        waited = not (waiter.done() or settled.done())
        gone.cancel()  # its caller hung up: it is never called
        store.go.release()
        seen = await asyncio.wait_for(waiter, timeout=10)
        await asyncio.wait_for(settled, timeout=10)
        await asyncio.wait_for(inbox.drained(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return idle, [seen, *called], waited, len(runner.launched)

    idle, seen, waited, launched = asyncio.run(main())
    assert idle == (0, 0)
    assert waited
    assert seen == [(1, 1)]  # committed and acted on; the one given up was not called
    assert launched == 1


def test_a_reader_is_not_held_longer_than_it_allows_by_a_slow_disk() -> None:
    async def main() -> tuple[tuple[int, int], int]:
        store, runner, inbox = HeldStore(), RecordingRunner(), Inbox()
        loop = held_loop(store, runner, inbox)
        inbox.post(submitted("a"))
        task = asyncio.create_task(loop.run())
        await commit_started(store)
        seen = await asyncio.wait_for(
            loop.at_rest(lambda: (len(store.committed), len(runner.launched)), most=0.05), 10
        )
        store.go.release()
        await asyncio.wait_for(inbox.drained(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return seen, len(runner.launched)

    seen, launched = asyncio.run(main())
    assert seen == (0, 0)  # read as things stood, the commit still under way
    assert launched == 1


class HeldFullDiskStore(HeldStore):
    """Holds the first commit, then refuses it as a full disk does; takes the next."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def commit(self, batch: Sequence[Persist]) -> None:
        if not self.refused:
            self.started.release()
            self.go.acquire()
            self.refused = True
            raise StateUnwritable("database or disk is full (/state/podium.db)")
        self.committed.append(batch)


def test_readers_are_not_held_while_the_disk_refuses_commits() -> None:
    async def main() -> tuple[tuple[int, int], bool]:
        store, runner, inbox = HeldFullDiskStore(), RecordingRunner(), Inbox()
        loop = held_loop(store, runner, inbox)
        inbox.post(submitted("a"))
        task = asyncio.create_task(loop.run())
        await commit_started(store)
        waiter = asyncio.create_task(
            loop.at_rest(lambda: (len(store.committed), len(runner.launched)))
        )
        await asyncio.sleep(0)
        store.go.release()  # refused: the batch waits for the disk, the reader does not
        seen = await asyncio.wait_for(waiter, timeout=10)
        await asyncio.wait_for(inbox.drained(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return seen, loop.waiting_for_disk

    assert asyncio.run(main()) == ((0, 0), False)
