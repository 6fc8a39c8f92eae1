"""Which notices the engine's committed batches imply, and what they say.

Most tests drive the real engine through the harness and hand each `Persist` it returns to a
`Tracker`, as the conductor's notifier does; the cases an engine run cannot reach easily (a job
known only from before a restart) use hand-made records.
"""

from collections.abc import Callable, Collection, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.domain import notices
from podium.domain.commands import Command, Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.notices import (
    Channel,
    Notice,
    NoticeEvent,
    Notification,
    Tracker,
    headline,
    message,
    payload,
    split_urls,
    url_scheme,
    utc,
)
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import AttemptRecord, JobRecord, RateLimitRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.testing.harness import EngineHarness, make_plan, persisted

E = NoticeEvent


def uses_cli(_job: JobId) -> Collection[str]:
    return ("cli",)


class Told:
    """An engine harness whose every committed batch goes through a tracker."""

    def __init__(self, uses: Callable[[JobId], Collection[str]] = uses_cli) -> None:
        self.h = EngineHarness()
        self.tracker = Tracker(since=self.h.clock.now())
        self.uses = uses
        self.heard: list[Notice] = []

    def __call__(self, commands: Iterable[Command]) -> list[tuple[str, str, int | None]]:
        """The notices of `commands`, as (event, job, sheet)."""
        found = [
            n
            for p in persisted(commands)
            for n in self.tracker.notices(p, self.h.clock.now(), self.uses)
        ]
        self.heard += found
        return [(str(n.event), n.job_id, n.sheet) for n in found]


def test_a_two_sheet_job_is_told_in_the_order_it_happened() -> None:
    told = Told()
    h = told.h
    assert told(h.submit(make_plan(sheets=2), "job")) == [
        ("job_start", "job", None),
        ("sheet_start", "job", 1),
    ]
    assert told(h.exit("job", 1)) == []  # validating: nothing to say yet
    assert told(h.validated("job", 1)) == [
        ("sheet_complete", "job", 1),
        ("sheet_start", "job", 2),
    ]
    assert told(h.run_sheet("job", 2)) == [
        ("sheet_complete", "job", 2),
        ("job_complete", "job", None),
    ]
    first, *_, last = told.heard
    assert (first.score, first.status, first.at) == ("plan", "running", h.clock.now())
    assert (last.score, last.status) == ("plan", "completed")


def test_a_retried_sheet_starts_again_then_fails_the_job_with_its_error() -> None:
    told = Told()
    h = told.h
    told(h.submit(make_plan(sheets=1, max_retries=1), "job"))
    # Without a retry delay, the second attempt starts in the same step.
    assert told(h.exit("job", 1, code=3)) == [("sheet_start", "job", 1)]
    assert told(h.exit("job", 1, code=3)) == [
        ("sheet_failed", "job", 1),
        ("job_failed", "job", None),
    ]
    started, failed_sheet, failed_job = told.heard[-3:]
    assert started.attempt == 2
    assert failed_sheet.error is not None and "exit code 3" in failed_sheet.error
    assert failed_sheet.status == "failed"
    assert failed_job.error is not None and "sheet 1 failed after 2 attempts" in failed_job.error


def test_a_pause_is_told_once_and_a_resume_starts_the_job_again() -> None:
    told = Told()
    h = told.h
    told(h.submit(make_plan(sheets=2), "job"))
    told(h.exit("job", 1))
    assert told(h.pause("job")) == [("job_paused", "job", None)]
    assert told.heard[-1].detail == "paused by the user"
    assert told(h.validated("job", 1)) == [("sheet_complete", "job", 1)]  # still paused
    h.clock.advance(5)
    assert told(h.resume("job")) == [("job_start", "job", None), ("sheet_start", "job", 2)]
    assert told(h.run_sheet("job", 2)) == [
        ("sheet_complete", "job", 2),
        ("job_complete", "job", None),
    ]


