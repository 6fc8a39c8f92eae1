"""Notifications: which events a committed batch of the engine implies, and what is said.

A `Tracker` remembers the last committed record of each active job and sheet; given the next
committed `Persist`, it returns the notices it implies, in the order they happened: a job's
start, then its sheets' events, then rate-limit waits, then the job's end. A job the tracker
never saw (recovered after a restart, or revived after it ended) is judged by its record's own
times against `since`, the moment the conductor started: a start from then on, or an end after
it, is news; one before is not (nor the end of a job it saw end, stated again).
"""

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import assert_never

from podium.domain.commands import Persist
from podium.domain.gates import BY_DEADLINE, GateRecord, answer_command
from podium.domain.ids import JobId, SheetNum
from podium.domain.records import JobRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus


class NoticeEvent(StrEnum):
    JOB_START = "job_start"
    SHEET_START = "sheet_start"
    SHEET_COMPLETE = "sheet_complete"
    SHEET_FAILED = "sheet_failed"
    JOB_COMPLETE = "job_complete"
    JOB_FAILED = "job_failed"
    JOB_PAUSED = "job_paused"
    RATE_LIMIT = "rate_limit"
    APPROVAL_REQUESTED = "approval_requested"
    """A sheet waits for a person (an approval gate)."""
    APPROVAL_DECIDED = "approval_decided"
    """A person answered."""
    APPROVAL_EXPIRED = "approval_expired"
    """No answer in time: the job paused, or the gate's `on_timeout` answered."""


class Channel(StrEnum):
    DESKTOP = "desktop"
    SLACK = "slack"
    WEBHOOK = "webhook"
    EMAIL = "email"
    APPRISE = "apprise"


@dataclass(frozen=True, slots=True)
class Notification:
    """One `notifications:` entry of a score: where to say which events."""

    channel: Channel
    events: frozenset[NoticeEvent]
    url: str | None = None
    """The webhook's `url`, or Slack's `webhook_url`."""
    url_env: str | None = None
    """The variable of the conductor's environment holding the URL, instead of `url`."""
    headers: tuple[tuple[str, str], ...] = ()
    timeout_seconds: float = 10.0
    retries: int = 3
    """Sends tried again after the first fails (with a growing pause between)."""
    to: tuple[str, ...] = ()
    """Email: the recipients."""
    urls: tuple[str, ...] = ()
    """Apprise: the service URLs (secrets: their tokens are in them)."""

    @property
    def destination(self) -> str:
        """Names where the notices go, without secrets: the channel and the URL's host, or
        the variable holding the URL, or the recipients. Apprise URLs are named by their
        schemes alone: a token may stand where a host would (`tgram://TOKEN/CHAT`)."""
        if self.url is not None:
            return f"{self.channel} {_scheme_and_host(self.url)}"
        if self.urls:
            schemes = dict.fromkeys(url_scheme(url) for url in self.urls)
            return f"{self.channel} {', '.join(schemes)}"
        if self.url_env is not None:
            return f"{self.channel} ${self.url_env}"
        if self.to:
            return f"{self.channel} to {', '.join(self.to)}"
        return str(self.channel)


_NEXT_URL = re.compile(r"[\s,;]+(?=[A-Za-z0-9]{1,32}://)")


def split_urls(text: str) -> list[str]:
    """The URLs of a list as Apprise reads one: separated by commas, semicolons or spaces.
    Only a separator followed by the next `scheme://` splits, so a comma inside a URL
    (`mailto://…?to=a@x,b@x`) stays in it."""
    return [url.strip(" \t\r\n,;") for url in _NEXT_URL.split(text.strip()) if url.strip(" ,;")]


def url_scheme(url: str) -> str:
    """'tgram://' for a Telegram URL: all of it that may be shown."""
    scheme, found, _ = url.partition("://")
    return f"{scheme}://" if found and scheme.isalnum() else "(not a URL)"


def _scheme_and_host(url: str) -> str:
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}" if rest else "(a URL that is not http or https)"


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing that happened to a job, as notifications tell it."""

    event: NoticeEvent
    job_id: JobId
    score: str
    """The job's score name."""
    status: str
    """The status of the job, or for sheet events of the sheet, after the event."""
    at: float
    sheet: SheetNum | None = None
    attempt: int | None = None
    error: str | None = None
    detail: str | None = None
    """Why a job paused, or what a rate limit said."""
    instrument: str | None = None
    """The rate-limited instrument (and model, when it has one)."""
    until: float | None = None
    """When the rate-limit wait ends."""
    command: str | None = None
    """The command that answers an approval question."""


WindowKey = tuple[str, str | None]
"""(instrument, model) of a rate-limit window."""

ENDED_KEPT = 1000
"""Jobs whose end the tracker remembers, the latest."""


