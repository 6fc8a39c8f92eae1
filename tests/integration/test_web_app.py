"""The dashboard's application against a real conductor, through Starlette's test client:
the token and the form token, every page of a real job, the actions (the conductor agrees),
and what it says when something is missing or the conductor is away."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from podium.ipc.methods import APPROVALS_LIST
from podium.testing.conductor import ConductorProcess
from podium.web.app import WebSettings, create_app
from podium.web.security import COOKIE, LOOPBACK_HOSTS, Guard
from tests.integration.test_fleets import A_THEN_B, fleet_file, gated, score, submit

TOKEN = "test-token-0123456789"
GUARD = Guard(TOKEN, frozenset(LOOPBACK_HOSTS))
BASE = "http://127.0.0.1:8765"

FAN_OUT = """
    name: fan
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 3}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo "sheet {{ sheet_num }} says hello <b>&amp;"
    validations:
      - type: command_succeeds
        command: "true"
"""

SLOW = """
    name: slow
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    prompt:
      template: |
        sleep 30
"""

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo ran > ran-{{ sheet_num }}.txt
    checkpoints:
      enabled: true
      triggers:
        - name: deploy
          sheet_nums: [2]
          message: sheet 2 deploys
"""


def client_for(socket: str, readonly: bool = False) -> TestClient:
    app = create_app(WebSettings(socket, GUARD, readonly=readonly))
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    client.cookies.set(COOKIE, TOKEN)
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
    assert found, "every page carries the form token"
    return found.group(1)


@pytest.fixture
def web(conductor: ConductorProcess) -> TestClient:
    return client_for(str(conductor.socket))


def test_without_the_token_nothing_is_served(conductor: ConductorProcess) -> None:
    app = create_app(WebSettings(str(conductor.socket), GUARD))
    bare = TestClient(app, base_url=BASE, follow_redirects=False)
    for path in ("/", "/jobs/x", "/events", "/static/podium.css", "/conductor"):
        answer = bare.get(path)
        assert answer.status_code == 401, path
        assert "podium web" in answer.text
    assert bare.get("/?token=wrong").status_code == 401
    assert bare.post("/jobs/x/pause", data={"csrf": GUARD.csrf}).status_code == 401
    assert bare.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_link_moves_the_token_into_a_cookie(conductor: ConductorProcess) -> None:
    app = create_app(WebSettings(str(conductor.socket), GUARD))
    browser = TestClient(app, base_url=BASE, follow_redirects=False)
    first = browser.get(f"/?tab=failed&token={TOKEN}")
    assert first.status_code == 303
    assert first.headers["location"] == "/?tab=failed"
    cookie = first.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert browser.get("/?tab=failed").status_code == 200


def test_other_host_names_are_refused(web: TestClient) -> None:
    answer = web.get("/", headers={"Host": "attacker.example:8765"})
    assert answer.status_code == 421
    assert "--allow-remote" in answer.text


def test_an_action_needs_the_form_token_and_this_origin(
    web: TestClient, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(SLOW))
    refused = web.post(f"/jobs/{job}/pause", data={})
    assert refused.status_code == 403
    assert "token" in refused.text
    foreign = web.post(
        f"/jobs/{job}/pause",
        data={"csrf": GUARD.csrf},
        headers={"Origin": "http://attacker.example"},
    )
    assert foreign.status_code == 403
    assert conductor.status(job)["status"] == "running"
    by_header = web.post(f"/jobs/{job}/pause", headers={"X-CSRF-Token": GUARD.csrf})
    assert by_header.status_code == 303
    assert conductor.status(job)["status"] == "paused"


def test_pages_of_a_real_job(
    web: TestClient, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(FAN_OUT))
    conductor.wait_for_job(job)
    jobs = web.get("/")
    assert jobs.status_code == 200
    assert f'href="/jobs/{job}"' in jobs.text
    assert web.get("/?tab=completed").text.count(f'href="/jobs/{job}"') == 1
    assert f'href="/jobs/{job}"' not in web.get("/?tab=failed").text
    assert f'href="/jobs/{job}"' not in web.get("/?q=no-such-text").text
    assert f'href="/jobs/{job}"' in web.get("/?instrument=cli").text
    assert f'href="/jobs/{job}"' not in web.get("/?instrument=claude").text

    page = web.get(f"/jobs/{job}")
    assert page.status_code == 200
    for num in (1, 2, 3):
        assert f'href="/jobs/{job}/sheets/{num}"' in page.text
    assert "completed" in page.text

    sheet = web.get(f"/jobs/{job}/sheets/2")
    assert sheet.status_code == 200
    assert "sheet 2 says hello &lt;b&gt;&amp;amp;" in sheet.text, "output, escaped"
    assert "Attempt 1" in sheet.text
    assert "command_succeeds" in sheet.text
    assert "echo &#34;sheet 2 says hello" in sheet.text, "the rendered prompt"

    for path in ("/approvals", "/conductor", "/costs", f"/costs?job={job}", "/fleets"):
        assert web.get(path).status_code == 200, path


def test_the_conductor_page_says_the_attempts_run_on_this_machine(web: TestClient) -> None:
    page = web.get("/conductor")
    assert page.status_code == 200
    assert '<dd class="executor">local (this machine): 0 attempts running</dd>' in page.text
    assert "<h2>Nodes</h2>" not in page.text


