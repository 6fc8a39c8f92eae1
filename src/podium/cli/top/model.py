"""What `podium top` knows of the conductor: a snapshot of its jobs, then every event of the
stream applied to it. Pure: no socket, no clock, no Textual.

Each event carries the whole state of its object, so applying one replaces what was known;
an event whose number was already applied changes nothing (output lines would otherwise
repeat). The model remembers which jobs changed since the screen last asked, so the screen
redraws those rows alone."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field, fields

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from podium.ipc.approval_schema import Approval
    from podium.ipc.schema import (
        AttemptDetailInfo,
        ConductorInfo,
        JobInfo,
        JobStatusResult,
        StreamEvent,
        SubscribeResult,
    )

TIMELINE_SIZE = 200
OUTPUT_LINES = 200
CONDUCTOR = ""
"""The key of the conductor's own changes (pressure, rate limits) among the changed jobs."""


@dataclass(slots=True)
class Job:
    """A job as the latest event (or snapshot) told it."""

    job_id: str
    name: str = ""
    status: str = "queued"
    workspace: str = ""
    score_path: str = ""
    submitted_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    completed_sheets: int = 0
    total_sheets: int = 0
    detail: str | None = None
    error: str | None = None
    cost: float = 0.0


@dataclass(slots=True)
class Sheet:
    """A sheet of a job; `instrument` and `model` come from `job.status` when it was read."""

    num: int
    status: str = "pending"
    attempts: int = 0
    error: str | None = None
    due: float | None = None
    wait: str | None = None
    cost: float = 0.0
    updated_at: float = 0.0
    instrument: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    kind: str
    description: str
    passed: bool
    expected: str
    found: str


@dataclass(slots=True)
class Attempt:
    """One try of a sheet."""

    attempt: int
    outcome: str = "running"
    started_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    error_code: str | None = None
    error: str | None = None
    instrument: str | None = None
    model: str | None = None
    cost: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True, slots=True)
class RateLimit:
    instrument: str
    model: str | None
    until: float
    reason: str


@dataclass(frozen=True, slots=True)
class Pressure:
    level: str = "none"
    reason: str = ""
    memory_mb: float | None = None
    processes: int | None = None


@dataclass(frozen=True, slots=True)
class Moment:
    """One line of the timeline: an event, said briefly."""

    seq: int
    at: float
    job_id: str | None
    kind: str
    text: str