class Tracker:
    """The last committed state of every active job and sheet, turning each committed batch
    into notices. `since`: when the conductor started (see the module's docstring)."""

    def __init__(self, since: float) -> None:
        self._since = since
        self._jobs: dict[JobId, JobRecord] = {}
        self._sheets: dict[JobId, dict[SheetNum, SheetRecord]] = {}
        self._windows: set[WindowKey] = set()
        self._ended: dict[JobId, float | None] = {}
        """When the jobs that ended lately ended, so that a restated end is not news."""

    def notices(
        self, persist: Persist, now: float, uses: Callable[[JobId], Collection[str]]
    ) -> list[Notice]:
        """What `persist` says happened, in order. `uses(job_id)`: the instruments the job's
        sheets may play, asked only when a rate-limit window opens."""
        starts, ends = [], []
        for record in persist.jobs:
            before = self._jobs.get(record.job_id)
            if _started(record, before, self._since):
                starts.append(_job_notice(NoticeEvent.JOB_START, record, record.started_at))
            seen_end = self._ended.get(record.job_id, self._since)
            ended = _ended(record, before, seen_end, now)
            if ended is not None:
                ends.append(ended)
        for record in persist.jobs:
            self._jobs[record.job_id] = record
        attempted = {(a.job_id, a.sheet) for a in persist.attempts}
        sheets = [n for s in persist.sheets for n in self._sheet(s, attempted)]
        sheets += [self._gate(gate) for gate in persist.gates]
        limits = self._rate_limits(persist, now, uses)
        for record in persist.jobs:
            if record.status.is_terminal:
                self._forget(record)
        return [*starts, *sheets, *limits, *ends]

    def _forget(self, record: JobRecord) -> None:
        del self._jobs[record.job_id]
        self._sheets.pop(record.job_id, None)
        self._ended.pop(record.job_id, None)
        self._ended[record.job_id] = record.finished_at
        if len(self._ended) > ENDED_KEPT:
            del self._ended[next(iter(self._ended))]

    def _sheet(self, record: SheetRecord, attempted: set[tuple[JobId, SheetNum]]) -> list[Notice]:
        known = self._sheets.setdefault(record.job_id, {})
        before = known.get(record.num)
        known[record.num] = record
        event = _sheet_event(record, before, (record.job_id, record.num) in attempted)
        if event is None:
            return []
        job = self._jobs.get(record.job_id)
        return [
            Notice(
                event,
                record.job_id,
                job.name if job else "",
                record.status,
                record.updated_at,
                sheet=record.num,
                attempt=record.attempts,
                error=record.error if event is NoticeEvent.SHEET_FAILED else None,
            )
        ]

    def _gate(self, gate: GateRecord) -> Notice:
        """An approval question asked, answered or left unanswered too long."""
        job = self._jobs.get(gate.job_id)
        if gate.is_open and not gate.expired:
            event, status = NoticeEvent.APPROVAL_REQUESTED, "awaiting_approval"
            detail = gate.message or gate.name
        elif gate.is_open or gate.answered_by == BY_DEADLINE:
            event, status = NoticeEvent.APPROVAL_EXPIRED, str(gate.answer or gate.on_timeout)
            detail = f"no answer in time: {gate.answer or 'the job paused'}"
        else:
            event, status = NoticeEvent.APPROVAL_DECIDED, str(gate.answer)
            detail = f"{gate.answer} by {gate.answered_by}" + (
                f": {gate.note}" if gate.note else ""
            )
        return Notice(
            event,
            gate.job_id,
            job.name if job else "",
            status,
            gate.answered_at or gate.asked_at,
            sheet=gate.sheet,
            detail=detail,
            command=answer_command(gate.job_id, gate.sheet) if gate.is_open else None,
        )

    def _rate_limits(
        self, persist: Persist, now: float, uses: Callable[[JobId], Collection[str]]
    ) -> list[Notice]:
        opened = [w for w in persist.rate_limits if (w.instrument, w.model) not in self._windows]
        self._windows.update((w.instrument, w.model) for w in persist.rate_limits)
        self._windows.difference_update(persist.rate_limits_cleared)
        return [
            Notice(
                NoticeEvent.RATE_LIMIT,
                job.job_id,
                job.name,
                job.status,
                now,
                detail=window.reason,
                instrument=window.instrument
                if window.model is None
                else f"{window.instrument} ({window.model})",
                until=window.until,
            )
            for window in opened
            for job in self._jobs.values()
            if not job.status.is_terminal and window.instrument in uses(job.job_id)
        ]


def _started(record: JobRecord, before: JobRecord | None, since: float) -> bool:
    if record.status is not JobStatus.RUNNING or record.started_at is None:
        return False
    if before is None:
        return record.started_at >= since
    return record.started_at != before.started_at


