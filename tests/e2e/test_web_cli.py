"""`podium web` as a user starts it: the link and its token, the refusals (a remote address
without --allow-remote, a port in use), and the live stream a page listens to, over real
HTTP from a real server."""

import json
import socket
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.testing.web import WebProcess
from tests.e2e.conftest import User

RUN = """
name: short
workspace: ./ws
instrument: cli
pause_between_sheets_seconds: 0
sheet: {size: 1, total_items: 2}
prompt:
  template: echo hi
"""


def test_print_url_gives_the_link_with_the_private_token(podium: User, tmp_path: Path) -> None:
    shown = podium("web", "--print-url", "--port", "9999")
    assert shown.returncode == 0, shown.stderr
    token_file = tmp_path / "home" / "web.token"
    token = token_file.read_text().strip()
    assert f"http://127.0.0.1:9999/?token={token}" in shown.stdout
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    again = podium("web", "--print-url")
    assert token in again.stdout, "the token is kept"
    renewed = podium("web", "--print-url", "--new-token")
    assert token not in renewed.stdout
    assert token_file.read_text().strip() in renewed.stdout


def test_a_remote_address_needs_allow_remote(podium: User) -> None:
    refused = podium("web", "--host", "0.0.0.0")
    assert refused.returncode != 0
    assert "--allow-remote" in refused.stderr


def test_a_port_in_use_is_named(podium: User) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = podium("web", "--port", str(port))
    assert refused.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in refused.stderr
    assert "--port" in refused.stderr


@pytest.fixture
def served(podium: User) -> Iterator[tuple[str, str]]:
    """A `podium web` process on a free port: its address and token."""
    assert podium("start").returncode == 0
    with WebProcess(podium.env) as web:
        yield web.base, web.token


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_server_wants_its_token(served: tuple[str, str]) -> None:
    base, token = served
    assert get(base + "/")[0] == 401
    assert get(base + "/", "not-the-token")[0] == 401
    status, page = get(base + "/", token)
    assert status == 200
    assert "<h1>Jobs</h1>" in page


def test_a_page_hears_a_job_change_as_it_happens(
    served: tuple[str, str], podium: User, tmp_path: Path
) -> None:
    base, token = served
    request = urllib.request.Request(base + "/events")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=20) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.readline() == b": connected\n"
        score = tmp_path / "short.yaml"
        score.write_text(RUN)
        assert podium("run", str(score)).returncode == 0
        while True:
            line = stream.readline().decode()
            assert line, "the stream ended"
            if line.startswith("event: change"):
                data = stream.readline().decode()
                assert '"job_id":"short"' in data
                break


def test_a_sheet_page_starts_from_the_output_as_it_stands(
    served: tuple[str, str], podium: User, tmp_path: Path
) -> None:
    base, token = served
    score = tmp_path / "short.yaml"
    score.write_text(RUN)
    assert podium("run", str(score), "--wait").returncode == 0
    request = urllib.request.Request(base + "/events?job=short&sheet=2")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=20) as stream:
        assert stream.readline() == b": connected\n"
        assert stream.readline() == b"\n"
        assert stream.readline() == b"event: tail\n"
        data = json.loads(stream.readline().decode().removeprefix("data: "))
    assert data["attempt"] == 1
    assert data["stdout"]["text"] == "hi\n"
    assert data["stdout"]["end"] == 3
