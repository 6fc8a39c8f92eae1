"""`podium mcp` driven by the MCP SDK's own client, as an agent CLI drives it: the server is
spawned over stdio (or served over HTTP) against a real conductor, and every tool, resource
and error is read back through the protocol."""

import contextlib
import json
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from podium.host.access_token import access_token
from podium.ipc.methods import JOB_LIST
from podium.testing.conductor import ConductorProcess

pytestmark = pytest.mark.timeout(120)

PODIUM = str(Path(sys.executable).parent / "podium")
WRITING = {"run_score", "pause_job", "resume_job", "cancel_job", "answer_approval"}
READING = {
    "list_jobs",
    "job_status",
    "wait_job",
    "job_errors",
    "job_logs",
    "list_approvals",
    "validate_score",
}

GATED = """
    name: gated
    workspace: ./ws
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo "output of sheet {{ sheet_num }}"
        echo run >> runs-{{ sheet_num }}.txt
        {% if sheet_num == 1 %}while [ ! -e go ]; do sleep 0.02; done{% endif %}
"""

BROKEN = """
    name: broken
    workspace: ./ws-broken
    instrument: cli
    sheet: {size: 1, total_items: 1}
    retry: {max_retries: 0}
    prompt:
      template: |
        echo "the tool said why it failed" >&2
        exit 3
"""