_ENDS = {JobStatus.COMPLETED: NoticeEvent.JOB_COMPLETE, JobStatus.FAILED: NoticeEvent.JOB_FAILED}


def _ended(
    record: JobRecord, before: JobRecord | None, seen_end: float | None, now: float
) -> Notice | None:
    """`seen_end`: for a job the tracker does not know, when it last saw it end, or the
    conductor's start; an end no later than that is not news."""
    if record.status is JobStatus.PAUSED:
        if before is None or before.status is JobStatus.PAUSED:
            return None
        return _job_notice(NoticeEvent.JOB_PAUSED, record, now, detail=record.detail)
    event = _ENDS.get(record.status)
    if event is None or record.finished_at is None:
        return None
    # A job the tracker knows is active (ended ones are forgotten), so its end is news.
    if before is None and seen_end is not None and record.finished_at <= seen_end:
        return None
    return _job_notice(event, record, record.finished_at, error=record.error)


def _job_notice(
    event: NoticeEvent,
    record: JobRecord,
    at: float | None,
    *,
    error: str | None = None,
    detail: str | None = None,
) -> Notice:
    assert at is not None
    return Notice(event, record.job_id, record.name, record.status, at, error=error, detail=detail)


def _sheet_event(
    record: SheetRecord, before: SheetRecord | None, attempted: bool
) -> NoticeEvent | None:
    """A sheet never seen is taken as it is, except that one just launched has started, and
    one that an attempt of this batch ended has completed or failed (a restart, or a new
    score, restates sheets without anything happening to them)."""
    match record.status:
        case SheetStatus.RUNNING:
            fresh = before is None or (before.status, before.attempts) != (
                record.status,
                record.attempts,
            )
            return NoticeEvent.SHEET_START if fresh else None
        case SheetStatus.COMPLETED | SheetStatus.FAILED:
            changed = attempted if before is None else before.status is not record.status
            if not changed:
                return None
            if record.status is SheetStatus.COMPLETED:
                return NoticeEvent.SHEET_COMPLETE
            return NoticeEvent.SHEET_FAILED
        case _:
            return None


# ---- what is said -------------------------------------------------------------------------


def utc(at: float) -> str:
    """`at` (epoch seconds) in ISO 8601, UTC."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def headline(notice: Notice) -> str:
    """The notice in one line: 'podium: job demo-2 (demo) failed'."""
    subject = f"job {notice.job_id}" + (f" ({notice.score})" if notice.score else "")
    if notice.sheet is not None:
        subject = f"sheet {notice.sheet} of {subject}"
    match notice.event:
        case NoticeEvent.JOB_START | NoticeEvent.SHEET_START:
            happened = "started"
        case NoticeEvent.JOB_COMPLETE | NoticeEvent.SHEET_COMPLETE:
            happened = "completed"
        case NoticeEvent.JOB_FAILED | NoticeEvent.SHEET_FAILED:
            happened = "failed"
        case NoticeEvent.JOB_PAUSED:
            happened = "paused"
        case NoticeEvent.RATE_LIMIT:
            happened = f"waits: {notice.instrument} is rate limited"
        case NoticeEvent.APPROVAL_REQUESTED:
            happened = "waits for your approval"
        case NoticeEvent.APPROVAL_DECIDED:
            happened = f"was answered: {notice.status}"
        case NoticeEvent.APPROVAL_EXPIRED:
            happened = "was not answered in time"
        case _:
            assert_never(notice.event)
    return f"podium: {subject} {happened}"


def message(notice: Notice) -> str:
    """The headline, then why and until when, where there is something to say."""
    lines = [headline(notice)]
    if notice.attempt is not None and notice.event is NoticeEvent.SHEET_START:
        lines.append(f"attempt {notice.attempt}")
    if notice.error:
        lines.append(notice.error)
    if notice.detail:
        lines.append(notice.detail)
    if notice.until is not None:
        lines.append(f"until {utc(notice.until)}")
    if notice.command is not None:
        lines.append(f"answer: {notice.command} (or reject, skip: the same arguments)")
    return "\n".join(lines)


def payload(notice: Notice) -> dict[str, object]:
    """The JSON object a webhook receives."""
    body: dict[str, object] = {
        "event": str(notice.event),
        "job_id": notice.job_id,
        "score": notice.score,
        "status": notice.status,
        "at": utc(notice.at),
    }
    if notice.sheet is not None:
        body["sheet"] = notice.sheet
    if notice.attempt is not None:
        body["attempt"] = notice.attempt
    if notice.error is not None:
        body["error"] = notice.error
    if notice.detail is not None:
        body["detail"] = notice.detail
    if notice.instrument is not None:
        body["instrument"] = notice.instrument
    if notice.until is not None:
        body["until"] = utc(notice.until)
    if notice.command is not None:
        body["command"] = notice.command
    body["message"] = message(notice)
    return body