def test_a_rate_limit_window_is_told_to_every_job_whose_sheets_play_the_instrument() -> None:
    plays = {"a": ("cli",), "b": ("cli", "other"), "c": ("other",)}
    told = Told(uses=lambda job: plays[job])
    h = told.h
    for job in ("a", "b", "c"):
        told(h.submit(make_plan(sheets=1), job))
    assert told(h.rate_limited("a", 1, reset_at=h.clock.now() + 600)) == [
        ("rate_limit", "a", None),
        ("rate_limit", "b", None),
    ]
    notice = told.heard[-1]
    assert (notice.instrument, notice.until) == ("cli", h.clock.now() + 600)
    assert notice.detail is not None and "rate limit" in notice.detail
    assert told(h.rate_limited("b", 1, reset_at=h.clock.now() + 900)) == []  # extended only
    told(h.clear_rate_limits("cli"))
    assert told(h.run_sheet("c", 1)) == [("sheet_complete", "c", 1), ("job_complete", "c", None)]


def test_a_rate_limit_names_the_model_and_spares_ended_jobs() -> None:
    tracker = Tracker(since=0.0)
    running = job_record("a", JobStatus.RUNNING, started_at=1.0)
    ended = job_record("b", JobStatus.COMPLETED, started_at=1.0, finished_at=2.0)
    window = RateLimitRecord("claude-code", "opus", until=99.0, reason="429")
    tracker.notices(Persist(jobs=(running,)), 3.0, uses_cli)
    found = tracker.notices(
        Persist(jobs=(ended,), rate_limits=(window,)), 3.0, lambda _j: ("claude-code",)
    )
    assert [(n.event, n.job_id, n.instrument) for n in found] == [
        (E.RATE_LIMIT, "a", "claude-code (opus)"),
        (E.JOB_COMPLETE, "b", None),
    ]


def job_record(
    job: str,
    status: JobStatus,
    *,
    started_at: float | None = None,
    finished_at: float | None = None,
    error: str | None = None,
) -> JobRecord:
    return JobRecord(
        JobId(job),
        "demo",
        "/s.yaml",
        "/ws",
        status,
        submitted_at=0.0,
        total_sheets=2,
        started_at=started_at,
        finished_at=finished_at,
        error=error,
    )


def sheet_record(job: str, num: int, status: SheetStatus, attempts: int = 1) -> SheetRecord:
    return SheetRecord(JobId(job), SheetNum(num), status, updated_at=120.0, attempts=attempts)


def attempt_record(job: str, num: int) -> AttemptRecord:
    return AttemptRecord(JobId(job), SheetNum(num), 1, 110.0, AttemptOutcome.SUCCEEDED)


def events(tracker: Tracker, persist: Persist, now: float = 150.0) -> list[tuple[str, int | None]]:
    return [(str(n.event), n.sheet) for n in tracker.notices(persist, now, uses_cli)]


def test_a_job_from_before_the_restart_is_taken_as_it_is() -> None:
    tracker = Tracker(since=100.0)
    recovered = job_record("job", JobStatus.RUNNING, started_at=50.0)
    requeued = sheet_record("job", 1, SheetStatus.READY)
    assert events(tracker, Persist(jobs=(recovered,), sheets=(requeued,))) == []
    # A sheet re-attached after the restart ends: its attempt says it just happened.
    done = sheet_record("job", 2, SheetStatus.COMPLETED)
    assert events(tracker, Persist(sheets=(done,), attempts=(attempt_record("job", 2),))) == [
        ("sheet_complete", 2)
    ]
    # A new score restates the finished sheets: nothing happened to them.
    restated = sheet_record("job", 3, SheetStatus.FAILED)
    assert events(tracker, Persist(jobs=(recovered,), sheets=(restated,))) == []
    assert events(tracker, Persist(sheets=(sheet_record("job", 4, SheetStatus.RUNNING),))) == [
        ("sheet_start", 4)
    ]


def test_a_job_seen_first_is_news_only_from_the_conductor_start_on() -> None:
    tracker = Tracker(since=100.0)
    queued_then_started = job_record("new", JobStatus.RUNNING, started_at=101.0)
    assert events(tracker, Persist(jobs=(queued_then_started,))) == [("job_start", None)]
    revived_failed = job_record("old", JobStatus.FAILED, started_at=101.0, finished_at=102.0)
    assert events(tracker, Persist(jobs=(revived_failed,))) == [("job_failed", None)]
    long_ended = job_record("older", JobStatus.COMPLETED, started_at=1.0, finished_at=2.0)
    assert events(tracker, Persist(jobs=(long_ended,))) == []
    paused = job_record("paused", JobStatus.PAUSED, started_at=1.0)
    assert events(tracker, Persist(jobs=(paused,))) == []
    assert events(tracker, Persist(jobs=(paused,))) == []


