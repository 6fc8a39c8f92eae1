"""The event stream's hub: every change the engine commits, numbered, kept in a ring and handed
to each subscriber that wants it (`podium.domain.feed` holds the rules).

Publishing never waits: each subscriber has a queue of its own, and one that falls more than
`QUEUE_EVENTS` behind is dropped with the reason, which it is told last. So a slow or stuck
reader never slows the engine; it reconnects with the number of the last event it took and
gets what it missed from the ring, or learns that it must take a fresh snapshot.
"""

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from podium.domain.commands import Persist
from podium.domain.feed import Change, Interest, Numbered, Ring, changes

log = logging.getLogger(__name__)

RING_EVENTS = 10_000
"""How many of the latest events are kept for subscribers that reconnect."""
QUEUE_EVENTS = 10_000
"""How far behind a subscriber may fall before it is dropped."""
GATHER_SECONDS = 0.05
"""After an event, how long the feed waits before it wakes its subscribers, so that each
writes what came meanwhile at once: a delay no person watching can see, which spares the
engine a wake-up and a write per subscriber for each of its steps."""


class Subscriber:
    """One subscription's queue: the events it wants, in order, then its end (a None)."""

    def __init__(self, feed: "Feed", interest: Interest, limit: int) -> None:
        self.interest = interest
        self._feed = feed
        self._limit = limit
        self._queue: deque[Numbered[Change] | None] = deque()
        self._ready = asyncio.Event()
        self.dropped: str | None = None
        """Why the conductor gave up on this subscriber, once it has."""
        self._open = True

    def offer(self, event: Numbered[Change]) -> None:
        if not self._open or not self.interest.wants(event.item):
            return
        if len(self._queue) >= self._limit:
            self.drop(
                f"it fell more than {self._limit} events behind; subscribe again with the "
                "last event's number to catch up"
            )
            return
        self._queue.append(event)
        self._feed.wake_soon(self)

    def wake(self) -> None:
        self._ready.set()

    def drop(self, reason: str) -> None:
        """Stop this subscription: the events queued are given out, then its end."""
        if self._open:
            self.dropped = reason
            self._end()
        self._feed.leave(self)

    def close(self) -> None:
        """The subscriber hung up: it leaves, and whoever waits on it gets its end."""
        if self._open:
            self._end()
        self._feed.leave(self)

    def _end(self) -> None:
        self._open = False
        self._queue.append(None)
        self._ready.set()

    @property
    def pending(self) -> int:
        """Events queued, not yet taken."""
        return len(self._queue)

    async def next(self) -> Numbered[Change] | None:
        """The next event; None once the subscription ended (`dropped` says why, when the
        conductor ended it)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    async def batch(self) -> list[Numbered[Change] | None]:
        """Every event queued, once the feed says there are some (a None last when the
        subscription ended)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        found = list(self._queue)
        self._queue.clear()
        return found


class Feed:
    """The hub. It is told of each committed batch (an engine-loop observer) and of the
    conductor's own changes (`publish`)."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        ring: int = RING_EVENTS,
        queue: int = QUEUE_EVENTS,
    ) -> None:
        self.stream = secrets.token_hex(8)
        """This run's stream: numbers from another run mean nothing here."""
        self._clock = clock
        self._ring: Ring[Change] = Ring(ring)
        self._queue = queue
        self._subscribers: list[Subscriber] = []
        self._watchers: list[Callable[[Subscriber, bool], None]] = []
        self._waking: set[Subscriber] = set()
        self._wake: asyncio.TimerHandle | None = None

    @property
    def seq(self) -> int:
        """The number of the last event published."""
        return self._ring.seq

    @property
    def subscribers(self) -> Sequence[Subscriber]:
        return tuple(self._subscribers)

    def committed(self, batch: Sequence[Persist]) -> None:
        self.publish(changes(batch))

    def publish(self, found: Iterable[Change]) -> None:
        at = self._clock()
        for change in found:
            event = self._ring.add(change, at)
            for subscriber in tuple(self._subscribers):  # one dropped leaves the list
                subscriber.offer(event)

    def subscribe(self, interest: Interest, since: int | None = None) -> tuple[Subscriber, bool]:
        """A new subscriber, with the events after `since` it wants already queued; and
        whether some of those are gone (a gap: it must take a fresh snapshot)."""
        subscriber = Subscriber(self, interest, self._queue)
        gap = False
        if since is not None:
            missed = self._ring.after(since)
            gap = missed is None
            for event in missed or ():
                subscriber.offer(event)
        self._subscribers.append(subscriber)
        for watcher in self._watchers:
            watcher(subscriber, True)
        return subscriber, gap

    def wake_soon(self, subscriber: Subscriber) -> None:
        """Wake `subscriber` at the next of the feed's wake-ups (one timer for everyone)."""
        self._waking.add(subscriber)
        if self._wake is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a test publishing by hand): what waits, reads
                self._wake_all()
                return
            self._wake = loop.call_later(GATHER_SECONDS, self._wake_all)

    def _wake_all(self) -> None:
        self._wake = None
        waking, self._waking = self._waking, set()
        for subscriber in waking:
            subscriber.wake()

    def leave(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
            for watcher in self._watchers:
                watcher(subscriber, False)

    def watch(self, watcher: Callable[[Subscriber, bool], None]) -> None:
        """Call `watcher(subscriber, joined)` as subscribers come and go (the output tailer
        follows the sheets they name)."""
        self._watchers.append(watcher)

    def close(self, reason: str) -> None:
        """End every subscription (the conductor is stopping)."""
        for subscriber in list(self._subscribers):
            subscriber.drop(reason)
