"""The conductor's memory of the jobs' worktrees: one change at a time per key, which ends
are for a worktree to handle, and no notes for a cleared job."""

import asyncio
from collections.abc import Sequence

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.runtime.worktrees.state import KeyedLocks, Presence, WorktreeNotes

JOB = JobId("build")


def test_a_key_is_held_by_one_block_at_a_time_and_dropped_when_free() -> None:
    locks, order = KeyedLocks(), []

    async def use(name: str) -> None:
        async with locks.hold("k"):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    async def main() -> None:
        await asyncio.gather(use("a"), use("b"))

    asyncio.run(main())
    assert order == ["a in", "a out", "b in", "b out"]
    assert len(locks) == 0


def test_a_kept_worktree_waits_for_a_request_and_a_held_one_for_its_answer() -> None:
    presence = Presence()
    assert not presence.ends_with_job(JOB)
    presence.made(JOB)
    assert presence.ends_with_job(JOB)
    presence.keep(JOB)
    assert not presence.ends_with_job(JOB)
    presence.hold(JOB)
    assert presence.ends_with_job(JOB) and presence.is_held(JOB)
    presence.let_go(JOB)
    assert not presence.is_held(JOB)
    presence.removed(JOB)
    assert not presence.ends_with_job(JOB)


class Written:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def commit(self, batch: Sequence[Persist]) -> None:
        self.notes += [n.text for p in batch for n in p.notes]


def test_a_cleared_job_gets_no_notes_until_it_has_a_worktree_again() -> None:
    written = Written()
    notes = WorktreeNotes(written, lambda: 1.0)
    notes.clearing([JOB])
    notes.note(JOB, ["lost"])
    notes.opened(JOB)
    notes.note(JOB, ["kept"])
    assert written.notes == ["kept"]