def write(folder: Path, text: str, name: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@contextlib.asynccontextmanager
async def mcp_session(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> AsyncIterator[ClientSession]:
    """`podium mcp ARGS` spawned over stdio, and an initialised session with it."""
    server = StdioServerParameters(command=PODIUM, args=["mcp", *args], env=env, cwd=cwd)
    with (cwd or Path.cwd()).joinpath("mcp-stderr.log").open("w") as errlog:
        async with (
            stdio_client(server, errlog=errlog) as (read, send),
            ClientSession(read, send) as session,
        ):
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> types.CallToolResult:
    result = await session.call_tool(tool, arguments)
    assert isinstance(result, types.CallToolResult)
    return result


def text(result: types.CallToolResult) -> str:
    [block] = result.content
    assert isinstance(block, types.TextContent)
    return block.text


async def ok(session: ClientSession, tool: str, **arguments: Any) -> types.CallToolResult:
    result = await call(session, tool, **arguments)
    assert not result.is_error, f"{tool}: {text(result)}"
    return result


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await call(session, tool, **arguments)
    assert result.is_error, f"{tool} answered: {text(result)}"
    return text(result)


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.05)


def test_every_tool_drives_a_real_conductor(conductor: ConductorProcess, tmp_path: Path) -> None:
    write(tmp_path, GATED, "gated.yaml")
    write(tmp_path, BROKEN, "broken.yaml")

    async def scenario() -> None:
        async with mcp_session(conductor.env, cwd=tmp_path) as session:
            valid = await ok(session, "validate_score", path="gated.yaml")
            assert text(valid).startswith("gated.yaml: valid - 2 sheets in 2 movements")
            assert valid.structured_content["result"]["valid"] is True
            plan = await ok(session, "run_score", path="gated.yaml", dry_run=True)
            assert "gated: 2 sheet(s)" in text(plan)
            assert conductor.request(JOB_LIST({"all": True}))["jobs"] == []  # nothing submitted

            submitted = await ok(session, "run_score", path="gated.yaml")
            assert text(submitted).startswith("job gated submitted: 2 sheet(s)")
            assert submitted.structured_content["result"]["job_id"] == "gated"
            await wait_for((tmp_path / "ws" / "runs-1.txt").exists, "sheet 1 to start")

            listed = await ok(session, "list_jobs")
            assert "gated" in text(listed) and "running" in text(listed)
            status = await ok(session, "job_status", job_id="gated")
            assert "gated  running  0/2 sheets completed" in text(status)
            assert status.structured_content["result"]["sheets"][0]["status"] == "running"
            assert status.structured_content["text"] == text(status)
            logs = await ok(session, "job_logs", job_id="gated", sheet=1)
            assert "output of sheet 1" in text(logs)

            waited = await ok(session, "wait_job", job_id="gated", timeout_seconds=0.2)
            assert text(waited).startswith("job gated is still running after 0.2s")

            paused = await ok(session, "pause_job", job_id="gated")
            assert text(paused).startswith("job gated: paused")
            assert conductor.status("gated")["status"] == "paused"
            resumed = await ok(session, "resume_job", job_id="gated")
            assert text(resumed) == "job gated: resumed"
            cancelled = await ok(session, "cancel_job", job_id="gated")
            assert text(cancelled).startswith("job gated: cancelled")
            assert conductor.status("gated")["status"] == "cancelled"

            await ok(session, "run_score", path="broken.yaml")
            ended = await ok(session, "wait_job", job_id="broken", timeout_seconds=60)
            assert "broken  failed" in text(ended)
            assert ended.structured_content["result"]["status"] == "failed"
            errors = await ok(session, "job_errors", job_id="broken")
            assert "sheet 1" in text(errors) and "the tool said why it failed" in text(errors)
            assert errors.structured_content["result"]["attempts"][0]["exit_code"] == 3

            approvals = await ok(session, "list_approvals")
            assert text(approvals) == "no sheet waits for an answer"
            answer = await refused(
                session, "answer_approval", job_id="broken", sheet=1, answer="approve"
            )
            assert "broken" in answer

            job = await session.read_resource("podium://jobs/broken")
            [contents] = job.contents
            assert isinstance(contents, types.TextResourceContents)
            assert "broken  failed" in contents.text
            output = await session.read_resource("podium://jobs/broken/sheets/1/output")
            [contents] = output.contents
            assert isinstance(contents, types.TextResourceContents)
            assert "the tool said why it failed" in contents.text
            templates = await session.list_resource_templates()
            assert {t.uri_template for t in templates.resource_templates} == {
                "podium://jobs/{job_id}",
                "podium://jobs/{job_id}/sheets/{sheet}/output",
            }

    anyio.run(scenario)


def test_what_goes_wrong_comes_back_as_a_tool_error_that_says_what_to_do(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    write(tmp_path, GATED, "hello.yaml")
    (tmp_path / "bad.yaml").write_text("name: bad\nsheet: {size: 1, total_items: 1}\nprompt: 3\n")
    stopped = {**conductor.env, "PODIUM_SOCKET": str(tmp_path / "nobody.sock")}

    async def scenario() -> None:
        async with mcp_session(conductor.env, cwd=tmp_path) as session:
            await ok(session, "run_score", path="hello.yaml")
            unknown = await refused(session, "job_status", job_id="helo")
            assert unknown == "no job 'helo'; did you mean 'hello'?"
            bad = await refused(session, "run_score", path="bad.yaml")
            assert "bad.yaml:3" in bad and "prompt" in bad
            missing = await refused(session, "validate_score", path="nothing.yaml")
            assert "nothing.yaml" in missing
            wrong = await refused(session, "pause_job", job="hello")
            assert "job_id: Field required" in wrong and "job: Extra inputs" in wrong
            with pytest.raises(MCPError, match="no job 'helo'"):
                await session.read_resource("podium://jobs/helo")
            # The server is still there after each of them.
            assert "hello" in text(await ok(session, "list_jobs"))
        async with mcp_session(stopped, cwd=tmp_path) as session:
            down = await refused(session, "list_jobs")
            assert down.startswith("the conductor is not running")
            assert "start it with 'podium start'" in down
            # Checking and planning a score needs no conductor.
            await ok(session, "validate_score", path="hello.yaml")
            await ok(session, "run_score", path="hello.yaml", dry_run=True)

    anyio.run(scenario)


RELEASE = """
    name: release
    workspace: ./ws-release
    instrument: cli
    pause_between_sheets_seconds: 0
    sheet: {size: 1, total_items: 2}
    prompt:
      template: |
        echo "sheet {{ sheet_num }} ran" > sheet-{{ sheet_num }}.txt
    approvals:
      enabled: true
      triggers:
        - name: go-ahead
          sheet_nums: [1]
          message: nothing runs before someone says go
"""


def test_an_agent_waits_for_a_question_and_answers_it(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    write(tmp_path, RELEASE, "release.yaml")

    async def scenario() -> None:
        async with mcp_session(conductor.env, cwd=tmp_path) as session:
            await ok(session, "run_score", path="release.yaml")
            asked = await ok(session, "wait_job", job_id="release", timeout_seconds=60)
            assert "awaiting_approval" in text(asked)
            questions = await ok(session, "list_approvals", job_id="release")
            assert "release sheet 1 (before it runs): 'go-ahead'" in text(questions)
            assert "answer one with answer_approval" in text(questions)
            answered = await ok(
                session, "answer_approval", job_id="release", sheet=1, answer="approve", note="go"
            )
            assert text(answered).startswith("job release: ")
            ended = await ok(session, "wait_job", job_id="release", timeout_seconds=60)
            assert "release  completed  2/2 sheets completed" in text(ended)

    anyio.run(scenario)
    assert (tmp_path / "ws-release" / "sheet-1.txt").read_text() == "sheet 1 ran\n"


CHATTY = """
    name: chatty
    workspace: ./ws-chatty
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt:
      template: |
        for i in $(seq 1 400); do echo "line $i of a long output, long enough to be cut"; done
"""


def test_a_long_output_is_cut_to_its_end_saying_how_to_read_less(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    job = conductor.submit(write(tmp_path, CHATTY, "chatty.yaml"))
    conductor.wait_for_job(job, "completed")

    async def scenario() -> str:
        async with mcp_session(conductor.env, cwd=tmp_path) as session:
            return text(await ok(session, "job_logs", job_id=job, tail=400))

    shown = anyio.run(scenario)
    assert len(shown) < 16_500
    first, rest = shown.split("\n", 1)
    assert first.startswith("[the first ") and "ask for one sheet (sheet=N)" in first, first
    assert rest.rstrip().endswith("line 400 of a long output, long enough to be cut")
    assert "line 1 of" not in rest


SECRET = """
    name: secret
    workspace: ./ws-secret
    instrument: cli
    sheet: {size: 1, total_items: 1}
    prompt:
      variables: {api_key: s3cr3t-value-123456}
      template: |
        curl -H "Authorization: {{ api_key }}" http://127.0.0.1:9/
"""


def test_a_prompt_shown_by_validate_score_has_its_credentials_masked(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    write(tmp_path, SECRET, "secret.yaml")

    async def scenario() -> str:
        async with mcp_session(conductor.env, cwd=tmp_path) as session:
            return text(await ok(session, "validate_score", path="secret.yaml"))

    shown = anyio.run(scenario)
    assert "sheet 1's prompt:" in shown
    assert "Authorization: [REDACTED]" in shown
    assert "s3cr3t" not in shown


def test_readonly_offers_no_tool_that_changes_anything(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    async def scenario() -> tuple[dict[str, types.Tool], dict[str, types.Tool]]:
        async with mcp_session(conductor.env, cwd=tmp_path) as session:
            every = {t.name: t for t in (await session.list_tools()).tools}
        async with mcp_session(conductor.env, "--readonly", cwd=tmp_path) as session:
            reading = {t.name: t for t in (await session.list_tools()).tools}
            assert "no tool 'cancel_job'" in await refused(session, "cancel_job", job_id="x")
        return every, reading

    every, reading = anyio.run(scenario)
    assert set(every) == READING | WRITING
    assert set(reading) == READING
    for name, tool in every.items():
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (name in READING), name
        assert tool.annotations.destructive_hint is (
            None if name in READING else name == "cancel_job"
        ), name
    schema = every["pause_job"].input_schema
    assert schema["required"] == ["job_id"]
    assert schema["properties"]["force"]["type"] == "boolean"
    assert schema["additionalProperties"] is False


@contextlib.contextmanager
def http_server(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """`podium mcp --http` on a free port it picks and tells (no other test can take it)."""
    with (cwd / "mcp-http.log").open("w") as log:
        server = subprocess.Popen(
            [PODIUM, "mcp", "--http", "--port", "0"],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while not (told := re.search(r"serving MCP at (\S+);", (cwd / "mcp-http.log").read_text())):
            assert server.poll() is None, (cwd / "mcp-http.log").read_text()
            assert time.monotonic() < deadline, "podium mcp --http did not say where it listens"
            time.sleep(0.05)
        url = told.group(1)
        host, port = url.split("/")[2].split(":")
        while True:  # it says where once bound: a connection waits until it serves
            with contextlib.suppress(OSError), socket.create_connection((host, int(port))):
                break
            assert server.poll() is None, (cwd / "mcp-http.log").read_text()
            assert time.monotonic() < deadline, "podium mcp --http did not listen"
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def post(url: str, headers: dict[str, str]) -> int:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as refusal:
        return refusal.code


def test_http_serves_only_requests_that_carry_the_users_token(
    conductor: ConductorProcess, tmp_path: Path
) -> None:
    write(tmp_path, GATED, "hello.yaml")
    conductor.submit(tmp_path / "hello.yaml")
    with http_server(conductor.env, tmp_path) as url:
        token = access_token(str(conductor.home))
        assert (Path(conductor.home) / "web.token").stat().st_mode & 0o777 == 0o600
        assert post(url, {}) == 401
        assert post(url, {"Authorization": "Bearer not-the-token"}) == 401
        assert post(url, {"Authorization": token}) == 401

        async def scenario() -> str:
            headers = {"Authorization": f"Bearer {token}"}
            async with (
                httpx2.AsyncClient(headers=headers) as http,
                streamable_http_client(url, http_client=http) as (read, send),
                ClientSession(read, send) as session,
            ):
                await session.initialize()
                return text(await ok(session, "job_status", job_id="hello"))

        assert "hello" in anyio.run(scenario)


def test_http_on_a_port_in_use_says_so_and_how_to_pick_another(
    conductor: ConductorProcess,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = subprocess.run(
            [PODIUM, "mcp", "--http", "--port", str(port)],
            env=conductor.env,
            check=False,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    assert refused.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in refused.stderr
    assert "another 'podium mcp --http'?" in refused.stderr and "--port N" in refused.stderr