@dataclass(slots=True)
class TopModel:
    """The conductor's jobs, sheets, attempts and waits, kept current by the stream."""

    stream: str | None = None
    seq: int = 0
    output_seq: int = 0
    """The last output event applied: output comes by a subscription of its own."""
    jobs: dict[str, Job] = field(default_factory=dict)
    sheets: dict[str, dict[int, Sheet]] = field(default_factory=dict)
    attempts: dict[tuple[str, int], dict[int, Attempt]] = field(default_factory=dict)
    output: dict[tuple[str, int], deque[str]] = field(default_factory=dict)
    rate_limits: dict[tuple[str, str | None], RateLimit] = field(default_factory=dict)
    pressure: Pressure = field(default_factory=Pressure)
    approvals: dict[tuple[str, int], Approval] = field(default_factory=dict)
    """The questions open for a person, by job and sheet."""
    timeline: deque[Moment] = field(default_factory=lambda: deque(maxlen=TIMELINE_SIZE))
    changed: set[str] = field(default_factory=set)
    """Jobs (and CONDUCTOR) changed since `take_changed`."""
    reshaped: bool = False
    """A job or a sheet appeared or went since `take_changed`: the rows are not the same."""

    def load_snapshot(self, answer: SubscribeResult) -> None:
        """Start again from the jobs as they stand at the answer's `seq`."""
        if answer["stream"] != self.stream:
            self.output_seq = 0
        self.stream = answer["stream"]
        self.seq = answer["seq"]
        self.jobs = {j["job_id"]: job_from(j) for j in answer.get("jobs", [])}
        self.sheets = {k: v for k, v in self.sheets.items() if k in self.jobs}
        self.reshaped = True
        self.changed.update(self.jobs)

    def load_job(self, status: JobStatusResult) -> None:
        """A job's sheets (with their instrument and last attempt) as `job.status` gives."""
        job_id = status["job_id"]
        self.jobs[job_id] = job_from(status)
        sheets = self.sheets.setdefault(job_id, {})
        for info in status["sheets"]:
            sheet = sheets.setdefault(info["num"], Sheet(info["num"]))
            _update(sheet, info)
            sheet.instrument, sheet.model = info["instrument"], info["model"]
            last = info["last_attempt"]
            if last is not None:
                found = self._attempt(job_id, info["num"], last["attempt"])
                _update(found, last)
                found.checks = _checks_of(last["checks"])
        self.reshaped = True
        self.changed.add(job_id)

    def load_conductor(self, info: ConductorInfo) -> None:
        """The rate-limit windows and the pressure as `daemon.status` tells them (the
        stream tells only their changes)."""
        self.rate_limits = {
            (w["instrument"], w["model"]): RateLimit(
                w["instrument"], w["model"], w["until"], w["reason"]
            )
            for w in info["rate_limits"]
        }
        found = info["pressure"]
        self.pressure = Pressure(
            found["level"], found["reason"], found["memory_mb"], found["processes"]
        )
        self.changed.add(CONDUCTOR)

    def load_approvals(self, found: Iterable[Approval]) -> None:
        """The open questions as `approvals.list` gives them (the stream tells their
        changes)."""
        before = set(self.approvals)
        self.approvals = {(a["job_id"], a["sheet"]): a for a in found}
        self.changed.update(job_id for job_id, _ in before ^ set(self.approvals))

    def open_approvals(self) -> list[Approval]:
        """The questions waiting for a person, oldest first."""
        return sorted(self.approvals.values(), key=lambda a: a["asked_at"])

    def apply(self, event: StreamEvent) -> bool:
        """Apply one event; False when it was applied already (its number is not new)."""
        if event["kind"] == "output":
            if event["seq"] <= self.output_seq:
                return False
            self.output_seq = event["seq"]
        elif event["seq"] <= self.seq:
            return False
        else:
            self.seq = event["seq"]
        self.apply_state(event)
        return True

    def apply_state(self, event: StreamEvent) -> None:
        """Apply what the event says, whatever its number (the same state twice is once)."""
        kind, job_id, data = event["kind"], event["job_id"], event["data"]
        self.changed.add(job_id or CONDUCTOR)
        if kind == "output" and job_id:
            self._output(job_id, data)
            return
        if job_id and kind == "job":
            self._job(job_id, data)
        elif job_id and kind == "sheet":
            self._sheet(job_id, data)
        elif job_id and kind in ("attempt", "checks"):
            self._attempt_event(job_id, kind, data)
        elif job_id and kind == "approval":
            key = (job_id, int(data["sheet"]))
            if data.get("answer") is None:
                self.approvals[key] = data  # type: ignore[assignment]
            else:
                self.approvals.pop(key, None)
        elif kind == "rate_limit":
            self._rate_limit(data)
        elif kind == "pressure":
            self.pressure = Pressure(
                str(data.get("level", "none")),
                str(data.get("reason", "")),
                data.get("memory_mb"),
                data.get("processes"),
            )
        self._remember(event)

    def take_changed(self) -> tuple[set[str], bool]:
        """The jobs changed, and whether rows appeared or went, since the last call."""
        changed, reshaped = self.changed, self.reshaped
        self.changed, self.reshaped = set(), False
        return changed, reshaped

    def job_counts(self) -> Counter[str]:
        return Counter(j.status for j in self.jobs.values())

    def sheet_counts(self) -> Counter[str]:
        """Sheets by status: those known by what they say; of the others, as many as the
        job counts completed are, the rest pending."""
        counts: Counter[str] = Counter()
        for job_id, job in self.jobs.items():
            known = Counter(s.status for s in self.sheets.get(job_id, {}).values())
            unknown = max(job.total_sheets - known.total(), 0)
            completed = min(max(job.completed_sheets - known["completed"], 0), unknown)
            known["completed"] += completed
            known["pending"] += unknown - completed
            counts.update(+known)
        return counts

    def attempts_of(self, job_id: str, sheet: int) -> list[Attempt]:
        return sorted(self.attempts.get((job_id, sheet), {}).values(), key=lambda a: a.attempt)

    def output_of(self, job_id: str, sheet: int) -> list[str]:
        return list(self.output.get((job_id, sheet), ()))

    def load_attempts(self, job_id: str, sheet: int, attempts: Iterable[AttemptDetailInfo]) -> None:
        """A sheet's attempts as `job.history` gives them."""
        for info in attempts:
            found = self._attempt(job_id, sheet, info["attempt"])
            _update(found, info)
            found.checks = _checks_of(info["checks"])
        self.changed.add(job_id)

    def set_output(self, job_id: str, sheet: int, lines: Iterable[str]) -> None:
        """The tail of a sheet's output as `job.logs` read it; its output events follow."""
        self.output[(job_id, sheet)] = deque(lines, maxlen=OUTPUT_LINES)
        self.output_seq = 0
        self.changed.add(job_id)

    def _job(self, job_id: str, data: Mapping[str, object]) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            job = self.jobs[job_id] = Job(job_id)
            self.reshaped = True
        _update(job, data)

    def _sheet(self, job_id: str, data: Mapping[str, object]) -> None:
        sheets = self.sheets.setdefault(job_id, {})
        num = int(str(data["num"]))
        sheet = sheets.get(num)
        if sheet is None:
            sheet = sheets[num] = Sheet(num)
            self.reshaped = True
        _update(sheet, data)

    def _attempt_event(self, job_id: str, kind: str, data: Mapping[str, object]) -> None:
        found = self._attempt(job_id, int(str(data["sheet"])), int(str(data["attempt"])))
        if kind == "attempt":
            _update(found, data)
        results = data.get("results" if kind == "checks" else "checks")
        if results is not None:
            found.checks = _checks_of(results)

    def _attempt(self, job_id: str, sheet: int, attempt: int) -> Attempt:
        tries = self.attempts.setdefault((job_id, sheet), {})
        return tries.setdefault(attempt, Attempt(attempt))

    def _output(self, job_id: str, data: Mapping[str, object]) -> None:
        key = (job_id, int(str(data["sheet"])))
        lines = self.output.setdefault(key, deque(maxlen=OUTPUT_LINES))
        lines.extend(str(data.get("text", "")).splitlines())

    def _rate_limit(self, data: Mapping[str, object]) -> None:
        model = data.get("model")
        key = (str(data["instrument"]), None if model is None else str(model))
        until = data.get("until")
        if until is None:
            self.rate_limits.pop(key, None)
        else:
            self.rate_limits[key] = RateLimit(*key, float(str(until)), str(data.get("reason")))

    def _remember(self, event: StreamEvent) -> None:
        if self.timeline and self.timeline[-1].seq >= event["seq"]:
            return  # applied again on purpose: the timeline says it once
        text = describe(event["kind"], event["data"])
        self.timeline.append(
            Moment(event["seq"], event["at"], event["job_id"], event["kind"], text)
        )


