"""The scores' notifications, sent without ever holding up the engine or touching a job.

`Notifier` watches the engine loop: after each commit it turns the batch into notices (see
`podium.domain.notices`), picks the entries of the job's score that ask for each, and queues
them: nothing else happens in the loop. Its `run` task drains the queue, one lane per
destination, so a slow or dead webhook delays only its own notices, and each destination gets
its notices in the order they happened. A send that fails is tried again (`retries`, with a
pause doubling from one second); a notice that still cannot be sent is logged, counted and
shown by `podium conductor-status`. Notices not yet sent when the conductor stops are lost.
"""

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from podium.domain.commands import Persist
from podium.domain.ids import JobId
from podium.domain.notices import Channel, Notice, NoticeEvent, Notification, Tracker
from podium.runtime.conductor_log import job_fields
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.notify.channels import Channels, NotifyFailed

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000
"""Notices waiting to be sent to one destination; more are dropped (and counted failed), so
that a dead destination never costs the others theirs."""
BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Failure:
    destination: str
    error: str
    at: float
    job_id: JobId
    event: NoticeEvent


@dataclass(frozen=True, slots=True)
class NotifyCounts:
    """Notices sent and failed since the conductor started, and the latest failure."""

    sent: int = 0
    failed: int = 0
    last_failure: Failure | None = None


@dataclass(frozen=True, slots=True)
class _Delivery:
    target: Notification
    notice: Notice


_Lane = tuple[Channel, str | None, str | None, tuple[str, ...], tuple[str, ...]]


def _lane(target: Notification) -> _Lane:
    return (target.channel, target.url, target.url_env, target.to, target.urls)


class Notifier:
    """The engine loop's observer for notifications, and the task that sends them."""

    def __init__(
        self,
        *,
        catalog: JobCatalog,
        channels: Channels,
        clock: Callable[[], float],
        redact: Callable[[str], str],
        limit: int = QUEUE_LIMIT,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        self._catalog = catalog
        self._channels = channels
        self._clock = clock
        self._redact = redact
        self._limit = limit
        self._backoff = backoff_seconds
        self._tracker = Tracker(since=clock())
        self._queue: asyncio.Queue[_Delivery] = asyncio.Queue()  # bounded per destination
        self._lanes: dict[_Lane, deque[_Delivery]] = {}
        self._waiting = 0
        self._pending: Counter[_Lane] = Counter()
        self._idle = asyncio.Event()
        self._idle.set()
        self._said_no_desktop = False
        self.counts = NotifyCounts()

    # ---- in the engine loop: never blocks ----------------------------------------------

    def committed(self, batch: Sequence[Persist]) -> None:
        now = self._clock()
        for persist in batch:
            for notice in self._tracker.notices(persist, now, self._instruments):
                self._route(notice)

    def _instruments(self, job_id: JobId) -> frozenset[str]:
        """The instruments a job's sheets may play, when its score listens to rate limits."""
        job = self._catalog.find(job_id)
        if job is None or not any(NoticeEvent.RATE_LIMIT in n.events for n in job.notifications):
            return frozenset()
        return frozenset(name for sheet in job.plan.sheets for name in sheet.chain)

    def _route(self, notice: Notice) -> None:
        job = self._catalog.find(notice.job_id)
        if job is None:
            return
        for target in job.notifications:
            if notice.event in target.events:
                self._post(_Delivery(target, notice))

    def _post(self, delivery: _Delivery) -> None:
        key = _lane(delivery.target)
        if self._pending[key] >= self._limit:
            self._failed(
                delivery, f"dropped: {self._pending[key]} notices already wait for this destination"
            )
            return
        self._queue.put_nowait(delivery)
        self._pending[key] += 1
        self._waiting += 1
        self._idle.clear()

    # ---- the sending task ---------------------------------------------------------------

    async def run(self) -> None:
        """Send queued notices until cancelled: one lane per destination, in order."""
        async with asyncio.TaskGroup() as lanes:
            while True:
                delivery = await self._queue.get()
                target = delivery.target
                key = _lane(target)
                lane = self._lanes.get(key)
                if lane is None:
                    lane = self._lanes[key] = deque()
                    lanes.create_task(self._drain(key, lane), name=f"notify {target.destination}")
                lane.append(delivery)

    async def drained(self, timeout: float) -> int:
        """Wait (at most `timeout` seconds) until every queued notice is sent or has failed;
        how many are left."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return self._waiting

    async def _drain(self, key: _Lane, lane: deque[_Delivery]) -> None:
        try:
            while lane:
                await self._deliver(lane.popleft())
        finally:
            self._lanes.pop(key, None)

    async def _deliver(self, delivery: _Delivery) -> None:
        try:
            sent = await self._send(delivery)
        except NotifyFailed as exc:
            self._failed(delivery, str(exc))
        except Exception as exc:  # a bug in sending must not stop the conductor
            log.exception("sending a notification failed on an internal error")
            self._failed(delivery, f"internal error: {exc!r}")
        else:
            if sent:
                c = self.counts
                self.counts = NotifyCounts(c.sent + 1, c.failed, c.last_failure)
            else:
                self._no_desktop()
        finally:
            key = _lane(delivery.target)
            self._pending[key] -= 1
            if not self._pending[key]:
                del self._pending[key]
            self._waiting -= 1
            if self._waiting == 0:
                self._idle.set()

    async def _send(self, delivery: _Delivery) -> bool:
        target, notice = delivery.target, delivery.notice
        tries, told = 1 + target.retries, frozenset[int]()
        for done in range(1, tries + 1):
            try:
                return await self._channels.send(target, notice, told)
            except NotifyFailed as exc:
                told |= exc.told
                if not exc.retryable or done == tries:
                    raise
                pause = min(self._backoff * 2 ** (done - 1), MAX_BACKOFF_SECONDS)
                log.info(
                    "notification %s to %s failed (%s); trying again in %gs",
                    notice.event,
                    target.destination,
                    self._redact(str(exc)),
                    pause,
                    extra=job_fields(notice.job_id),
                )
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last try returns or raises")

    def _failed(self, delivery: _Delivery, error: str) -> None:
        target, notice = delivery.target, delivery.notice
        error = self._redact(error)
        log.warning(
            "notification %s of job %s to %s failed: %s",
            notice.event,
            notice.job_id,
            target.destination,
            error,
            extra=job_fields(notice.job_id),
        )
        failure = Failure(target.destination, error, self._clock(), notice.job_id, notice.event)
        self.counts = NotifyCounts(self.counts.sent, self.counts.failed + 1, failure)

    def _no_desktop(self) -> None:
        if not self._said_no_desktop:
            self._said_no_desktop = True
            log.warning(
                "desktop notifications are skipped: notify-send is not on the conductor's "
                "PATH (install libnotify's notify-send where the conductor finds it)"
            )
