"""Malformed requests on the conductor's socket: each gets its JSON-RPC error, on a connection
that stays open, and the conductor neither coerces a parameter nor prints a traceback."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium.conductor.api.approvals import ApprovalsApi
from podium.conductor.api.conductor import ConductorApi
from podium.conductor.api.fleets import FleetApi
from podium.conductor.api.inspection import InspectionApi
from podium.conductor.api.instruments import InstrumentsApi
from podium.conductor.api.jobs import JobsApi
from podium.conductor.api.live import LiveApi
from podium.ipc import protocol
from podium.ipc.methods import DAEMON_SHUTDOWN, DAEMON_STATUS
from podium.ipc.routes import Route, routes
from podium.testing.conductor import ConductorProcess


class RawClient:
    """One socket to the conductor, writing whatever bytes a test gives it."""

    def __init__(self, path: Path) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(20)
        self._sock.connect(str(path))
        self._file = self._sock.makefile("rb")

    def send(self, frame: bytes) -> dict[str, Any]:
        self._sock.sendall(frame + b"\n")
        line = self._file.readline()
        assert line, f"the conductor closed the connection without answering {frame[:120]!r}"
        reply: dict[str, Any] = json.loads(line)
        return reply

    def call(self, method: str, params: Any, request_id: Any = 1) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        return self.send(json.dumps(message).encode())

    def close(self) -> None:
        self._file.close()
        self._sock.close()


@pytest.fixture(scope="module")
def conductor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConductorProcess]:
    with ConductorProcess(tmp_path_factory.mktemp("ipc") / "home") as started:
        yield started


@pytest.fixture
def raw(conductor: ConductorProcess) -> Iterator[RawClient]:
    client = RawClient(conductor.socket)
    yield client
    client.close()
    assert conductor.request(DAEMON_STATUS({}))["state"] == "ready"
    assert "Traceback" not in conductor.log


def _error(reply: dict[str, Any]) -> tuple[int, str]:
    assert "error" in reply, f"expected an error, got {reply}"
    return reply["error"]["code"], reply["error"]["message"]


FRAMES = [
    (
        b'{"jsonrpc":"2.0","id":1,"method":"job.status","params":{"job_id":"\\ud800"}}',
        protocol.PARSE_ERROR,
        "lone surrogate",
    ),
    (b'{"jsonrpc":"2.0","id":1,"method":"\\udfff"}', protocol.PARSE_ERROR, "lone surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, protocol.PARSE_ERROR, "nested deeper than"),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"limit":'
        + b"[" * 50
        + b"]" * 50
        + b"}}",
        protocol.PARSE_ERROR,
        "nested deeper than",
    ),
    (
        b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"daemon.status"}',
        protocol.PARSE_ERROR,
        "not JSON",
    ),
    (b'{"jsonrpc":"2.0","id":NaN,"method":"daemon.status"}', protocol.PARSE_ERROR, "NaN"),
    (b"\xff\xfe", protocol.PARSE_ERROR, "not JSON"),
    (b"{", protocol.PARSE_ERROR, "not JSON"),
    (b"[]", protocol.INVALID_REQUEST, "JSON-RPC 2.0 request object"),
    (b'{"id":1,"method":"daemon.status"}', protocol.INVALID_REQUEST, '"jsonrpc": "2.0"'),
    (
        b'{"jsonrpc":"2.0","id":' + b"9" * 100 + b',"method":"daemon.status"}',
        protocol.INVALID_REQUEST,
        "the id must be",
    ),
    (
        b'{"jsonrpc":"2.0","id":true,"method":"daemon.status"}',
        protocol.INVALID_REQUEST,
        "got true (boolean)",
    ),
    (
        b'{"jsonrpc":"2.0","id":1.5,"method":"daemon.status"}',
        protocol.INVALID_REQUEST,
        "got 1.5 (number)",
    ),
    (
        b'{"jsonrpc":"2.0","id":[1],"method":"daemon.status"}',
        protocol.INVALID_REQUEST,
        "got [1] (array)",
    ),
    (
        b'{"jsonrpc":"2.0","id":1,"method":7}',
        protocol.INVALID_REQUEST,
        "the method must be a string, got 7 (integer)",
    ),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"daemon.status","extra":1}',
        protocol.INVALID_REQUEST,
        "unknown member(s) 'extra'",
    ),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"limit":1e400}}',
        protocol.INVALID_PARAMS,
        "params.limit: a number out of range",
    ),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"limit":' + b"9" * 4000 + b"}}",
        protocol.INVALID_PARAMS,
        "params.limit: a number out of range",
    ),
]


@pytest.mark.parametrize(("frame", "code", "says"), FRAMES, ids=lambda v: repr(v)[:40])
def test_a_malformed_frame_gets_its_json_rpc_error(
    raw: RawClient, frame: bytes, code: int, says: str
) -> None:
    found, message = _error(raw.send(frame))
    assert found == code, message
    assert says in message


WRONG_PARAMS = [
    (
        "daemon.shutdown",
        {"drain": "yes"},
        'params.drain: Input should be a valid boolean, got "yes" (string)',
    ),
    ("daemon.shutdown", {"force": 1}, "params.force: Input should be a valid boolean, got 1"),
    ("job.list", {"limit": True}, "params.limit: Input should be a valid integer, got true"),
    ("job.list", {"limit": 2.0}, "params.limit: Input should be a valid integer, got 2.0"),
    ("job.list", {"limit": "5"}, 'params.limit: Input should be a valid integer, got "5"'),
    ("job.list", {"limit": None}, "params.limit: Input should be a valid integer, got null"),
    ("job.list", {"statuses": "failed"}, "params.statuses: Input should be a valid list"),
    ("job.list", {"statuses": [1]}, "params.statuses[0]: Input should be a valid string"),
    ("job.list", {"limits": 5}, "params.limits: Extra inputs are not permitted, got 5"),
    ("job.status", {}, "params.job_id: Field required"),
    ("job.status", {"job_id": None}, "params.job_id: Input should be a valid string, got null"),
    ("job.status", {"job_id": 3}, "params.job_id: Input should be a valid string, got 3"),
    ("job.status", [], "params: Input should be a valid dictionary, got [] (array)"),
    ("job.status", "j", 'params: Input should be a valid dictionary, got "j" (string)'),
    ("job.status", None, "params: Input should be a valid dictionary, got null"),
    ("job.submit", {"score_path": "s.yaml", "start_sheet": 1.5}, "params.start_sheet"),
    ("job.submit", {"score_path": "s.yaml", "fresh": "true"}, "params.fresh"),
    ("job.recover", {"job_id": "j", "sheets": [1, "2"]}, "params.sheets[1]"),
    ("job.clear", {"older_than_seconds": "1"}, "params.older_than_seconds"),
    (
        "job.logs",
        {
            "job_id": "j",
            "cursors": [{"sheet": 1, "attempt": 1, "stdout": 0, "stderr": 0, "more": 1}],
        },
        "params.cursors[0].more: Extra inputs are not permitted",
    ),
    ("job.history", {"job_id": "j", "limit": 2**70}, "params.limit: a number out of range"),
    ("daemon.status", {"verbose": True}, "params.verbose: Extra inputs are not permitted"),
    ("job.submit", {"score_path": "a\x00b"}, "params.score_path: text with a NUL character"),
    ("fleet.submit", {"path": "\x00"}, "params.path: text with a NUL character"),
    ("fleet.list", {"all": 0}, "params.all: Input should be a valid boolean, got 0"),
]


@pytest.mark.parametrize(("name", "params", "says"), WRONG_PARAMS, ids=lambda v: repr(v)[:40])
def test_parameters_of_the_wrong_type_are_refused_not_coerced(
    raw: RawClient, name: str, params: Any, says: str
) -> None:
    reply = raw.call(name, params, request_id="r-7")
    assert reply["id"] == "r-7"
    code, message = _error(reply)
    assert code == protocol.INVALID_PARAMS, message
    assert f"bad parameters for '{name}'" in message
    assert says in message


def test_an_oversized_frame_is_answered_before_the_connection_closes(
    conductor: ConductorProcess,
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(20)
        sock.connect(str(conductor.socket))
        sock.sendall(b"[" + b"1," * (protocol.MAX_REQUEST_BYTES // 2) + b"1]\n")
        reply = json.loads(sock.makefile("rb").readline())
    assert _error(reply) == (
        protocol.INVALID_REQUEST,
        f"message larger than {protocol.MAX_REQUEST_BYTES} bytes",
    )
    assert conductor.request(DAEMON_STATUS({}))["state"] == "ready"


def _registered() -> dict[str, Route]:
    # The handlers are read from the classes that offer them; no instance is used.
    handlers = []
    for api in (
        ConductorApi,
        JobsApi,
        InspectionApi,
        FleetApi,
        InstrumentsApi,
        ApprovalsApi,
        LiveApi,
    ):
        handlers += api.handlers(object.__new__(api))  # type: ignore[arg-type]
    found = routes(handlers)
    found.pop(DAEMON_SHUTDOWN.name)  # a valid call would stop the conductor under test
    return found


METHODS = _registered()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(METHODS)))
    fields = sorted(_fields(METHODS[name]))
    named = (
        st.dictionaries(st.sampled_from(fields), json_values, max_size=4)
        if fields
        else st.nothing()
    )
    return name, draw(json_values | named)


def _fields(found: Route) -> set[str]:
    assert found.params is not None  # every route of the full table has its params' type
    schema = found.params.core_schema
    typed = schema["items_schema"][0]
    while "fields" not in typed:
        typed = typed["schema"]
    return set(typed["fields"])


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=calls())
def test_any_json_as_params_gets_a_result_or_a_json_rpc_error(
    raw: RawClient, conductor: ConductorProcess, call: tuple[str, Any]
) -> None:
    name, params = call
    if METHODS[name].streams:  # an answer, then events: on a connection of its own
        streaming = RawClient(conductor.socket)
        try:
            reply = streaming.call(name, params, request_id=41)
        finally:
            streaming.close()
    else:
        reply = raw.call(name, params, request_id=41)
    assert reply["id"] == 41
    assert ("result" in reply) != ("error" in reply), reply
    if "error" in reply:
        assert reply["error"]["code"] != protocol.INTERNAL_ERROR, (name, params, reply)


def test_a_score_path_naming_an_endless_file_is_refused_without_reading_it_whole(
    raw: RawClient,
) -> None:
    code, message = _error(raw.call("job.submit", {"score_path": "/dev/zero"}))
    assert code == protocol.INVALID_SCORE
    assert "/dev/zero is not a regular file (a character device)" in message
