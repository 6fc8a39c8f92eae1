"""The scripted provider on a real loopback socket, spoken to as the agent CLIs speak to it."""

import http.client
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from podium.testing.provider import ScenarioError, ScriptedProvider

Json = Any

WRITE_SCHEMA = {
    "type": "object",
    "properties": {"file_path": {"type": "string"}, "content": {"type": "string"}},
    "required": ["file_path", "content"],
}
EXEC_SCHEMA = {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}
PROMPT = "Create hello.txt.\nPrimary working directory: /ws"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedProvider]:
    log = tmp_path_factory.mktemp("provider") / "requests.jsonl"
    with ScriptedProvider(log_path=log) as running:
        yield running


class Reply:
    def __init__(self, status: int, headers: http.client.HTTPMessage, raw: bytes) -> None:
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self) -> Json:
        return json.loads(self.raw)

    @property
    def events(self) -> list[tuple[str | None, Json]]:
        """The SSE events as (event name, decoded data); `[DONE]` is kept as a string."""
        found = []
        for block in self.raw.decode().split("\n\n"):
            if not block.strip():
                continue
            lines = dict(line.split(": ", 1) for line in block.splitlines())
            data = lines["data"]
            found.append((lines.get("event"), data if data == "[DONE]" else json.loads(data)))
        return found


def call(url: str, body: Json = None, method: str = "POST") -> Reply:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


# Each API: how to ask it, where its reply says what the model said.


def anthropic(stream: bool, tools: list[Json] | None = None, after_tool: bool = False) -> Json:
    messages: list[Json] = [{"role": "user", "content": PROMPT}]
    if after_tool:
        messages += [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "Write", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
            },
        ]
    body = {"model": "claude-x", "max_tokens": 100, "stream": stream, "messages": messages}
    if tools is not None:
        body["tools"] = tools
    return body


def chat(stream: bool, tools: list[Json] | None = None, after_tool: bool = False) -> Json:
    messages: list[Json] = [
        {"role": "system", "content": "Working directory: /ws"},
        {"role": "user", "content": "Create hello.txt"},
    ]
    if after_tool:
        messages.append({"role": "tool", "tool_call_id": "c1", "content": "ok"})
    body: Json = {
        "model": "gpt-x",
        "stream": stream,
        "messages": messages,
        "stream_options": {"include_usage": True},
    }
    if tools is not None:
        body["tools"] = tools
    return body


def responses(stream: bool, tools: list[Json] | None = None, after_tool: bool = False) -> Json:
    items: list[Json] = [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "<cwd>/ws</cwd>"}],
        }
    ]
    if after_tool:
        items.append({"type": "function_call_output", "call_id": "c1", "output": "ok"})
    return {
        "model": "gpt-x",
        "instructions": "be brief",
        "input": items,
        "stream": stream,
        "tools": tools or [],
    }


def gemini(tools: list[Json] | None = None, after_tool: bool = False) -> Json:
    contents: list[Json] = [{"role": "user", "parts": [{"text": "Create hello.txt"}]}]
    if after_tool:
        contents.append(
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "write_file", "response": {}}}],
            }
        )
    body: Json = {
        "contents": contents,
        "systemInstruction": {"parts": [{"text": "Workspace Directories:\n  - /ws\n"}]},
    }
    if tools is not None:
        body["tools"] = [{"functionDeclarations": tools}]
    return body


GEMINI_JSON = "/v1beta/models/gem-x:generateContent"
GEMINI_SSE = "/v1beta/models/gem-x:streamGenerateContent?alt=sse"


def said_anthropic(reply: Reply) -> str:
    if reply.headers["Content-Type"] == "application/json":
        return "".join(block["text"] for block in reply.json["content"])
    deltas = [data["delta"] for name, data in reply.events if name == "content_block_delta"]
    return "".join(delta["text"] for delta in deltas)


def said_chat(reply: Reply) -> str:
    if reply.headers["Content-Type"] == "application/json":
        return str(reply.json["choices"][0]["message"]["content"])
    chunks = [data for _, data in reply.events if data != "[DONE]" and data["choices"]]
    return "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)


def said_responses(reply: Reply) -> str:
    if reply.headers["Content-Type"] == "application/json":
        return str(reply.json["output"][0]["content"][0]["text"])
    return "".join(d["delta"] for n, d in reply.events if n == "response.output_text.delta")


