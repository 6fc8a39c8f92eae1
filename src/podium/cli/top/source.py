"""Where `podium top` gets what it shows: one sample of the conductor (for `--once` and
`--json`), and the stream of events, kept open across the conductor's restarts. Each thing
read is handed on as a small record; the screen applies them to its model."""

from __future__ import annotations

import time
from dataclasses import dataclass

from podium.cli.top.model import TopModel
from podium.ipc.client import ConductorUnavailable
from podium.ipc.methods import (
    APPROVALS_LIST,
    DAEMON_PROCESSES,
    DAEMON_STATUS,
    JOB_HISTORY,
    JOB_LIST,
    JOB_LOGS,
    JOB_STATUS,
)
from podium.ipc.stream import StreamDropped, Subscription

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TypedDict

    from podium.ipc.approval_schema import Approval
    from podium.ipc.client import ConductorClient
    from podium.ipc.schema import (
        AttemptDetailInfo,
        ConductorInfo,
        HistoryParams,
        JobInfo,
        JobStatusResult,
        OutputWanted,
        ProcessesResult,
        StreamEvent,
        StreamPosition,
        SubscribeParams,
        SubscribeResult,
    )

    class TopSnapshot(TypedDict):
        """What `podium top --json` prints."""

        conductor: ConductorInfo
        jobs: list[JobInfo]
        active: list[JobStatusResult]
        """The jobs not finished, with their sheets."""
        processes: ProcessesResult


JOBS_LIMIT = 1000
"""The most jobs one sample lists (the active ones first)."""
FINISHED = ("completed", "failed", "cancelled")
OUTPUT_LINES = 50
ATTEMPTS = 20
"""The most attempts of a sheet its detail lists (the latest)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """The conductor, its jobs, the sheets of the active ones and the attempts' processes,
    read one after the other."""

    conductor: ConductorInfo
    jobs: list[JobInfo]
    statuses: list[JobStatusResult]
    processes: ProcessesResult

    def model(self) -> TopModel:
        """A model of what was read (no stream behind it)."""
        found = TopModel()
        found.load_snapshot(
            {"stream": "", "seq": 0, "replayed": 0, "gap": False, "jobs": self.jobs}
        )
        for status in self.statuses:
            found.load_job(status)
        found.load_conductor(self.conductor)
        return found

    def as_json(self) -> TopSnapshot:
        return {
            "conductor": self.conductor,
            "jobs": self.jobs,
            "active": self.statuses,
            "processes": self.processes,
        }


def sample(conductor: ConductorClient) -> Sample:
    """Read everything one frame shows."""
    info = conductor.request(DAEMON_STATUS({}))
    jobs = conductor.request(JOB_LIST({"all": True, "limit": JOBS_LIMIT}))["jobs"]
    statuses = [
        conductor.request(JOB_STATUS({"job_id": j["job_id"]}))
        for j in jobs
        if j["status"] not in FINISHED
    ]
    return Sample(info, jobs, statuses, conductor.request(DAEMON_PROCESSES({})))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A subscription's answer with every job as it stands: start again from it."""

    answer: SubscribeResult


@dataclass(frozen=True, slots=True)
class Event:
    event: StreamEvent


@dataclass(frozen=True, slots=True)
class Lost:
    """The stream stopped (the conductor went or dropped us); trying again."""

    reason: str


@dataclass(frozen=True, slots=True)
class JobRead:
    status: JobStatusResult


@dataclass(frozen=True, slots=True)
class Sampled:
    conductor: ConductorInfo
    processes: ProcessesResult
    approvals: tuple[Approval, ...] = ()


@dataclass(frozen=True, slots=True)
class LogsRead:
    job_id: str
    sheet: int
    lines: list[str]


@dataclass(frozen=True, slots=True)
class AttemptsRead:
    job_id: str
    sheet: int
    attempts: list[AttemptDetailInfo]


@dataclass(frozen=True, slots=True)
class Said:
    """What the conductor answered to an action, or why it refused."""

    message: str
    error: bool = False


