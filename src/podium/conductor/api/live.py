"""What the live surfaces read: `events.subscribe`, the stream of every committed change, and
`daemon.processes`, the processes of the attempts running now."""

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from podium.domain.engine import Engine
from podium.domain.errors import UserError
from podium.domain.feed import KINDS, Change, Interest, Numbered, unknown_kinds
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobRecord
from podium.ipc import methods
from podium.ipc.convert import job_info
from podium.ipc.feed_convert import stream_event
from podium.ipc.protocol import DROPPED, EVENT
from podium.ipc.routes import Handler, Notification, Stream, handle, handle_stream
from podium.ipc.schema import (
    JobInfo,
    NoParams,
    ProcessesResult,
    ProcessRow,
    SubscribeParams,
    SubscribeResult,
)
from podium.runtime.feed import Feed, Subscriber
from podium.runtime.process_rows import ProcessSample, ProcessSampler

T = TypeVar("T")

SNAPSHOT_JOBS = 1000
"""The most jobs a snapshot holds (the newest)."""
SHARED_SHAPES = 4096
"""How many events' wire shapes are kept for the subscribers that have not sent them yet."""


class Jobs(Protocol):
    """The stored jobs (`podium.store.sqlite.SqliteStore`): what was committed, which is what
    the stream has told so far when the engine loop is at rest."""

    def list_jobs(self, *, statuses: None, limit: int) -> list[JobRecord]: ...


class AtRest(Protocol):
    """Calls a reader when the store holds exactly what the stream told
    (`podium.runtime.loop.EngineLoop.at_rest`)."""

    async def __call__(self, read: Callable[[], T]) -> T: ...


class LiveApi:
    def __init__(
        self, *, feed: Feed, jobs: Jobs, engine: Engine, sampler: ProcessSampler, at_rest: AtRest
    ) -> None:
        self._feed = feed
        self._jobs = jobs
        self._engine = engine
        self._sampler = sampler
        self._at_rest = at_rest
        self._shapes: OrderedDict[int, Notification] = OrderedDict()

    def handlers(self) -> list[Handler]:
        return [
            handle_stream(methods.EVENTS_SUBSCRIBE, self.subscribe),
            handle(methods.DAEMON_PROCESSES, self.processes),
        ]

    async def subscribe(self, params: SubscribeParams) -> Stream[SubscribeResult]:
        """Registers the subscriber and takes the snapshot in one step, while the engine loop
        is at rest (the store then holds what the stream told, no more): the events that
        follow start exactly where the snapshot stands."""
        unknown = unknown_kinds(params.get("kinds", []))
        if unknown:
            raise UserError(
                f"unknown event kind {', '.join(map(repr, unknown))}; "
                f"the kinds are {', '.join(KINDS)}"
            )
        interest = Interest(
            job_ids=frozenset(params.get("job_ids", [])),
            kinds=frozenset(params.get("kinds", [])),
            output=frozenset((o["job_id"], o.get("sheet", 0)) for o in params.get("output", [])),
        )
        since = params.get("since")
        # A position in another run's stream means nothing here: all of it is missed.
        start = since["seq"] if since is not None and since["stream"] == self._feed.stream else None
        snapshot = params.get("snapshot", False)

        def take() -> tuple[Subscriber, SubscribeResult]:
            subscriber, gap = self._feed.subscribe(interest, start)
            replaying = start is not None and not gap
            answer = SubscribeResult(
                stream=self._feed.stream,
                seq=start if start is not None and replaying else self._feed.seq,
                replayed=subscriber.pending,
                gap=since is not None and not replaying,
            )
            if snapshot:
                answer["jobs"] = self._snapshot(interest.job_ids)
            return subscriber, answer

        subscriber, answer = await self._at_rest(take)
        return Stream(answer, _notifications(subscriber, self._wire), subscriber.close)

    def _wire(self, event: Numbered[Change]) -> Notification:
        """The event's notification, made once for every subscriber it goes to."""
        found = self._shapes.get(event.seq)
        if found is None:
            shape = stream_event(event)
            found = Notification(EVENT, shape, key=(self._feed.stream, event.seq))
            self._shapes[event.seq] = found
            while len(self._shapes) > SHARED_SHAPES:
                self._shapes.popitem(last=False)
        return found

    def _snapshot(self, job_ids: frozenset[str]) -> list[JobInfo]:
        found = self._jobs.list_jobs(statuses=None, limit=SNAPSHOT_JOBS)
        return [job_info(job) for job in found if not job_ids or job.job_id in job_ids]

    async def processes(self, _params: NoParams) -> ProcessesResult:
        me, rows = self._sampler.sample()
        return ProcessesResult(
            conductor=self._row(me),
            processes=[self._row(row) for row in rows],
            sampled_at=time.time(),
        )

    def _row(self, sample: ProcessSample) -> ProcessRow:
        job_id, sheet, attempt = sample.key or (JobId(""), SheetNum(0), 0)
        instrument, model = self._instrument(job_id, sheet) if sample.key else (None, None)
        return ProcessRow(
            job_id=job_id,
            sheet=sheet,
            attempt=attempt,
            pid=sample.pid,
            ppid=sample.ppid,
            command=sample.command,
            cpu_percent=sample.cpu_percent,
            memory_mb=sample.memory_mb,
            started_at=sample.started_at,
            instrument=instrument,
            model=model,
        )

    def _instrument(self, job_id: JobId, sheet: SheetNum) -> tuple[str | None, str | None]:
        view = self._engine.view(job_id)
        found = next((s for s in view.sheets if s.num == sheet), None) if view else None
        return (found.instrument, found.model) if found else (None, None)


def _notifications(
    subscriber: Subscriber, shared: Callable[[Numbered[Change]], Notification]
) -> Callable[[], Awaitable[list[Notification]]]:
    ended = False

    async def next_ones() -> list[Notification]:
        nonlocal ended
        if ended:
            return []
        found = []
        for event in await subscriber.batch():
            if event is not None:
                found.append(shared(event))
                continue
            ended = True
            if subscriber.dropped is not None:
                found.append(Notification(DROPPED, {"reason": subscriber.dropped}))
        return found

    return next_ones