def said_gemini(reply: Reply) -> str:
    chunks = (
        [reply.json]
        if reply.headers["Content-Type"] == "application/json"
        else [data for _, data in reply.events]
    )
    return "".join(part["text"] for c in chunks for part in c["candidates"][0]["content"]["parts"])


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_text_reply_in_each_api(provider: ScriptedProvider, stream: bool) -> None:
    base = provider.base_url("text", tag=f"text-{stream}")
    hello = "Hello from the scripted provider."
    assert said_anthropic(call(base + "/v1/messages", anthropic(stream))) == hello
    assert said_chat(call(base + "/v1/chat/completions", chat(stream))) == hello
    assert said_responses(call(base + "/v1/responses", responses(stream))) == hello
    assert said_gemini(call(base + (GEMINI_SSE if stream else GEMINI_JSON), gemini())) == hello
    logged = provider.requests(tag=f"text-{stream}")
    assert [(r.api, r.status, r.stream) for r in logged] == [
        ("anthropic", 200, stream),
        ("chat", 200, stream),
        ("responses", 200, stream),
        ("gemini", 200, stream),
    ]


def test_anthropic_stream_is_the_event_sequence_with_usage(provider: ScriptedProvider) -> None:
    reply = call(provider.base_url("text") + "/v1/messages", anthropic(True))
    names = [name for name, _ in reply.events]
    assert reply.headers["Content-Type"] == "text/event-stream"
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = reply.events[0][1]["message"]
    assert start["model"] == "claude-x" and start["usage"]["input_tokens"] > 0
    assert reply.events[5][1]["delta"]["stop_reason"] == "end_turn"


def test_chat_stream_ends_with_usage_then_done(provider: ScriptedProvider) -> None:
    reply = call(provider.base_url("text") + "/v1/chat/completions", chat(True))
    *_, (_, usage_chunk), (_, done) = reply.events
    assert done == "[DONE]"
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["total_tokens"] > 0
    plain = call(
        provider.base_url("text") + "/v1/chat/completions", {**chat(True), "stream_options": {}}
    )
    assert all(data == "[DONE]" or data["choices"] for _, data in plain.events)


def test_responses_stream_has_the_events_codex_reads(provider: ScriptedProvider) -> None:
    reply = call(provider.base_url("text") + "/v1/responses", responses(True))
    names = [name for name, _ in reply.events]
    assert names[0] == "response.created" and names[-1] == "response.completed"
    assert "response.output_item.done" in names
    completed = reply.events[-1][1]["response"]
    assert completed["status"] == "completed" and completed["usage"]["output_tokens"] > 0
    assert [d["sequence_number"] for _, d in reply.events] == list(range(len(names)))