def test_pause_resume_and_cancel_from_the_page(
    web: TestClient, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(SLOW))
    conductor.wait_until(lambda: conductor.status(job)["status"] == "running", 10, "running")
    paused = web.post(f"/jobs/{job}/pause", data={"csrf": GUARD.csrf, "force": "1"})
    assert paused.status_code == 303
    assert paused.headers["location"].startswith(f"/jobs/{job}?said=")
    assert conductor.status(job)["status"] == "paused"
    said = web.get(paused.headers["location"])
    assert 'class="banner ok"' in said.text
    assert "paused by the user" in web.get(f"/jobs/{job}").text, "in the job's history"

    assert web.post(f"/jobs/{job}/resume", data={"csrf": GUARD.csrf}).status_code == 303
    assert conductor.status(job)["status"] == "running"
    again = web.post(f"/jobs/{job}/resume", data={"csrf": GUARD.csrf})
    assert 'class="banner bad"' in web.get(again.headers["location"]).text, "refused, and why"
    web.post(f"/jobs/{job}/cancel", data={"csrf": GUARD.csrf})
    conductor.wait_for_job(job)
    assert conductor.status(job)["status"] == "cancelled"


def test_bulk_actions_touch_the_jobs_the_filter_shows(
    web: TestClient, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    first = conductor.submit(write_score(SLOW, "alpha.yaml"))
    second = conductor.submit(write_score(SLOW, "beta.yaml"))
    unasked = web.post("/jobs", data={"csrf": GUARD.csrf, "action": "pause", "q": "alpha"})
    assert "tick the box" in web.get(unasked.headers["location"]).text
    assert conductor.status(first)["status"] == "running"

    done = web.post(
        "/jobs", data={"csrf": GUARD.csrf, "action": "pause", "q": "alpha", "confirm": "yes"}
    )
    assert done.headers["location"].startswith("/?q=alpha&said=")
    assert conductor.status(first)["status"] == "paused"
    assert conductor.status(second)["status"] != "paused"
    web.post("/jobs", data={"csrf": GUARD.csrf, "action": "cancel", "confirm": "yes"})
    for job in (first, second):
        conductor.wait_for_job(job)


def test_an_approval_answered_from_the_page_lets_the_sheet_go_on(
    web: TestClient, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    job = conductor.submit(write_score(GATED))
    conductor.wait_until(
        lambda: bool(conductor.request(APPROVALS_LIST({}))["approvals"]), 15, "the question"
    )
    listed = web.get("/approvals")
    assert "sheet 2 deploys" in listed.text
    assert f'action="/jobs/{job}/sheets/2/answer"' in listed.text
    answer = web.post(
        f"/jobs/{job}/sheets/2/answer",
        data={"csrf": csrf_of(listed.text), "answer": "approve", "note": "looks fine"},
    )
    assert answer.status_code == 303
    assert conductor.wait_for_job(job)["status"] == "completed"
    assert "looks fine" in web.get(f"/jobs/{job}").text or conductor.status(job)["history"]


def test_what_is_missing_is_named(web: TestClient, conductor: ConductorProcess) -> None:
    missing = web.get("/jobs/no-such-job")
    assert missing.status_code == 404
    assert "no job &#39;no-such-job&#39;" in missing.text
    assert web.get("/jobs/no-such-job/sheets/1").status_code == 404
    assert web.get("/fleets/no-such-fleet").status_code == 404
    assert web.post("/jobs/no-such-job/pause", data={"csrf": GUARD.csrf}).status_code == 303


def test_a_readonly_dashboard_serves_pages_and_no_action(conductor: ConductorProcess) -> None:
    web = client_for(str(conductor.socket), readonly=True)
    page = web.get("/")
    assert page.status_code == 200
    assert "read-only" in page.text
    assert web.post("/jobs/x/pause", data={"csrf": GUARD.csrf}).status_code == 403


def test_without_a_conductor_the_page_says_so_and_tries_again(tmp_path: Path) -> None:
    web = client_for(str(tmp_path / "nothing.sock"))
    page = web.get("/")
    assert page.status_code == 503
    assert "podium start" in page.text
    assert 'http-equiv="refresh"' in page.text


def test_a_fleet_page_shows_its_groups_and_pauses_it(
    web: TestClient, conductor: ConductorProcess, tmp_path: Path
) -> None:
    for name in ("a1", "a2", "b"):
        score(tmp_path, name, gated(name))
    fleet = submit(conductor, fleet_file(tmp_path, A_THEN_B))
    fleet_id = fleet["fleet_id"]
    listed = web.get("/fleets")
    assert f'href="/fleets/{fleet_id}"' in listed.text
    page = web.get(f"/fleets/{fleet_id}")
    assert page.status_code == 200
    assert "first" in page.text
    assert "after first" in page.text, "the second group's dependency"
    paused = web.post(f"/fleets/{fleet_id}/pause", data={"csrf": GUARD.csrf})
    assert paused.status_code == 303
    assert "paused" in web.get(paused.headers["location"]).text
    web.post(f"/fleets/{fleet_id}/cancel", data={"csrf": GUARD.csrf})


def test_pages_are_compressed_and_the_event_stream_is_not(
    web: TestClient, conductor: ConductorProcess, write_score: Callable[..., Path]
) -> None:
    conductor.wait_for_job(conductor.submit(write_score(FAN_OUT)))
    page = web.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    with web.stream("GET", "/events", headers={"Accept-Encoding": "gzip"}) as stream:
        assert "content-encoding" not in stream.headers
        assert stream.headers["content-type"].startswith("text/event-stream")
