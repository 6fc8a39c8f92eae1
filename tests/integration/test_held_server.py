"""A held server (a starting conductor's) answers its early methods at once; a call of any
other method of the table waits until it opens, or is refused with the reason it never will;
a method the table does not have is answered at once."""

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.conductor.api.errors import ERROR_CODES
from podium.ipc.client import ConductorClient, RemoteError
from podium.ipc.methods import DAEMON_STATUS, JOB_LIST, Call
from podium.ipc.protocol import METHOD_NOT_FOUND, SHUTTING_DOWN
from podium.ipc.routes import Handler, Route, handle, without_params
from podium.ipc.schema import ListParams, ListResult, NoParams
from podium.ipc.server import RpcServer


@pytest.fixture
def socket_path() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="podium-"))  # short: socket paths are limited
    yield folder / "s.sock"
    shutil.rmtree(folder, ignore_errors=True)


async def status(_params: NoParams) -> Any:
    return {"state": "loading"}


async def listed(_params: ListParams) -> ListResult:
    return {"jobs": [], "total": 7}


def ask(path: Path, call: Call[Any, Any]) -> Any:
    with ConductorClient(str(path), timeout=10) as client:
        return client.request(call)


def early() -> dict[str, Route]:
    return {"daemon.status": without_params(handle(DAEMON_STATUS, status))}


def full() -> dict[str, Route]:
    handlers: list[Handler] = [handle(DAEMON_STATUS, status), handle(JOB_LIST, listed)]
    return {h.method.name: without_params(h) for h in handlers}


async def held(server: RpcServer, timeout: float = 10.0) -> None:
    """Until a call waits at the held server."""
    deadline = time.monotonic() + timeout
    while server.held_calls == 0:
        assert time.monotonic() < deadline, "no call reached the held server"
        await asyncio.sleep(0.005)


def test_a_call_waits_while_the_server_is_held_and_goes_on_once_it_opens(
    socket_path: Path,
) -> None:
    async def scenario() -> None:
        server = RpcServer(socket_path, early(), ERROR_CODES, held=True)
        await server.start()
        try:
            assert await asyncio.to_thread(ask, socket_path, DAEMON_STATUS({})) == {
                "state": "loading"
            }
            waiting = asyncio.ensure_future(asyncio.to_thread(ask, socket_path, JOB_LIST({})))
            await held(server)
            server.serve(full())
            assert not waiting.done()
            server.open()
            assert await waiting == {"jobs": [], "total": 7}
        finally:
            await server.close()

    asyncio.run(scenario())


def test_a_server_that_will_not_open_refuses_the_waiting_calls_with_the_reason(
    socket_path: Path,
) -> None:
    async def scenario() -> None:
        server = RpcServer(socket_path, early(), ERROR_CODES, held=True)
        await server.start()
        try:
            waiting = asyncio.ensure_future(asyncio.to_thread(ask, socket_path, JOB_LIST({})))
            await held(server)
            server.refuse("the conductor could not start: conductor.yaml: bad")
            with pytest.raises(RemoteError, match=r"could not start: conductor\.yaml: bad") as got:
                await waiting
            assert got.value.code == SHUTTING_DOWN
            with pytest.raises(RemoteError, match="could not start"):
                await asyncio.to_thread(ask, socket_path, JOB_LIST({}))
            assert await asyncio.to_thread(ask, socket_path, DAEMON_STATUS({})) == {
                "state": "loading"
            }
        finally:
            await server.close()

    asyncio.run(scenario())


def test_an_unknown_method_is_answered_at_once_while_held(socket_path: Path) -> None:
    async def scenario() -> None:
        server = RpcServer(socket_path, early(), ERROR_CODES, held=True)
        await server.start()
        try:
            with (
                ConductorClient(str(socket_path), timeout=10) as client,
                pytest.raises(RemoteError, match=r'unknown method "job\.frobnicate"') as got,
            ):
                await asyncio.to_thread(client.call, "job.frobnicate", {})
            assert got.value.code == METHOD_NOT_FOUND
        finally:
            await server.close()

    asyncio.run(scenario())
