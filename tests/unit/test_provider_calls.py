"""The scripted model's `call` scenario: the tools it is told to call, one a turn, found by the
name the agent gives an MCP server's tools, with the arguments each takes; then "Done."."""

import json

import pytest

from podium.testing.provider import anthropic
from podium.testing.provider.scenario import ScenarioError, format_scenario, parse_scenario
from podium.testing.provider.script import DONE, call_move, offered
from podium.testing.provider.turn import Call, Say, Tool, Turn

STATUS = Tool(
    "mcp__podium__job_status",
    {"type": "object", "properties": {"job_id": {"type": "string"}}, "required": ["job_id"]},
)
PAUSE = Tool(
    "mcp__podium__pause_job",
    {
        "type": "object",
        "properties": {"job_id": {"type": "string"}, "force": {"type": "boolean"}},
        "required": ["job_id"],
    },
)
ANSWER = Tool(
    "answer_approval",
    {
        "type": "object",
        "properties": {"job_id": {"type": "string"}, "sheet": {"type": "integer"}},
        "required": ["job_id", "sheet"],
    },
)
WANTED = ("job_status", "pause_job")


def turn(*results: str, tools: tuple[Tool, ...] = (STATUS, PAUSE)) -> Turn:
    return Turn(model="m", stream=True, tools=tools, tool_results=results)


def test_each_turn_calls_the_next_tool_with_its_arguments_then_says_done() -> None:
    arguments = {"job_id": "gated", "unrelated": 1}
    assert call_move(turn(), WANTED, arguments) == Call(
        "mcp__podium__job_status", {"job_id": "gated"}, call_id="call_scripted_1"
    )
    assert call_move(turn("gated running"), WANTED, arguments) == Call(
        "mcp__podium__pause_job", {"job_id": "gated"}, call_id="call_scripted_2"
    )
    assert call_move(turn("gated running", "paused"), WANTED, arguments) == Say(DONE)


def test_a_required_argument_not_given_gets_a_minimal_value() -> None:
    move = call_move(turn(tools=(ANSWER,)), ("answer_approval",), {"job_id": "j"})
    assert move == Call("answer_approval", {"job_id": "j", "sheet": 1}, call_id="call_scripted_1")


def test_a_tool_not_offered_is_said_instead_of_called() -> None:
    move = call_move(turn(tools=(PAUSE,)), WANTED, {})
    assert move == Say("No tool named job_status is offered (offered: mcp__podium__pause_job).")


@pytest.mark.parametrize(
    ("names", "found"),
    [
        (("job_status",), "job_status"),
        (("mcp__podium__job_status", "job_status"), "job_status"),
        (("mcp__podium__job_status",), "mcp__podium__job_status"),
        (("mcp_podium_job_status",), "mcp_podium_job_status"),
        (("other_job_status_x",), None),
    ],
)
def test_a_tool_is_found_by_its_name_or_the_agents_prefix_for_it(
    names: tuple[str, ...], found: str | None
) -> None:
    tool = offered(tuple(Tool(name) for name in names), "job_status")
    assert (tool.name if tool else None) == found


def test_the_scenario_carries_its_tools_and_arguments_through_the_path() -> None:
    prefix = format_scenario("call", tools="job_status+pause_job", arguments='{"job_id": "a,b"}')
    scenario = parse_scenario(prefix)
    assert scenario.tools == WANTED
    assert scenario.arguments == {"job_id": "a,b"}
    assert scenario.behaviour(5, 0.0) == "call"
    assert parse_scenario("429,fail_first=1,then=call").behaviour(1, 0.0) == "call"


def test_arguments_that_are_not_a_json_object_are_refused() -> None:
    with pytest.raises(ScenarioError, match="give a JSON object"):
        parse_scenario(format_scenario("call", arguments="[1]"))


def test_anthropic_reads_every_tool_result_and_numbers_each_call() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "look at the job"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_scripted_1"}]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_scripted_1",
                        "content": [{"type": "text", "text": "gated running"}],
                    }
                ],
            },
        ]
    }
    read = anthropic.read_turn(body)
    assert read.tool_results == ("gated running",)
    second = anthropic.message(Call("t", {}, call_id="call_scripted_2"), read)
    assert second["content"][0]["id"] == "toolu_scripted_2"
    assert json.dumps(anthropic.message(Call("t", {}), read)).count("toolu_scripted_1") == 1
