"""Apprise notifications sent by a real conductor, through real apprise, to a real HTTP
endpoint on 127.0.0.1 (apprise's `json://` and `ntfy://` services)."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.ipc.methods import DAEMON_STATUS
from podium.ipc.schema import NotificationsInfo
from podium.testing.conductor import ConductorProcess
from tests.integration.test_notifications import Receiver
from tests.ports import closed_port

pytest.importorskip("apprise")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(status=200)
    yield found
    found.close()


SCORE = """
    name: {name}
    workspace: ./ws-{name}
    instrument: cli
    sheet: {{size: 1, total_items: 1}}
    prompt: {{template: '{command}'}}
    retry: {{max_retries: 0}}
    notifications:
      - type: apprise
        on_events: [job_complete, job_failed]
        config:
          urls: ['json://{host}/podium/secret-path-123']
      - type: apprise
        on_events: [job_complete, job_failed]
        config: {{url_env: PODIUM_TEST_PUSH}}
"""


def test_a_jobs_end_reaches_its_apprise_services_with_the_job_and_its_status(
    conductors: Callable[..., ConductorProcess],
    write_score: Callable[..., Path],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = receiver.url.removeprefix("http://")
    monkeypatch.setenv("PODIUM_TEST_PUSH", f"ntfy://{host}/topic-secret-456")
    conductor = conductors({"kill_grace_seconds": 1.0, "log_level": "debug"})
    done = conductor.submit(write_score(SCORE.format(name="done", command="true", host=host)))
    conductor.wait_for_job(done, "completed")
    failed = conductor.submit(
        write_score(SCORE.format(name="broke", command="exit 3", host=host), "broke.yaml")
    )
    conductor.wait_for_job(failed, "failed")

    def counts() -> NotificationsInfo:
        return conductor.request(DAEMON_STATUS({}))["notifications"]

    conductor.wait_until(lambda: counts()["sent"] + counts()["failed"] == 4, 30, "four notices")
    assert (counts()["sent"], counts()["failed"]) == (4, 0)
    by_path: dict[str, list[dict[str, str]]] = {}
    for path, _, body in receiver.received:
        by_path.setdefault(path, []).append(body)
    as_json, as_ntfy = by_path["/podium/secret-path-123"], by_path["/"]
    assert [(b["type"], b["title"]) for b in as_json] == [
        ("success", f"podium: job {done} (done) completed"),
        ("failure", f"podium: job {failed} (broke) failed"),
    ]
    assert f"job {failed} (broke) failed" in as_json[1]["message"]
    assert "exit code 3" in as_json[1]["message"]
    assert [(b["topic"], b["message"]) for b in as_ntfy] == [
        ("topic-secret-456", b["message"]) for b in as_json
    ]
    # Even at debug level, the conductor's log never shows the URLs' secrets.
    assert "secret-path-123" not in conductor.log
    assert "topic-secret-456" not in conductor.log


def test_an_apprise_service_that_cannot_be_reached_is_counted_and_shown_without_its_url(
    conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    with closed_port() as port:
        dead = f"127.0.0.1:{port}"
        score = write_score(f"""
            name: unheard
            workspace: ./ws
            instrument: cli
            sheet: {{size: 1, total_items: 1}}
            prompt: {{template: 'true'}}
            notifications:
              - type: apprise
                on_events: [job_complete]
                config: {{urls: 'json://{dead}/token-abc123456', retries: 1, timeout: 2}}
        """)
        job = conductor.submit(score)
        conductor.wait_for_job(job, "completed")

        def failed() -> bool:
            return int(conductor.request(DAEMON_STATUS({}))["notifications"]["failed"]) == 1

        conductor.wait_until(failed, 30, "the notification to fail")
        info = conductor.request(DAEMON_STATUS({}))["notifications"]
        last = info["last_failure"]
        assert last is not None
        assert (last["job_id"], last["event"], last["destination"]) == (
            job,
            "job_complete",
            "apprise json://",
        )
        assert last["error"].startswith("json:// was not told: ")
        assert "token-abc123456" not in json.dumps(info)
        assert "token-abc123456" not in conductor.log
        assert "trying again in 1s" in conductor.log