Item = Snapshot | Event | Lost | JobRead | Sampled | LogsRead | AttemptsRead | Said
"""Anything the readers hand to the screen."""


class Feed:
    """The stream of events, reopened with `since` when it stops; after a gap (or at first,
    with `snapshot`), a fresh snapshot comes first. Blocking: run it in a thread."""

    def __init__(
        self,
        socket_path: str,
        *,
        snapshot: bool = True,
        job_ids: list[str] | None = None,
        kinds: list[str] | None = None,
        output: list[OutputWanted] | None = None,
        idle: float = 0.5,
        retry: float = 1.0,
    ) -> None:
        self.socket_path = socket_path
        self.snapshot = snapshot
        self.base: SubscribeParams = {}
        if job_ids is not None:
            self.base["job_ids"] = job_ids
        if kinds is not None:
            self.base["kinds"] = kinds
        if output is not None:
            self.base["output"] = output
        self.idle = idle
        self.retry = retry
        self.position: StreamPosition | None = None

    def items(self, stopped: Callable[[], bool]) -> Iterator[Snapshot | Event | Lost]:
        """Each snapshot and event, a `Lost` each time the stream stops, until `stopped()`."""
        while not stopped():
            try:
                subscription = self._open()
            except ConductorUnavailable as exc:
                yield Lost(str(exc))
                _pause(self.retry, stopped)
                continue
            with subscription:
                if self.snapshot and "jobs" in subscription.answer:
                    yield Snapshot(subscription.answer)
                try:
                    yield from self._events(subscription, stopped)
                except (StreamDropped, ConductorUnavailable) as exc:
                    yield Lost(str(exc))

    def _open(self) -> Subscription:
        """Subscribe after the last event taken; with none, or after a gap, afresh."""
        if self.position is not None:
            subscription = Subscription(
                self.socket_path, {**self.base, "since": self.position}, self.idle
            )
            if not subscription.answer["gap"]:
                return subscription
            subscription.close()
        params: SubscribeParams = {**self.base, "snapshot": self.snapshot}
        return Subscription(self.socket_path, params, self.idle)

    def _events(self, subscription: Subscription, stopped: Callable[[], bool]) -> Iterator[Event]:
        self.position = {"stream": subscription.answer["stream"], "seq": subscription.last}
        for event in subscription:
            if stopped():
                return
            if event is not None:
                self.position = {"stream": subscription.answer["stream"], "seq": event["seq"]}
                yield Event(event)


def _pause(seconds: float, stopped: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stopped() and time.monotonic() < deadline:
        time.sleep(0.05)


def read_job(conductor: ConductorClient, job_id: str) -> JobRead:
    return JobRead(conductor.request(JOB_STATUS({"job_id": job_id})))


def read_sampled(conductor: ConductorClient) -> Sampled:
    return Sampled(
        conductor.request(DAEMON_STATUS({})),
        conductor.request(DAEMON_PROCESSES({})),
        tuple(conductor.request(APPROVALS_LIST({}))["approvals"]),
    )


def read_logs(conductor: ConductorClient, job_id: str, sheet: int) -> LogsRead:
    """The end of the sheet's latest attempt's output, stdout then stderr."""
    found = conductor.request(JOB_LOGS({"job_id": job_id, "sheet": sheet, "lines": OUTPUT_LINES}))
    lines: list[str] = []
    for log in found["sheets"]:
        lines += log["stdout"]["text"].splitlines() + log["stderr"]["text"].splitlines()
    return LogsRead(job_id, sheet, lines[-OUTPUT_LINES:])


def read_attempts(conductor: ConductorClient, job_id: str, sheet: int) -> AttemptsRead:
    """The sheet's latest attempts, with their checks (no output: the tail comes apart)."""
    params: HistoryParams = {"job_id": job_id, "sheet": sheet, "limit": ATTEMPTS, "tail_lines": 0}
    return AttemptsRead(job_id, sheet, conductor.request(JOB_HISTORY(params))["attempts"])
