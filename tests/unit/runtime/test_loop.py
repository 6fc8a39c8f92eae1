"""The engine loop's one promise: nothing happens for a state that was not saved."""

import asyncio
from collections.abc import Sequence

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
