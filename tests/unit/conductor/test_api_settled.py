"""Which methods wait for the engine's step under way before they answer."""

import asyncio
from typing import Any

from podium.conductor.api.settled import after_commit
from podium.ipc import methods
from podium.ipc.routes import Handler


def test_readers_of_the_store_wait_for_the_step_under_way_and_submissions_do_not() -> None:
    told: list[str] = []

    async def settled() -> None:
        told.append("settled")

    def answering(name: str) -> Handler:
        async def call(params: Any) -> str:
            told.append(name)
            return name

        return Handler(next(m for m in methods.METHODS if m.name == name), call)

    wrapped = {
        h.method.name: h
        for h in after_commit([answering(n) for n in ("job.list", "job.submit")], settled)
    }

    async def main() -> list[str]:
        assert await wrapped["job.list"].call({}) == "job.list"
        assert await wrapped["job.submit"].call({}) == "job.submit"
        return told

    assert asyncio.run(main()) == ["settled", "job.list", "job.submit"]
