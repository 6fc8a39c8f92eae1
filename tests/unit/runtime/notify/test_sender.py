"""The notifier: committed batches in, notices out on each channel, failures counted, never
raised. HTTP and SMTP go to real servers on 127.0.0.1; notify-send is a script on PATH."""

import asyncio
import json
import logging
import os
import socketserver
import textwrap
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from podium.conductor.compiler import ScoreJob
from podium.config import SmtpConfig
from podium.domain.commands import Persist
from podium.domain.ids import JobId, SheetNum
from podium.domain.notices import Notice, NoticeEvent, Notification
from podium.domain.records import JobRecord, RateLimitRecord, SheetRecord
from podium.domain.status import JobStatus, SheetStatus
from podium.instruments.registry import discover
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.notify.channels import Channels
from podium.runtime.notify.sender import Notifier, NotifyCounts
from podium.score.compiled import compile_score

JOB = JobId("demo")


class Server:
    """Answers each POST to a path with the next of `answers[path]` (then 204), keeping what
    it got."""

    def __init__(self) -> None:
        self.answers: dict[str, list[int]] = {}
        self.got: list[tuple[str, dict[str, Any]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.got.append((self.path, body))
                waiting = server.answers.get(self.path, [])
                self.send_response(waiting.pop(0) if waiting else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    found = Server()
    yield found
    found.http.shutdown()
    found.http.server_close()


def score_job(notifications: str, tmp_path: Path) -> ScoreJob:
    text = textwrap.dedent("""
        name: demo
        workspace: ./ws
        instrument: cli
        sheet: {size: 1, total_items: 1}
        prompt: {template: 'true'}
        notifications:
        """) + textwrap.indent(textwrap.dedent(notifications), "  ")
    return ScoreJob(compile_score(text, tmp_path / "demo.yaml"), discover(None))


def running(started_at: float = 10.0) -> JobRecord:
    return JobRecord(
        JOB, "demo", "/demo.yaml", "/ws", JobStatus.RUNNING, 0.0, 1, started_at=started_at
    )


def ended(status: JobStatus = JobStatus.COMPLETED) -> JobRecord:
    return JobRecord(
        JOB, "demo", "/demo.yaml", "/ws", status, 0.0, 1, 1, started_at=10.0, finished_at=20.0
    )


class Run:
    """A notifier for one score, its sending task running while `batches` are committed."""

    def __init__(
        self,
        job: ScoreJob,
        *,
        environ: Mapping[str, str] | None = None,
        smtp: SmtpConfig | None = None,
        limit: int = 100,
        channels: type[Channels] = Channels,
    ) -> None:
        self.catalog = JobCatalog()
        self.catalog.add(JOB, job)
        self.notifier = Notifier(
            catalog=self.catalog,
            channels=channels(environ or {}, lambda: smtp),
            clock=lambda: 5.0,
            redact=lambda text: text.replace("hunter2", "[REDACTED]"),
            limit=limit,
            backoff_seconds=0.0,
        )

    def __call__(self, *batches: Persist, before_sending: bool = False) -> NotifyCounts:
        async def main() -> None:
            if before_sending:
                self.notifier.committed(batches)
            task = asyncio.create_task(self.notifier.run())
            if not before_sending:
                self.notifier.committed(batches)
            await self.notifier.drained(30.0)  # returns once all are sent
            task.cancel()

        asyncio.run(main())
        return self.notifier.counts


def test_the_events_a_score_asks_for_reach_its_webhook_in_order(
    server: Server, tmp_path: Path
) -> None:
    job = score_job(
        f"""
        - type: webhook
          on_events: [job_start, sheet_complete, job_complete]
          config: {{url: '{server.url}/a'}}
        - type: slack
          on_events: [job_complete]
          config: {{webhook_url: '{server.url}/slack'}}
        """,
        tmp_path,
    )
    sheet = SheetRecord(JOB, SheetNum(1), SheetStatus.RUNNING, 11.0, attempts=1)
    done = SheetRecord(JOB, SheetNum(1), SheetStatus.COMPLETED, 19.0, attempts=1)
    counts = Run(job)(
        Persist(jobs=(running(),), sheets=(sheet,)), Persist(jobs=(ended(),), sheets=(done,))
    )
    assert counts == NotifyCounts(sent=4, failed=0)
    to_a = [body["event"] for path, body in server.got if path == "/a"]
    assert to_a == ["job_start", "sheet_complete", "job_complete"]
    [(_, slack)] = [g for g in server.got if g[0] == "/slack"]
    assert slack == {"text": "podium: job demo (demo) completed"}


def test_a_server_error_is_tried_again_and_a_refusal_is_not(server: Server, tmp_path: Path) -> None:
    job = score_job(
        f"""
        - type: webhook
          on_events: [job_start]
          config: {{url: '{server.url}/retried', retries: 2}}
        - type: webhook
          on_events: [job_start]
          config: {{url: '{server.url}/refused', retries: 2}}
        """,
        tmp_path,
    )
    server.answers = {"/retried": [503, 503], "/refused": [404]}
    counts = Run(job)(Persist(jobs=(running(),)))
    assert (counts.sent, counts.failed) == (1, 1)
    assert counts.last_failure is not None
    assert counts.last_failure.error == "the server answered 404 Not Found"
    paths = [path for path, _ in server.got]
    assert (paths.count("/retried"), paths.count("/refused")) == (3, 1)


def test_a_url_from_the_environment_is_read_when_sending(server: Server, tmp_path: Path) -> None:
    job = score_job(
        """
        - type: webhook
          on_events: [job_start]
          config: {url_env: PODIUM_TEST_HOOK}
        """,
        tmp_path,
    )
    assert Run(job, environ={"PODIUM_TEST_HOOK": f"{server.url}/env"})(
        Persist(jobs=(running(),))
    ) == NotifyCounts(sent=1)
    counts = Run(job, environ={})(Persist(jobs=(running(),)))
    assert counts.failed == 1 and counts.last_failure is not None
    assert counts.last_failure.error.startswith("PODIUM_TEST_HOOK is not set")
    assert counts.last_failure.destination == "webhook $PODIUM_TEST_HOOK"


def test_notices_past_the_queue_limit_are_dropped_and_counted(tmp_path: Path) -> None:
    job = score_job("- {type: email, on_events: [job_start], config: {to: a@x}}", tmp_path)
    batches = [Persist(jobs=(running(float(n)),)) for n in range(10, 13)]
    counts = Run(job, limit=2)(*batches, before_sending=True)
    assert counts.failed == 3  # one dropped, and two with no mail server configured
    errors = counts.last_failure
    assert errors is not None and "notifications.smtp" in errors.error


def test_a_full_queue_for_one_destination_leaves_the_others_theirs(
    server: Server, tmp_path: Path
) -> None:
    job = score_job(
        f"""
        - {{type: email, on_events: [job_start], config: {{to: a@x}}}}
        - {{type: webhook, on_events: [job_complete], config: {{url: '{server.url}/ok'}}}}
        """,
        tmp_path,
    )
    batches = [Persist(jobs=(running(float(n)),)) for n in range(10, 13)]
    counts = Run(job, limit=2)(*batches, Persist(jobs=(ended(),)), before_sending=True)
    assert [body["event"] for _, body in server.got] == ["job_complete"]
    assert (counts.sent, counts.failed) == (1, 3)  # one mail dropped, two with no server


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: it keeps each message's lines."""

    received: list[str]

    def handle(self) -> None:
        self.wfile.write(b"220 test\r\n")
        reading = False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if reading:
                if line == ".":
                    reading = False
                    self.wfile.write(b"250 queued\r\n")
                else:
                    self.received.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "DATA":
                reading = True
                self.wfile.write(b"354 go on\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == "AUTH":
                self.wfile.write(b"535 no\r\n")
            else:
                self.wfile.write(
                    b"250-test\r\n250 AUTH PLAIN\r\n" if verb == "EHLO" else b"250 ok\r\n"
                )


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[str]]]:
    lines: list[str] = []
    handler = type("Handler", (SmtpHandler,), {"received": lines})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as tcp:
        threading.Thread(target=tcp.serve_forever, args=(0.05,), daemon=True).start()
        yield int(tcp.server_address[1]), lines
        tcp.shutdown()


def test_an_email_goes_through_the_conductors_mail_server(
    smtp_server: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, lines = smtp_server
    job = score_job("- {type: email, on_events: [job_failed], config: {to: [a@x, b@x]}}", tmp_path)
    smtp = SmtpConfig.model_validate(
        {"host": "127.0.0.1", "port": port, "from": "podium@x", "starttls": False}
    )
    failed = JobRecord(
        JOB,
        "demo",
        "/d",
        "/ws",
        JobStatus.FAILED,
        0.0,
        1,
        started_at=1.0,
        finished_at=9.0,
        error="sheet 1 failed",
    )
    assert Run(job, smtp=smtp)(Persist(jobs=(running(),)), Persist(jobs=(failed,))) == (
        NotifyCounts(sent=1)
    )
    assert "To: a@x, b@x" in lines
    assert "Subject: podium: job demo (demo) failed" in lines
    assert "sheet 1 failed" in lines


def test_a_refused_login_is_not_tried_again_and_the_password_stays_secret(
    smtp_server: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, _ = smtp_server
    job = score_job("- {type: email, on_events: [job_start], config: {to: a@x}}", tmp_path)
    smtp = SmtpConfig.model_validate(
        {
            "host": "127.0.0.1",
            "port": port,
            "username": "me",
            "password_env": "PW",
            "starttls": False,
        }
    )
    counts = Run(job, smtp=smtp, environ={"PW": "hunter2"})(Persist(jobs=(running(),)))
    assert counts.failed == 1 and counts.last_failure is not None
    assert "refused the login" in counts.last_failure.error
    unset = Run(job, smtp=smtp, environ={})(Persist(jobs=(running(),)))
    assert unset.last_failure is not None
    assert unset.last_failure.error.startswith("PW (notifications.smtp.password_env) is not set")


def fake_notify_send(folder: Path, exit_code: int = 0) -> Path:
    folder.mkdir(exist_ok=True)
    script = folder / "notify-send"
    said = folder / "said.txt"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {said}\nexit {exit_code}\n')
    script.chmod(0o755)
    return said


def test_a_desktop_notice_goes_through_notify_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = fake_notify_send(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    job = score_job("- {type: desktop, on_events: [job_start]}", tmp_path)
    assert Run(job)(Persist(jobs=(running(),))) == NotifyCounts(sent=1)
    assert said.read_text().splitlines()[:2] == [
        "--app-name=Podium",
        "podium: job demo (demo) started",
    ]


def test_a_failing_notify_send_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_notify_send(tmp_path / "bin", exit_code=1)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    job = score_job("- {type: desktop, on_events: [job_start]}", tmp_path)
    counts = Run(job)(Persist(jobs=(running(),)))
    assert counts.last_failure is not None
    assert counts.last_failure.error.startswith("notify-send exited with 1")


def test_without_notify_send_a_desktop_notice_is_skipped_and_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    job = score_job("- {type: desktop, on_events: [job_start, job_complete]}", tmp_path)
    with caplog.at_level(logging.WARNING):
        counts = Run(job)(Persist(jobs=(running(),)), Persist(jobs=(ended(),)))
    assert counts == NotifyCounts()
    assert [r.getMessage() for r in caplog.records if "notify-send" in r.getMessage()] == [
        "desktop notifications are skipped: notify-send is not on the conductor's PATH "
        "(install libnotify's notify-send where the conductor finds it)"
    ]


class BrokenChannels(Channels):
    async def send(
        self, target: Notification, notice: Notice, skip: frozenset[int] = frozenset()
    ) -> bool:
        raise RuntimeError("a bug")


def test_a_bug_in_sending_is_logged_and_counted_and_sending_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = score_job("- {type: desktop, on_events: [job_start, job_complete]}", tmp_path)
    run = Run(job, channels=BrokenChannels)
    with caplog.at_level(logging.WARNING):
        counts = run(Persist(jobs=(running(),)), Persist(jobs=(ended(),)))
    assert counts.failed == 2
    assert counts.last_failure is not None
    assert counts.last_failure.error == "internal error: RuntimeError('a bug')"
    assert counts.last_failure.event is NoticeEvent.JOB_COMPLETE
    assert all(
        getattr(r, "job_id", None) == "demo" for r in caplog.records if "failed:" in r.message
    )


def test_a_rate_limit_reaches_the_jobs_whose_sheets_play_the_instrument(
    server: Server, tmp_path: Path
) -> None:
    job = score_job(
        f"- {{type: webhook, on_events: [rate_limit], config: {{url: '{server.url}'}}}}", tmp_path
    )
    window = RateLimitRecord("cli", None, 600.0, "429 too many requests")
    other = RateLimitRecord("claude-code", None, 600.0, "429")
    counts = Run(job)(Persist(jobs=(running(),)), Persist(rate_limits=(window, other)))
    assert counts == NotifyCounts(sent=1)
    [(_, body)] = server.got
    assert (body["event"], body["instrument"], body["detail"]) == (
        "rate_limit",
        "cli",
        "429 too many requests",
    )


def test_a_job_without_a_compiled_score_or_listeners_is_not_told(tmp_path: Path) -> None:
    job = score_job("- {type: desktop, on_events: [job_failed]}", tmp_path)
    run = Run(job)
    stranger = JobRecord(JobId("x"), "x", "/x", "/ws", JobStatus.RUNNING, 0.0, 1, started_at=9.0)
    window = RateLimitRecord("cli", None, 600.0, "429")
    assert run(Persist(jobs=(running(), stranger)), Persist(rate_limits=(window,))) == (
        NotifyCounts()
    )
