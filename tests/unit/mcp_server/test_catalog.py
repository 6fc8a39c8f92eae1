"""The tools' table: every argument described in a closed schema derived from the IPC params,
the reading tools apart, and every failure an agent can act on turned into its message."""

from typing import Any

import pytest
from typing_extensions import TypedDict

from podium.domain.errors import UserError
from podium.ipc.client import ConductorUnavailable, RemoteError
from podium.mcp_server.answers import Answer, ToolRefused
from podium.mcp_server.catalog import TOOLS, ToolSpec, offered
from podium.mcp_server.inputs import JobInput, PauseInput


def test_every_argument_of_every_tool_is_described_and_none_other_is_taken() -> None:
    assert len({t.name for t in TOOLS}) == len(TOOLS)
    for tool in TOOLS:
        schema = tool.input_schema
        assert schema["type"] == "object", tool.name
        assert schema["additionalProperties"] is False, tool.name
        for name, prop in schema["properties"].items():
            assert prop["description"], (tool.name, name)
            assert "title" not in prop


def test_the_pause_schema_is_the_conductors_pause_params() -> None:
    [pause] = [t for t in TOOLS if t.name == "pause_job"]
    assert pause.input_schema["properties"].keys() == {"job_id", "force"}
    assert pause.input_schema["required"] == ["job_id"]


def test_readonly_keeps_only_the_tools_that_read() -> None:
    names = {t.name for t in offered(readonly=True)}
    assert names == {t.name for t in TOOLS if t.reads}
    assert "cancel_job" not in names and "job_status" in names
    assert offered(readonly=False) == TOOLS
    assert [t.name for t in TOOLS if t.destroys] == ["cancel_job"]


def answering(error: Exception) -> ToolSpec[Any]:
    def does(given: JobInput) -> Answer:
        raise error

    return ToolSpec("job_status", "", JobInput, does, reads=True)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RemoteError(-32001, "no job 'helo'; did you mean 'hello'?"), "no job 'helo'"),
        (ConductorUnavailable("/run/p.sock", "no such socket"), "the conductor is not running"),
        (UserError("the score has 2 problems"), "the score has 2 problems"),
    ],
)
def test_what_the_agent_can_act_on_is_refused_with_its_message(
    error: Exception, message: str
) -> None:
    with pytest.raises(ToolRefused, match=message):
        answering(error).call({"job_id": "helo"})


def test_a_bug_is_not_dressed_up_as_a_refusal() -> None:
    with pytest.raises(ZeroDivisionError):
        answering(ZeroDivisionError()).call({"job_id": "x"})


def test_arguments_are_checked_against_the_input_type() -> None:
    seen: list[PauseInput] = []

    def does(given: PauseInput) -> Answer:
        seen.append(given)
        return Answer("ok")

    tool = ToolSpec("pause_job", "", PauseInput, does, notes={"force": "f"})
    assert tool.call({"job_id": "j", "force": True}) == Answer("ok")
    assert seen == [{"job_id": "j", "force": True}]
    with pytest.raises(ToolRefused) as refused:
        tool.call({"job": "j", "force": "maybe"})
    message = str(refused.value)
    assert message.startswith("pause_job: bad arguments: ")
    assert "job_id: Field required" in message
    assert "force: Input should be a valid boolean" in message
    assert "job: Extra inputs are not permitted" in message


def test_an_input_type_without_descriptions_for_its_arguments_is_a_bug_found_at_once() -> None:
    class Odd(TypedDict):
        unheard_of: str

    with pytest.raises(KeyError, match="unheard_of"):
        _ = ToolSpec("odd", "", Odd, lambda given: Answer("")).input_schema


@pytest.mark.parametrize("seconds", [0, -1, 601])
def test_a_wait_out_of_bounds_is_refused_before_anything_is_asked(seconds: float) -> None:
    [wait] = [t for t in TOOLS if t.name == "wait_job"]
    with pytest.raises(ToolRefused, match="wait_job: bad arguments: timeout_seconds"):
        wait.call({"job_id": "x", "timeout_seconds": seconds})
