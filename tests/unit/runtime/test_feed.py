"""The stream's hub and its output tailer: numbering, per-subscriber queues, a subscriber too
slow dropped with its reason (the others unaffected), ends at shutdown, and output lines read
from an attempt's files as they grow."""

import asyncio
from pathlib import Path

from podium.domain.commands import Persist
from podium.domain.feed import JOB, OUTPUT, Change, Interest, OutputLine
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobRecord
from podium.domain.status import JobStatus
from podium.runtime.feed import Feed, Subscriber
from podium.runtime.feed_output import OutputTails, _Tail
from podium.runtime.layout import Layout

J = JobId("j")


def job(status: JobStatus = JobStatus.RUNNING, job_id: str = "j") -> JobRecord:
    return JobRecord(JobId(job_id), job_id, "/s.yaml", "/ws", status, 0.0, 1)


def drain(subscriber: Subscriber) -> list[object]:
    async def take() -> list[object]:
        got: list[object] = []
        while subscriber.pending:
            event = await subscriber.next()
            got.append(None if event is None else (event.seq, event.item.job_id))
        return got

    return asyncio.run(take())


def test_each_subscriber_gets_the_events_it_wants_numbered_in_order() -> None:
    feed = Feed(lambda: 5.0)
    everyone, _ = feed.subscribe(Interest())
    only_k, _ = feed.subscribe(Interest(job_ids=frozenset({"k"})))
    feed.committed([Persist(jobs=(job(), job(job_id="k")))])
    feed.committed([Persist(jobs=(job(JobStatus.COMPLETED),))])
    assert feed.seq == 3
    assert drain(everyone) == [(1, "j"), (2, "k"), (3, "j")]
    assert drain(only_k) == [(2, "k")]


def test_a_subscriber_too_far_behind_is_dropped_alone_and_told_why() -> None:
    feed = Feed(lambda: 0.0, queue=2)
    slow, _ = feed.subscribe(Interest())
    fast, _ = feed.subscribe(Interest())
    for _ in range(2):
        feed.publish([Change(JOB, J, job())])
    assert drain(fast) == [(1, "j"), (2, "j")]
    feed.publish([Change(JOB, J, job())])
    assert slow.dropped is not None
    assert "fell more than 2 events behind" in slow.dropped
    assert drain(slow) == [(1, "j"), (2, "j"), None]  # what it had, then its end
    assert feed.subscribers == (fast,)
    feed.publish([Change(JOB, J, job())])
    assert drain(fast) == [(3, "j"), (4, "j")]


def test_a_subscriber_coming_back_gets_what_it_missed_or_a_gap() -> None:
    feed = Feed(lambda: 0.0, ring=3)
    for _ in range(4):
        feed.publish([Change(JOB, J, job())])
    back, gap = feed.subscribe(Interest(), since=2)
    assert not gap
    assert drain(back) == [(3, "j"), (4, "j")]
    late, gap = feed.subscribe(Interest(), since=0)
    assert gap
    assert late.pending == 0


def test_at_shutdown_every_subscription_ends_with_the_reason_and_a_hang_up_is_quiet() -> None:
    feed = Feed(lambda: 0.0)
    left, _ = feed.subscribe(Interest())
    stayed, _ = feed.subscribe(Interest())
    left.close()
    assert drain(left) == [None]
    assert left.dropped is None
    feed.close("the conductor is stopping")
    assert stayed.dropped == "the conductor is stopping"
    assert drain(stayed) == [None]
    assert feed.subscribers == ()


def test_the_tailer_follows_the_sheets_subscribers_name_while_they_are_there(
    tmp_path: Path,
) -> None:
    async def scenario() -> tuple[int, int]:
        feed = Feed(lambda: 0.0)
        async with asyncio.TaskGroup() as tasks:
            tails = OutputTails(feed, Layout(tmp_path), lambda _j, _s: [], tasks)
            wanting = Interest(output=frozenset({("j", 1)}))
            first, _ = feed.subscribe(wanting)
            second, _ = feed.subscribe(wanting)
            running = len(tails._running)
            first.close()
            second.close()
            await asyncio.sleep(0)
            return running, len(tails._running)

    assert asyncio.run(scenario()) == (1, 0)


def test_output_is_read_line_by_line_from_where_it_stood_to_the_last_unended_line(
    tmp_path: Path,
) -> None:
    layout = Layout(tmp_path)
    out = layout.attempt_file(J, SheetNum(1), 1, "stdout.log")
    out.parent.mkdir(parents=True)
    out.write_bytes(b"before\n")
    running = [(SheetNum(1), 1)]
    feed = Feed(lambda: 0.0)
    # Subscribed before the tailer exists: no tailing task of its own, the looks are by hand.
    watcher, _ = feed.subscribe(Interest(output=frozenset({("j", 1)})))

    async def scenario() -> None:
        async with asyncio.TaskGroup() as tasks:
            tails = OutputTails(feed, layout, lambda _j, _s: running, tasks)
            tail = _Tail()
            tails.look(J, SheetNum(1), tail)  # already there: not told again
            with out.open("ab") as file:
                file.write(b"one\ntw")
            tails.look(J, SheetNum(1), tail)
            with out.open("ab") as file:
                file.write(b"o\nthree")
            running.clear()  # the attempt ended: the rest of its files, then nothing more
            tails.look(J, SheetNum(1), tail)
            tails.look(J, SheetNum(1), tail)

    asyncio.run(scenario())

    async def lines() -> list[OutputLine]:
        got = []
        while watcher.pending:
            event = await watcher.next()
            assert event is not None
            assert event.item.kind == OUTPUT
            assert isinstance(event.item.subject, OutputLine)
            got.append(event.item.subject)
        return got

    assert [(line.text, line.offset) for line in asyncio.run(lines())] == [
        ("one", 7),
        ("two", 11),
        ("three", 15),
    ]
