"""An unknown job or fleet is told with the closest ids, whichever method was asked."""

import asyncio

import pytest

from podium.conductor.api.errors import asked, did_you_mean, suggesting
from podium.domain.errors import JobNotFound
from podium.ipc.methods import JOB_STATUS
from podium.ipc.routes import Handler

IDS = ["hello", "hello-2", "nightly", "review"]


@pytest.mark.parametrize(
    ("message", "names", "told"),
    [
        (
            "no job 'helo'; 'podium list --all' shows every job",
            ["helo"],
            "no job 'helo'; did you mean 'hello' or 'hello-2'?",
        ),
        (
            "no job or fleet 'nighty'",
            ["nighty"],
            "no job or fleet 'nighty'; did you mean 'nightly'?",
        ),
        ("no job 'zzz'; 'podium list --all' shows every job", ["zzz"], None),
        ("no job 'other'", ["helo"], None),  # not about the id asked for
        ("no job 'review'", ["review"], None),  # an id is never its own suggestion
    ],
)
def test_the_closest_ids_replace_the_advice(
    message: str, names: list[str], told: str | None
) -> None:
    assert did_you_mean(message, names, IDS) == told


def test_the_ids_a_method_is_asked_about() -> None:
    assert asked({"job_id": "a"}) == ["a"]
    assert asked({"fleet_id": "f", "force": True}) == ["f"]
    assert asked({"job_ids": ["a", "b"], "yes": True}) == ["a", "b"]
    assert asked(None) == []


def test_a_handler_finding_no_job_tells_the_closest_one() -> None:
    async def status(params: object) -> object:
        raise JobNotFound("no job 'helo'; 'podium list --all' shows every job")

    async def ask(ids: list[str]) -> object:
        [handler] = suggesting([Handler(JOB_STATUS, status)], lambda: ids)
        return await handler.call({"job_id": "helo"})

    with pytest.raises(JobNotFound, match=r"^no job 'helo'; did you mean 'hello'\?$"):
        asyncio.run(ask(["hello"]))
    with pytest.raises(JobNotFound, match="shows every job"):
        asyncio.run(ask(["review"]))
