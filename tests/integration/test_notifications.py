"""Notifications sent by a real conductor to a real HTTP server on 127.0.0.1."""

import json
import signal
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from podium.ipc.methods import DAEMON_STATUS
from podium.ipc.schema import NotificationsInfo
from podium.testing.conductor import ConductorProcess
from tests.ports import closed_port


class Receiver:
    """An HTTP server that keeps what is posted to it and answers with `status`."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [body for _, _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def test_a_webhook_hears_each_event_of_a_two_sheet_job_in_order(
    conductor: ConductorProcess, write_score: Callable[..., Path], receiver: Receiver
) -> None:
    score = write_score(f"""
        name: told
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {{size: 1, total_items: 2}}
        prompt: {{template: 'true'}}
        notifications:
          - type: webhook
            on_events: [job_start, sheet_start, sheet_complete, sheet_failed, job_complete]
            config: {{url: '{receiver.url}/hooks/podium', headers: {{X-Token: abc}}}}
          - type: webhook
            config: {{url: '{receiver.url}/ends-only'}}
    """)
    job = conductor.submit(score)
    conductor.wait_for_job(job, "completed")
    conductor.wait_until(lambda: len(receiver.received) == 7, 20, "seven notifications")
    heard = [(path, body["event"], body.get("sheet")) for path, _, body in receiver.received]
    assert [h for h in heard if h[0] == "/hooks/podium"] == [
        ("/hooks/podium", "job_start", None),
        ("/hooks/podium", "sheet_start", 1),
        ("/hooks/podium", "sheet_complete", 1),
        ("/hooks/podium", "sheet_start", 2),
        ("/hooks/podium", "sheet_complete", 2),
        ("/hooks/podium", "job_complete", None),
    ]
    assert [h for h in heard if h[0] == "/ends-only"] == [("/ends-only", "job_complete", None)]
    _, headers, last = [r for r in receiver.received if r[0] == "/hooks/podium"][-1]
    assert headers["X-Token"] == "abc"
    assert headers["Content-Type"] == "application/json"
    assert {k: last[k] for k in ("job_id", "score", "status")} == {
        "job_id": job,
        "score": "told",
        "status": "completed",
    }
    assert last["at"].endswith("+00:00")

    # The receiver keeps a notice before it answers; the conductor counts it once answered.
    def counts() -> NotificationsInfo:
        return conductor.request(DAEMON_STATUS({}))["notifications"]

    conductor.wait_until(lambda: sum(counts()[k] for k in ("sent", "failed")) == 7, 20, "answers")
    info = counts()
    assert (info["sent"], info["failed"], info["last_failure"]) == (7, 0, None)


def test_a_webhook_that_fails_never_stops_the_job_and_conductor_status_says_so(
    conductor: ConductorProcess, write_score: Callable[..., Path], receiver: Receiver
) -> None:
    with closed_port() as port:
        dead = f"http://127.0.0.1:{port}/T000/secret-path"
        receiver.status = 500
        score = write_score(f"""
            name: unheard
            workspace: ./ws
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            prompt: {{template: 'true'}}
            notifications:
              - type: webhook
                on_events: [job_complete]
                config: {{url: '{receiver.url}/answers-500', retries: 1}}
              - type: slack
                on_events: [job_complete]
                config: {{webhook_url: '{dead}', retries: 0, timeout: 2}}
        """)
        job = conductor.submit(score)
        conductor.wait_for_job(job, "completed")

        def both_failed() -> bool:
            return int(conductor.request(DAEMON_STATUS({}))["notifications"]["failed"]) == 2

        conductor.wait_until(both_failed, 20, "both notifications to fail")
        assert len(receiver.received) == 2  # the first try, and one more
        info = conductor.request(DAEMON_STATUS({}))["notifications"]
        assert info["sent"] == 0
        last = info["last_failure"]
        assert last is not None
        assert last["job_id"] == job
        assert last["event"] == "job_complete"
        assert last["destination"] in (f"webhook {receiver.url}", f"slack {dead.rsplit('/', 2)[0]}")
        assert "secret-path" not in json.dumps(info)
        assert "secret-path" not in conductor.log
        assert "the server answered 500" in conductor.log
        assert "could not reach it" in conductor.log


def test_after_a_restart_a_picked_up_job_is_not_started_again_but_its_end_is_told(
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    score = write_score(f"""
        name: survivor
        workspace: ./ws
        instrument: cli
        pause_between_sheets_seconds: 0
        sheet: {{size: 1, total_items: 2}}
        prompt: {{template: 'touch started-{{{{ sheet_num }}}}; while [ ! -e go ]; do sleep 0.02; done'}}
        notifications:
          - type: webhook
            on_events: [job_start, sheet_start, sheet_complete, job_complete]
            config: {{url: '{receiver.url}'}}
    """)
    first = conductors({"kill_grace_seconds": 1.0})
    job = first.submit(score)
    first.wait_until(lambda: len(receiver.received) == 2, 20, "the job and its sheet to start")
    # The notice goes out when the sheet starts, a moment before its process does: killed in
    # between, the sheet would rightly start (and be told) again. Kill once it really runs.
    first.wait_until((tmp_path / "ws" / "started-1").exists, 20, "sheet 1's process to run")
    first.kill(signal.SIGKILL)  # sheet 1's attempt outlives it, and is picked up again
    second = conductors({"kill_grace_seconds": 1.0})
    (tmp_path / "ws" / "go").touch()
    second.wait_for_job(job, "completed")

    def told_end() -> bool:
        return any(b["event"] == "job_complete" for b in receiver.bodies())

    second.wait_until(told_end, 20, "the job's end to be told")
    assert [(b["event"], b.get("sheet")) for b in receiver.bodies()] == [
        ("job_start", None),
        ("sheet_start", 1),
        ("sheet_complete", 1),
        ("sheet_start", 2),
        ("sheet_complete", 2),
        ("job_complete", None),
    ]