def test_write_is_a_tool_call_in_each_apis_shape(provider: ScriptedProvider) -> None:
    base = provider.base_url("write", file="out.txt", content="hi there")
    tool = {"name": "Write", "input_schema": WRITE_SCHEMA}
    block = call(base + "/v1/messages", anthropic(False, [tool])).json["content"][0]
    assert block["type"] == "tool_use" and block["name"] == "Write"
    assert block["input"] == {"file_path": "/ws/out.txt", "content": "hi there\n"}

    function = {"type": "function", "function": {"name": "write", "parameters": WRITE_SCHEMA}}
    choice = call(base + "/v1/chat/completions", chat(False, [function])).json["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    arguments = json.loads(choice["message"]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"file_path": "/ws/out.txt", "content": "hi there\n"}

    tools = [{"type": "function", "name": "exec_command", "parameters": EXEC_SCHEMA}]
    item = call(base + "/v1/responses", responses(False, tools)).json["output"][0]
    assert item["type"] == "function_call" and item["name"] == "exec_command"
    assert json.loads(item["arguments"]) == {"cmd": "printf '%s\\n' 'hi there' > out.txt"}

    declaration = {"name": "write_file", "parametersJsonSchema": WRITE_SCHEMA}
    part = call(base + GEMINI_JSON, gemini([declaration])).json["candidates"][0]["content"]
    assert part["parts"][0]["functionCall"] == {
        "name": "write_file",
        "args": {"file_path": "/ws/out.txt", "content": "hi there\n"},
    }


def test_write_streams_tool_calls_too(provider: ScriptedProvider) -> None:
    base = provider.base_url("write")
    tool = {"name": "Write", "input_schema": WRITE_SCHEMA}
    events = call(base + "/v1/messages", anthropic(True, [tool])).events
    partial = [d["delta"]["partial_json"] for n, d in events if n == "content_block_delta"]
    assert json.loads("".join(partial))["file_path"] == "/ws/hello.txt"
    assert events[5][1]["delta"]["stop_reason"] == "tool_use"

    function = {"type": "function", "function": {"name": "write", "parameters": WRITE_SCHEMA}}
    chunks = [d for _, d in call(base + "/v1/chat/completions", chat(True, [function])).events]
    calls = [
        c["choices"][0]["delta"]["tool_calls"]
        for c in chunks[:-1]
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0][0]["function"]["name"] == "write"

    patch = [
        {"type": "custom", "name": "apply_patch"},
        {"type": "function", "name": "exec_command", "parameters": EXEC_SCHEMA},
    ]
    events = call(base + "/v1/responses", responses(True, patch)).events
    done = next(d["item"] for n, d in events if n == "response.output_item.done")
    assert done["type"] == "custom_tool_call" and "*** Add File: hello.txt" in done["input"]


def test_write_without_tools_is_an_edit_block(provider: ScriptedProvider) -> None:
    text = said_chat(call(provider.base_url("write") + "/v1/chat/completions", chat(False)))
    assert text.startswith("hello.txt\n```\n<<<<<<< SEARCH\n=======\n")
    assert "hello from the scripted provider\n>>>>>>> REPLACE" in text


def test_write_says_done_after_the_tool_result(provider: ScriptedProvider) -> None:
    base = provider.base_url("write")
    tool = [{"name": "Write", "input_schema": WRITE_SCHEMA}]
    assert said_anthropic(call(base + "/v1/messages", anthropic(False, tool, True))) == "Done."
    assert said_chat(call(base + "/v1/chat/completions", chat(True, [], True))) == "Done."
    assert said_responses(call(base + "/v1/responses", responses(True, [], True))) == "Done."
    assert said_gemini(call(base + GEMINI_SSE, gemini([], True))) == "Done."


ERROR_SHAPES = {
    # kind: (anthropic status, anthropic type, openai status, openai code, gemini status)
    "429": (429, "rate_limit_error", 429, "rate_limit_exceeded", "RESOURCE_EXHAUSTED"),
    "quota": (429, "rate_limit_error", 429, "insufficient_quota", "RESOURCE_EXHAUSTED"),
    "401": (401, "authentication_error", 401, "invalid_api_key", "UNAUTHENTICATED"),
    "403": (403, "permission_error", 403, "permission_denied", "PERMISSION_DENIED"),
    "500": (500, "api_error", 500, None, "INTERNAL"),
    "503": (503, "api_error", 503, None, "UNAVAILABLE"),
    "529": (529, "overloaded_error", 503, None, "UNAVAILABLE"),
}


@pytest.mark.parametrize("kind", sorted(ERROR_SHAPES))
def test_each_error_has_the_providers_own_status_and_body(
    provider: ScriptedProvider, kind: str
) -> None:
    a_status, a_type, o_status, o_code, g_status = ERROR_SHAPES[kind]
    base = provider.base_url(kind, retry_after=7)

    reply = call(base + "/v1/messages", anthropic(True))
    assert reply.status == a_status
    assert reply.json["type"] == "error" and reply.json["error"]["type"] == a_type
    for path, body in (("/v1/chat/completions", chat(True)), ("/v1/responses", responses(True))):
        reply = call(base + path, body)
        assert reply.status == o_status
        assert set(reply.json["error"]) == {"message", "type", "param", "code"}
        assert reply.json["error"]["code"] == o_code
    reply = call(base + GEMINI_SSE, gemini())
    assert reply.status == (429 if kind == "quota" else o_status)
    assert reply.json["error"]["code"] == reply.status
    assert reply.json["error"]["status"] == g_status
    assert reply.json["error"]["message"]


def test_rate_limits_say_when_to_try_again(provider: ScriptedProvider) -> None:
    base = provider.base_url("429", retry_after=3)
    for path, body in (
        ("/v1/messages", anthropic(False)),
        ("/v1/chat/completions", chat(False)),
        ("/v1/responses", responses(False)),
        (GEMINI_JSON, gemini()),
    ):
        reply = call(base + path, body)
        assert reply.headers["retry-after"] == "3"
        assert "Please try again in 3s." in json.dumps(reply.json)
    details = call(base + GEMINI_JSON, gemini()).json["error"]["details"]
    assert details[0]["retryDelay"] == "3s"
    quota = call(provider.base_url("quota") + "/v1/chat/completions", chat(False)).json
    assert quota["error"]["type"] == "insufficient_quota"
    assert "exceeded your current quota" in quota["error"]["message"]


def test_fail_first_fails_that_many_requests_of_the_prefix_then_replies(
    provider: ScriptedProvider,
) -> None:
    base = provider.base_url("503", fail_first=2, then="write", tag="ff")
    tools = [{"name": "Write", "input_schema": WRITE_SCHEMA}]
    statuses = [call(base + "/v1/messages", anthropic(False, tools)).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (
        call(base + "/v1/messages", anthropic(False, tools)).json["content"][0]["name"] == "Write"
    )
    other = provider.base_url("503", fail_first=2, then="write", tag="ff-other")
    assert call(other + "/v1/messages", anthropic(False)).status == 503
    assert [r.status for r in provider.requests(tag="ff")] == [503, 503, 200, 200]


def test_fail_for_fails_until_the_seconds_have_passed(provider: ScriptedProvider) -> None:
    base = provider.base_url("429", fail_for=0.5, tag="ffor")
    statuses = [call(base + "/v1/chat/completions", chat(False)).status]
    while statuses[-1] != 200 and len(statuses) < 2000:
        threading.Event().wait(0.01)
        statuses.append(call(base + "/v1/chat/completions", chat(False)).status)
    assert statuses[0] == 429
    assert statuses[-1] == 200
    assert said_chat(call(base + "/v1/chat/completions", chat(False))) == (
        "Hello from the scripted provider."
    )


def test_the_gemini_router_gets_json_valid_for_its_schema(provider: ScriptedProvider) -> None:
    schema = {
        "type": "object",
        "properties": {
            "complexity_reasoning": {"type": "string"},
            "complexity_score": {"type": "integer", "minimum": 1, "maximum": 100},
        },
        "required": ["complexity_reasoning", "complexity_score"],
    }
    body = {
        **gemini(),
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": schema},
    }
    answer = json.loads(said_gemini(call(provider.base_url("write") + GEMINI_JSON, body)))
    assert answer == {"complexity_reasoning": "scripted", "complexity_score": 1}
    legacy = {
        **gemini(),
        "generationConfig": {
            "responseSchema": {
                "type": "OBJECT",
                "properties": {"next_speaker": {"type": "STRING", "enum": ["user", "model"]}},
                "required": ["next_speaker"],
            }
        },
    }
    answer = json.loads(said_gemini(call(provider.base_url("text") + GEMINI_SSE, legacy)))
    assert answer == {"next_speaker": "user"}


def test_side_calls_count_tokens_and_list_models(provider: ScriptedProvider) -> None:
    base = provider.base_url("401", tag="side")
    assert call(base + "/v1/messages/count_tokens", anthropic(False)).json["input_tokens"] > 0
    assert call(base + "/v1beta/models/g:countTokens", gemini()).json["totalTokens"] > 0
    models = call(base + "/v1/models", method="GET").json
    assert models["data"][0]["id"] == "scripted-model"
    assert call(base + "/v1beta/models", method="GET").json["models"]
    assert {r.api for r in provider.requests(tag="side")} == {"count_tokens", "models"}


def test_unknown_paths_and_scenarios_are_refused_with_a_reason(provider: ScriptedProvider) -> None:
    nothing = call(provider.url + "/v1/messages", anthropic(False))
    assert nothing.status == 404 and "names no scenario" in nothing.json["error"]["message"]
    wrong = call(provider.url + "/s/teapot/v1/messages", anthropic(False))
    assert wrong.status == 404 and "unknown scenario 'teapot'" in wrong.json["error"]["message"]
    missing = call(provider.base_url("text") + "/v2/anything", {})
    assert missing.status == 404 and "no such endpoint" in missing.json["error"]["message"]
    not_json = call(provider.base_url("text") + "/v1/messages", "not an object")
    assert not_json.status == 400 and "not a JSON object" in not_json.json["error"]["message"]
    odd = call(provider.base_url("text") + "/v1/chat/completions", {"messages": ["hi"]})
    assert odd.status == 400 and "unexpected shape" in odd.json["error"]["message"]
    with pytest.raises(ScenarioError, match="unknown scenario"):
        provider.base_url("teapot")


def test_slow_answers_after_its_delay_and_stall_stops_mid_stream(
    provider: ScriptedProvider,
) -> None:
    slow = call(provider.base_url("slow", delay=0.2) + "/v1/messages", anthropic(True))
    assert said_anthropic(slow) == "Hello from the scripted provider."
    stalled = call(provider.base_url("stall", delay=0.2) + "/v1/messages", anthropic(True))
    assert stalled.status == 200
    assert [name for name, _ in stalled.events] == ["message_start"]
    with pytest.raises(http.client.RemoteDisconnected):
        call(provider.base_url("stall", delay=0.2, tag="st") + "/v1/messages", anthropic(False))
    assert provider.requests(tag="st")[0].status == 0


def test_requests_are_recorded_and_logged_as_json_lines(provider: ScriptedProvider) -> None:
    tools = [{"name": "Write", "input_schema": WRITE_SCHEMA}]
    call(provider.base_url("text", tag="logged") + "/v1/messages", anthropic(True, tools))
    (record,) = provider.requests(tag="logged")
    assert (record.api, record.status, record.stream, record.model, record.tools) == (
        "anthropic",
        200,
        True,
        "claude-x",
        ("Write",),
    )
    assert record.path == "/s/text,tag=logged/v1/messages"
    assert provider.log_path is not None
    lines = [json.loads(line) for line in provider.log_path.read_text().splitlines()]
    assert {"api": "anthropic", "tag": "logged", "tools": ["Write"]}.items() <= next(
        line for line in lines if line["tag"] == "logged"
    ).items()


def test_the_trap_refuses_every_proxied_request_and_records_its_target(
    provider: ScriptedProvider,
) -> None:
    trap = urlsplit(provider.trap_url)
    conn = http.client.HTTPConnection(trap.hostname or "", trap.port, timeout=10)
    conn.set_tunnel("api.example.com", 443)
    with pytest.raises(OSError, match="403"):
        conn.connect()
    conn.close()
    conn = http.client.HTTPConnection(trap.hostname or "", trap.port, timeout=10)
    conn.request("GET", "http://telemetry.example.com/ping")
    assert conn.getresponse().status == 403
    conn.close()
    attempts = provider.trap_attempts
    assert "api.example.com:443" in attempts
    assert "http://telemetry.example.com/ping" in attempts


def listening_addresses(port: int) -> set[str]:
    """The local addresses LISTENing on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_both_servers_listen_on_loopback_only(provider: ScriptedProvider) -> None:
    for url in (provider.url, provider.trap_url):
        assert urlsplit(url).hostname == "127.0.0.1"
        assert listening_addresses(urlsplit(url).port or 0) == {"0100007F"}


def test_stop_ends_a_held_stream_and_frees_the_ports(tmp_path: Path) -> None:
    provider = ScriptedProvider().start()
    base = provider.base_url("stall")
    port = urlsplit(provider.url).port or 0
    first_event = threading.Event()
    result: list[Reply] = []

    def hold() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            urlsplit(base).path + "/v1/messages",
            body=json.dumps(anthropic(True)),
            headers={"Content-Type": "x"},
        )
        response = conn.getresponse()
        response.fp.readline()
        first_event.set()
        result.append(Reply(response.status, response.headers, response.read()))

    reader = threading.Thread(target=hold)
    reader.start()
    assert first_event.wait(10)
    provider.stop()
    reader.join(20)
    assert not reader.is_alive()
    assert result[0].status == 200
    assert listening_addresses(port) == set()


def test_a_taken_port_is_refused_and_leaves_nothing_bound(provider: ScriptedProvider) -> None:
    taken = urlsplit(provider.url).port or 0
    clash = ScriptedProvider(port=0, trap_port=taken)
    with pytest.raises(OSError):
        clash.start()
    with pytest.raises(RuntimeError, match="not started"):
        _ = clash.url


def test_the_command_line_prints_the_settings_and_serves_until_terminated() -> None:
    command = [sys.executable, "-m", "podium.testing.provider", "--port", "0", "--trap-port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("scripted provider: http://127.0.0.1:")
        url = first.split()[2]
        printed = [child.stdout.readline() for _ in range(9)]
        assert any(line.startswith("claude:     ANTHROPIC_BASE_URL=") for line in printed)
        trap = printed[0].split()[2]
        assert proxy_settings(printed) == {
            **dict.fromkeys(PROXY_NAMES, trap),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        assert said_chat(call(url + "/s/text/v1/chat/completions", chat(False))) == (
            "Hello from the scripted provider."
        )
        child.send_signal(signal.SIGTERM)
        assert child.wait(10) == 0


PROXY_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def proxy_settings(printed: list[str]) -> dict[str, str]:
    """What bash sets when it runs the printed `export` lines, as a user pastes them."""
    exports = "".join(line.strip() + "\n" for line in printed if line.strip().startswith("export "))
    names = (*PROXY_NAMES, "NO_PROXY", "no_proxy")
    script = exports + "".join(f'printf "%s=%s\\n" {name} "${{{name}-}}"\n' for name in names)
    done = subprocess.run(
        ["bash", "-euc", script], env={}, capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if not line.endswith("="))