def job_from(info: JobInfo) -> Job:
    job = Job(info["job_id"])
    _update(job, info)
    return job


_FIELDS: dict[type, tuple[str, ...]] = {}


def _update(record: object, data: Mapping[str, object]) -> None:
    """Set the record's fields that `data` names (others stay as they were)."""
    names = _FIELDS.get(type(record))
    if names is None:
        names = _FIELDS[type(record)] = tuple(
            f.name
            for f in fields(record)  # type: ignore[arg-type]
            if f.name != "checks"
        )
    for name in names:
        if name in data:
            setattr(record, name, data[name])


def _check(data: Mapping[str, object]) -> Check:
    """A check's result, as `job.status` and the stream tell it (`check`, `actual`) or in
    the words of the screen (`kind`, `description`, `found`)."""
    name = str(data.get("kind") or data.get("check") or "")
    return Check(
        name,
        str(data.get("description") or name),
        bool(data.get("passed")),
        str(data.get("expected", "")),
        str(data.get("found", data.get("actual", ""))),
    )


def _checks_of(results: object) -> tuple[Check, ...]:
    return (
        tuple(_check(c) for c in results if isinstance(c, dict))
        if isinstance(results, list)
        else ()
    )


def _checks(data: Mapping[str, object]) -> str:
    results = data.get("results")
    checks = results if isinstance(results, list) else []
    passed = sum(1 for c in checks if isinstance(c, dict) and c.get("passed"))
    return f"sheet {data.get('sheet')} checks {passed}/{len(checks)} passed"


def _rate_limit(data: Mapping[str, object]) -> str:
    if data.get("until") is None:
        return f"rate limit on {data.get('instrument')} cleared"
    return f"rate limit on {data.get('instrument')}: {data.get('reason')}"


_DESCRIBE: dict[str, Callable[[Mapping[str, object]], str]] = {
    "job": lambda d: f"job {d.get('status')}",
    "fleet": lambda d: f"fleet {d.get('fleet_id')} {d.get('status')}",
    "sheet": lambda d: f"sheet {d.get('num')} {d.get('status')}",
    "attempt": lambda d: f"sheet {d.get('sheet')} attempt {d.get('attempt')} {d.get('outcome')}",
    "checks": _checks,
    "rate_limit": _rate_limit,
    "pressure": lambda d: f"pressure {d.get('level')}: {d.get('reason')}",
    "hook": lambda d: f"hook {d.get('num')} {d.get('outcome')}",
    "note": lambda d: str(d.get("text", "")),
}


def describe(kind: str, data: Mapping[str, object]) -> str:
    """An event in a few words, for the timeline."""
    said = _DESCRIBE.get(kind)
    return kind if said is None else said(data)
