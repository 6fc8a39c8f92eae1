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
from podium.domain.events import JobSubmitted
from podium.domain.ids import JobId
from podium.runtime.catalog import JobCatalog
from podium.runtime.loop import EngineLoop, Inbox, Replies
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
            clock=lambda: 1.0,
        )
        event = JobSubmitted(request, JobId("a"), make_plan(sheets=2), "/s/a.yaml", "/w", "")
        with pytest.raises(DiskFull):
            loop.handle([event])
        return store, runner, answer.done()

    store, runner, answered = asyncio.run(main())
    assert len(store.batches) == 1 and store.batches[0][0].specs  # it tried to save the job
    assert runner.launched == []  # and started nothing
    assert not answered  # nor told the caller it was accepted