def test_an_ended_job_is_forgotten_and_a_restated_end_is_not_news() -> None:
    tracker = Tracker(since=0.0)
    failed = job_record("job", JobStatus.FAILED, started_at=1.0, finished_at=2.0, error="x")
    running = job_record("job", JobStatus.RUNNING, started_at=1.0)
    events(tracker, Persist(jobs=(running,), sheets=(sheet_record("job", 1, SheetStatus.RUNNING),)))
    assert events(tracker, Persist(jobs=(failed,))) == [("job_failed", None)]
    # Forgotten: the same sheet is unknown again, so a restated end says nothing.
    restated = sheet_record("job", 1, SheetStatus.FAILED)
    assert events(tracker, Persist(sheets=(restated,))) == []
    still = Tracker(since=0.0)
    events(still, Persist(jobs=(running,)))
    cancelled = job_record("job", JobStatus.CANCELLED, started_at=1.0, finished_at=2.0)
    assert events(still, Persist(jobs=(cancelled,))) == []
    assert events(still, Persist(jobs=(cancelled,))) == []


def test_an_end_stated_again_is_not_news_but_a_later_end_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notices, "ENDED_KEPT", 1)
    tracker = Tracker(since=0.0)
    running = job_record("job", JobStatus.RUNNING, started_at=1.0)
    failed = job_record("job", JobStatus.FAILED, started_at=1.0, finished_at=2.0)
    events(tracker, Persist(jobs=(running,)))
    assert events(tracker, Persist(jobs=(failed,))) == [("job_failed", None)]
    # `podium recover` brings it back for a recheck only, and it leaves failed as it was.
    assert events(tracker, Persist(jobs=(failed,))) == []
    again = job_record("job", JobStatus.FAILED, started_at=3.0, finished_at=4.0)
    assert events(tracker, Persist(jobs=(again,))) == [("job_failed", None)]
    # Only the latest ends are remembered.
    other = job_record("other", JobStatus.COMPLETED, started_at=1.0, finished_at=5.0)
    assert events(tracker, Persist(jobs=(other,))) == [("job_complete", None)]
    assert events(tracker, Persist(jobs=(again,))) == [("job_failed", None)]


@settings(max_examples=60, deadline=None)
@given(
    sheets=st.integers(1, 4),
    retries=st.integers(0, 2),
    exits=st.lists(st.sampled_from([0, 0, 1]), min_size=12, max_size=12),
)
def test_every_run_tells_one_start_each_sheets_end_and_one_end(
    sheets: int, retries: int, exits: list[int]
) -> None:
    told = Told()
    h = told.h
    told(h.submit(make_plan(sheets=sheets, max_retries=retries), "job"))
    for code in exits:
        view = h.engine.view(JobId("job"))
        if view is None:
            break
        running = [s.num for s in view.sheets if s.status is SheetStatus.RUNNING]
        if running:
            told(h.exit("job", running[0], code=code))
            told(h.validated("job", running[0]) if code == 0 else [])
        told(h.advance(1))
    heard = [(str(n.event), n.sheet) for n in told.heard]
    assert heard[0] == ("job_start", None)
    ends = [e for e, _ in heard if e in ("job_complete", "job_failed")]
    assert len(ends) <= 1
    if ends:
        assert heard[-1] == (ends[0], None)
    for num in range(1, sheets + 1):
        mine = [e for e, s in heard if s == num]
        # Each start is followed by the sheet's end or by another start (a retry).
        assert all(e == "sheet_start" for e in mine[:-1])
        assert mine.count("sheet_complete") + mine.count("sheet_failed") <= 1


NOTICE = Notice(E.SHEET_FAILED, JobId("demo-2"), "demo", "failed", 0.0, SheetNum(3), 2, "boom")


@pytest.mark.parametrize(
    ("notice", "line"),
    [
        (
            Notice(E.JOB_START, JobId("j"), "demo", "running", 0.0),
            "podium: job j (demo) started",
        ),
        (
            Notice(E.SHEET_START, JobId("j"), "", "running", 0.0, SheetNum(1), 1),
            "podium: sheet 1 of job j started",
        ),
        (
            Notice(E.SHEET_COMPLETE, JobId("j"), "d", "completed", 0.0, SheetNum(2)),
            "podium: sheet 2 of job j (d) completed",
        ),
        (NOTICE, "podium: sheet 3 of job demo-2 (demo) failed"),
        (Notice(E.JOB_COMPLETE, JobId("j"), "d", "completed", 0.0), "podium: job j (d) completed"),
        (Notice(E.JOB_FAILED, JobId("j"), "d", "failed", 0.0), "podium: job j (d) failed"),
        (Notice(E.JOB_PAUSED, JobId("j"), "d", "paused", 0.0), "podium: job j (d) paused"),
        (
            Notice(E.RATE_LIMIT, JobId("j"), "d", "running", 0.0, instrument="cli", until=60.0),
            "podium: job j (d) waits: cli is rate limited",
        ),
    ],
)
def test_each_event_has_a_headline(notice: Notice, line: str) -> None:
    assert headline(notice) == line


