"""The method table: one entry per method, its types read back by the server, and routes
that refuse to start when the handlers and the table disagree."""

import subprocess
import sys
from typing import Any

import pytest

from podium.ipc.fleet_schema import FleetParams
from podium.ipc.methods import DAEMON_STATUS, JOB_STATUS, JOB_SUBMIT, METHODS, Method
from podium.ipc.routes import (
    BadParams,
    Handler,
    UnroutedMethods,
    params_types,
    routes,
    without_params,
)
from podium.ipc.schema import NoParams, SubmitParams


async def _answer(params: Any) -> Any:
    return params


def every_handler() -> list[Handler]:
    return [Handler(method, _answer) for method in METHODS]


def test_each_method_is_in_the_table_once_with_its_params_type() -> None:
    names = [m.name for m in METHODS]
    assert len(names) == len(set(names))
    types = params_types()
    assert set(types) == set(names)
    assert types["job.submit"] is SubmitParams
    assert types["daemon.status"] is NoParams
    assert types["fleet.cancel"] is FleetParams


def test_a_method_called_with_its_params_is_the_request_a_client_sends() -> None:
    call = JOB_STATUS({"job_id": "demo"})
    assert (call.method, call.params) == (JOB_STATUS, {"job_id": "demo"})
    assert repr(call) == "job.status({'job_id': 'demo'})"
    assert repr(DAEMON_STATUS) == "Method('daemon.status')"


def test_routes_validate_params_against_the_tables_type() -> None:
    served = routes(every_handler())
    assert set(served) == {m.name for m in METHODS}
    assert served["job.submit"].parse({"score_path": "/s.yaml"}) == {"score_path": "/s.yaml"}
    with pytest.raises(BadParams, match=r"params\.score_path: Field required"):
        served["job.submit"].parse({"job_id": "demo"})
    with pytest.raises(BadParams, match=r"params\.extra: Extra inputs are not permitted"):
        served["daemon.status"].parse({"extra": 1})


def test_a_method_without_params_is_checked_the_same_way_before_the_table_is_loaded() -> None:
    early = without_params(Handler(DAEMON_STATUS, _answer))
    assert early.parse({}) == {}
    with pytest.raises(BadParams, match=r"params\.extra: Extra inputs are not permitted"):
        early.parse({"extra": 1})
    with pytest.raises(BadParams, match=r"params: Input should be a valid dictionary, got 3"):
        early.parse(3)


def test_a_method_without_a_handler_stops_the_start_naming_it() -> None:
    handlers = [h for h in every_handler() if h.method is not JOB_SUBMIT]
    with pytest.raises(UnroutedMethods, match=r"no handler for job\.submit$"):
        routes(handlers)


def test_a_handler_of_a_method_not_in_the_table_stops_the_start_naming_it() -> None:
    stray: Method[NoParams, NoParams] = Method("job.frobnicate")
    with pytest.raises(
        UnroutedMethods,
        match=r"handlers for methods the table does not have: job\.frobnicate$",
    ):
        routes([*every_handler(), Handler(stray, _answer)])


def test_two_handlers_of_one_method_stop_the_start() -> None:
    with pytest.raises(UnroutedMethods, match=r"more than one handler for job\.status$"):
        routes([*every_handler(), Handler(JOB_STATUS, _answer)])


def test_importing_the_table_imports_none_of_its_types() -> None:
    """The CLI imports the table on every command: the TypedDicts (and what they import)
    are read by the server only."""
    code = (
        "import sys, podium.ipc.methods, podium.ipc.client; "
        "print(sorted(m for m in sys.modules if m.startswith(('podium.ipc', 'typing_ext', "
        "'pydantic'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        "['podium.ipc', 'podium.ipc.client', 'podium.ipc.lines', 'podium.ipc.methods', "
        "'podium.ipc.peers', 'podium.ipc.protocol']"
    )
