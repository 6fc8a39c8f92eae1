"""A request line is decoded, bounded and checked before any method sees it."""

from typing import Any

import pytest

from podium.ipc import protocol
from podium.ipc.wire import MAX_DEPTH, Refusal, Request, read_request, shown, unacceptable


def test_a_well_formed_request_is_read_with_its_id() -> None:
    found = read_request(b'{"jsonrpc":"2.0","id":"a","method":"job.list","params":{"all":true}}')
    assert found == Request("job.list", {"all": True}, "a", has_id=True)


def test_a_notification_has_no_id_and_params_default_to_an_object() -> None:
    assert read_request(b'{"jsonrpc":"2.0","method":"daemon.status"}') == Request(
        "daemon.status", {}, None, has_id=False
    )


def test_nesting_is_allowed_up_to_the_limit() -> None:
    fits = b"[" * (MAX_DEPTH - 2) + b"]" * (MAX_DEPTH - 2)
    line = b'{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":' + fits + b"}}"
    assert isinstance(read_request(line), Request)
    deeper = line.replace(b"[", b"[[", 1).replace(b"]", b"]]", 1)
    refused = read_request(deeper)
    assert isinstance(refused, Refusal) and refused.code == protocol.PARSE_ERROR


def test_a_surrogate_pair_is_text_but_a_lone_surrogate_is_refused() -> None:
    pair = read_request(b'{"jsonrpc":"2.0","id":1,"method":"\\ud83d\\ude00"}')
    assert isinstance(pair, Request) and pair.method == "\U0001f600"
    lone = read_request(b'{"jsonrpc":"2.0","id":1,"method":"m","params":{"\\ud800":1}}')
    assert lone == Refusal(
        protocol.PARSE_ERROR, "not JSON Podium accepts: the key '\\ud800' holds a lone surrogate"
    )


@pytest.mark.parametrize("request_id", [None, 0, -(2**53), 2**53, "x" * 200])
def test_sane_ids_are_accepted(request_id: Any) -> None:
    assert isinstance(read_request(_line(request_id)), Request)


@pytest.mark.parametrize("request_id", [True, 1.0, 2**53 + 1, "x" * 201, {}, []])
def test_other_ids_are_an_invalid_request_answered_with_a_null_id(request_id: Any) -> None:
    refused = read_request(_line(request_id))
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.request_id) == (protocol.INVALID_REQUEST, None)


def _line(request_id: Any) -> bytes:
    return protocol.encode({"jsonrpc": "2.0", "id": request_id, "method": "m"})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"a": [1, 2**63]}, "params.a[1]: a number out of range"),
        ({"a": {"b": float("inf")}}, "params.a.b: a number out of range"),
        ({"path": "x\x00y"}, 'params.path: text with a NUL character, got "x\\u0000y" (string)'),
    ],
)
def test_values_no_parameter_may_be_are_named_by_their_path(params: Any, message: str) -> None:
    refused = unacceptable(params)
    assert refused is not None and refused.code == protocol.INVALID_PARAMS
    assert refused.message.startswith(message)


def test_acceptable_params_pass() -> None:
    assert unacceptable({"limit": 2**63 - 1, "older": -1.5, "names": ["a"], "x": None}) is None


def test_a_shown_value_is_cut_short_and_typed() -> None:
    assert shown("y" * 500) == '"' + "y" * 78 + "… (string)"
    assert shown(float("nan")) == "nan (number)"
    assert shown({"a": 1}) == '{"a": 1} (object)'
