"""Apprise notifications through the notifier: real apprise, real HTTP on 127.0.0.1 (its
`json://` and `ntfy://` services), tried again like every channel, never showing a URL."""

import json
import logging
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from podium.apprise_support import readable
from podium.domain.commands import Persist
from podium.domain.status import JobStatus
from podium.runtime.notify.sender import NotifyCounts
from tests.unit.runtime.notify.test_sender import Run, ended, running, score_job


class Endpoint:
    """Answers each POST to a path with the next of `answers[path]` (then 200), keeping the
    path and the JSON body of each."""

    def __init__(self) -> None:
        self.answers: dict[str, list[int]] = {}
        self.got: list[tuple[str, dict[str, Any]]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.got.append((self.path, body))
                waiting = endpoint.answers.get(self.path, [])
                self.send_response(waiting.pop(0) if waiting else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _ in self.got]


@pytest.fixture(scope="module", autouse=True)
def apprise_loaded() -> None:
    """Apprise reads its hundred plugins once, on first use: not within a test's wait."""
    assert readable("json://localhost")


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    found = Endpoint()
    yield found
    found.http.shutdown()
    found.http.server_close()


def test_json_and_ntfy_services_hear_the_job_and_its_status(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    job = score_job(
        f"""
        - type: apprise
          on_events: [job_start, job_complete]
          config:
            urls: ['json://{endpoint.host}/hook/secret-path-1', 'ntfy://{endpoint.host}/topic-12']
        """,
        tmp_path,
    )
    assert Run(job)(Persist(jobs=(running(),)), Persist(jobs=(ended(),))) == NotifyCounts(sent=2)
    (_, started), (_, topic_started), (_, done), (_, topic_done) = endpoint.got
    assert endpoint.paths() == ["/hook/secret-path-1", "/", "/hook/secret-path-1", "/"]
    assert (done["title"], done["type"]) == ("podium: job demo (demo) completed", "success")
    assert done["message"] == "podium: job demo (demo) completed"
    assert (started["type"], topic_done["topic"]) == ("info", "topic-12")
    assert topic_done["message"] == done["message"]
    assert topic_started["title"] == "podium: job demo (demo) started"


def test_a_failed_job_is_told_as_a_failure_with_its_error(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    job = score_job(f"- {{type: apprise, config: {{urls: 'json://{endpoint.host}/x'}}}}", tmp_path)
    failed = Persist(jobs=(ended(JobStatus.FAILED),))
    assert Run(job)(Persist(jobs=(running(),)), failed) == NotifyCounts(sent=1)
    [(_, body)] = endpoint.got
    assert (body["type"], body["title"]) == ("failure", "podium: job demo (demo) failed")


def test_a_service_that_fails_is_tried_again_and_the_others_are_told_once(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    job = score_job(
        f"""
        - type: apprise
          on_events: [job_start]
          config: {{urls: 'json://{endpoint.host}/ok, json://{endpoint.host}/flaky', retries: 3}}
        """,
        tmp_path,
    )
    endpoint.answers = {"/flaky": [503, 500]}
    assert Run(job)(Persist(jobs=(running(),))) == NotifyCounts(sent=1)
    assert endpoint.paths() == ["/ok", "/flaky", "/flaky", "/flaky"]


class Seen(logging.Handler):
    """What reaches the root logger's handlers (the conductor's log, the CLI's stderr)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def seen() -> Iterator[Seen]:
    found, root = Seen(), logging.getLogger()
    root.addHandler(found)
    yield found
    root.removeHandler(found)


def test_a_refusal_is_not_tried_again_and_its_reason_hides_the_url(
    endpoint: Endpoint, tmp_path: Path, seen: Seen
) -> None:
    job = score_job(
        f"""
        - type: apprise
          on_events: [job_start]
          config: {{urls: ['json://{endpoint.host}/gone/token-abc123'], retries: 3}}
        """,
        tmp_path,
    )
    endpoint.answers = {"/gone/token-abc123": [404]}
    counts = Run(job)(Persist(jobs=(running(),)))
    assert counts.failed == 1 and counts.last_failure is not None
    assert counts.last_failure.destination == "apprise json://"
    assert counts.last_failure.error.startswith("json:// was not told: ")
    assert "error=404" in counts.last_failure.error
    assert len(endpoint.got) == 1
    # Apprise's own records name the URL: none of them reaches Podium's log.
    assert [r.name for r in seen.records if r.levelno >= logging.WARNING] == [
        "podium.runtime.notify.sender"
    ]
    assert not [r for r in seen.records if "token-abc123" in r.getMessage()]


def test_urls_from_the_environment_are_read_when_sending(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    job = score_job("- {type: apprise, on_events: [job_start], config: {url_env: PUSH}}", tmp_path)
    urls = f"json://{endpoint.host}/a; ntfy://{endpoint.host}/b-topic"
    assert Run(job, environ={"PUSH": urls})(Persist(jobs=(running(),))) == NotifyCounts(sent=1)
    assert endpoint.paths() == ["/a", "/"]
    unset = Run(job, environ={"PUSH": " "})(Persist(jobs=(running(),)))
    assert unset.last_failure is not None
    assert unset.last_failure.destination == "apprise $PUSH"
    assert unset.last_failure.error.startswith("PUSH is not set in the conductor's environment")


def test_a_url_apprise_cannot_read_fails_at_once_without_showing_it(tmp_path: Path) -> None:
    job = score_job("- {type: apprise, on_events: [job_start], config: {url_env: PUSH}}", tmp_path)
    counts = Run(job, environ={"PUSH": "tgram://bot-token-xyz"})(Persist(jobs=(running(),)))
    assert counts.last_failure is not None
    error = counts.last_failure.error
    assert error.startswith("tgram:// is not a URL apprise can read (")
    assert "bot-token-xyz" not in error


def test_without_apprise_a_notice_fails_once_saying_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # as if it were not installed
    job = score_job("- {type: apprise, on_events: [job_start], config: {url_env: P}}", tmp_path)
    counts = Run(job, environ={"P": "json://localhost/x"})(Persist(jobs=(running(),)))
    assert counts.failed == 1 and counts.last_failure is not None
    assert counts.last_failure.error == (
        "apprise is not installed where the conductor runs; install it with "
        f"{sys.executable} -m pip install 'podium[apprise]', then restart the conductor"
    )