def test_a_message_says_the_attempt_the_error_and_until_when() -> None:
    started = Notice(E.SHEET_START, JobId("j"), "d", "running", 0.0, SheetNum(1), 2)
    assert message(started) == "podium: sheet 1 of job j (d) started\nattempt 2"
    limited = Notice(
        E.RATE_LIMIT, JobId("j"), "d", "running", 0.0, detail="429", instrument="x", until=60.0
    )
    assert message(limited).splitlines()[1:] == ["429", "until 1970-01-01T00:01:00+00:00"]
    assert message(NOTICE).splitlines()[1:] == ["boom"]


def test_a_webhook_payload_carries_only_the_fields_the_event_has() -> None:
    body = payload(NOTICE)
    assert body == {
        "event": "sheet_failed",
        "job_id": "demo-2",
        "score": "demo",
        "status": "failed",
        "at": "1970-01-01T00:00:00+00:00",
        "sheet": 3,
        "attempt": 2,
        "error": "boom",
        "message": "podium: sheet 3 of job demo-2 (demo) failed\nboom",
    }
    limited = Notice(
        E.RATE_LIMIT, JobId("j"), "d", "running", 0.0, detail="429", instrument="x", until=60.0
    )
    assert {k: payload(limited)[k] for k in ("detail", "instrument", "until")} == {
        "detail": "429",
        "instrument": "x",
        "until": utc(60.0),
    }
    assert "sheet" not in payload(limited)


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        (
            Notification(
                Channel.SLACK,
                frozenset(),
                url="https://hooks.slack.com/services/T0/B0/secret?x=1",
            ),
            "slack https://hooks.slack.com",
        ),
        (
            Notification(Channel.WEBHOOK, frozenset(), url="http://user:pw@host:8080"),
            "webhook http://host:8080",
        ),
        (Notification(Channel.WEBHOOK, frozenset(), url="nothing"), "webhook (a URL"),
        (Notification(Channel.WEBHOOK, frozenset(), url_env="HOOK"), "webhook $HOOK"),
        (Notification(Channel.EMAIL, frozenset(), to=("a@x", "b@x")), "email to a@x, b@x"),
        (Notification(Channel.DESKTOP, frozenset()), "desktop"),
        (
            Notification(
                Channel.APPRISE,
                frozenset(),
                urls=("tgram://123:secret/42", "json://host/secret", "json://h2/pw"),
                url_env="ALSO",
            ),
            "apprise tgram://, json://",
        ),
        (Notification(Channel.APPRISE, frozenset(), urls=("secret",)), "apprise (not a URL)"),
        (Notification(Channel.APPRISE, frozenset(), url_env="PUSH_URLS"), "apprise $PUSH_URLS"),
    ],
)
def test_a_destination_is_named_without_its_secrets(target: Notification, shown: str) -> None:
    assert target.destination.startswith(shown)
    assert "secret" not in target.destination and "pw" not in target.destination


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("ntfy://topic", ["ntfy://topic"]),
        (
            " json://a/b, ntfy://x/y;tgram://t/1\n discord://i/t ,",
            ["json://a/b", "ntfy://x/y", "tgram://t/1", "discord://i/t"],
        ),
        ("mailto://u:p@h?to=a@x,b@x json://h", ["mailto://u:p@h?to=a@x,b@x", "json://h"]),
        (" , ", []),
        ("", []),
    ],
)
def test_a_list_of_urls_is_split_where_the_next_url_starts(text: str, urls: list[str]) -> None:
    assert split_urls(text) == urls


def test_a_url_shows_its_scheme_alone() -> None:
    assert url_scheme("tgram://123:token/42") == "tgram://"
    assert url_scheme("token") == url_scheme("a b://x") == "(not a URL)"
