"""Reading each API's request into a turn: tools, the working directory, the tool result."""

from podium.testing.provider import anthropic, gemini, openai_chat, openai_responses
from podium.testing.provider.turn import Tool

SCHEMA = {"type": "object", "properties": {"cmd": {"type": "string"}}}


def test_anthropic_reads_tools_system_prompt_and_a_tool_result() -> None:
    turn = anthropic.read_turn(
        {
            "model": "claude-x",
            "stream": True,
            "system": [{"type": "text", "text": "Primary working directory: /ws"}],
            "tools": [{"name": "Bash", "input_schema": SCHEMA}, {"type": "web_search"}],
            "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
                {"role": "user", "content": [{"type": "tool_result", "content": "done"}]},
            ],
        }
    )
    assert (turn.model, turn.stream, turn.after_tool_result) == ("claude-x", True, True)
    assert turn.tools == (Tool("Bash", SCHEMA),)
    assert "Primary working directory: /ws" in turn.context
    assert "ok" in turn.assistant_text


def test_chat_reads_the_usage_option_and_a_tool_message() -> None:
    body = {"messages": [{"role": "user", "content": "go"}, {"role": "tool", "content": "ok"}]}
    turn = openai_chat.read_turn({**body, "stream_options": {"include_usage": True}})
    assert turn.after_tool_result and turn.include_usage
    assert not openai_chat.read_turn({"messages": []}).include_usage


def test_responses_reads_a_plain_string_input_and_custom_tools() -> None:
    turn = openai_responses.read_turn(
        {"input": "<cwd>/ws</cwd>", "tools": [{"type": "custom", "name": "apply_patch"}]}
    )
    assert turn.tools == (Tool("apply_patch", {}, "custom"),)
    assert "<cwd>/ws</cwd>" in turn.context and not turn.after_tool_result
    after = openai_responses.read_turn({"input": [{"type": "custom_tool_call_output"}]})
    assert after.after_tool_result


def test_gemini_reads_both_kinds_of_parameter_schema_and_a_function_response() -> None:
    turn = gemini.read_turn(
        {
            "tools": [
                {"functionDeclarations": [{"name": "a", "parametersJsonSchema": SCHEMA}]},
                {"functionDeclarations": [{"name": "b", "parameters": SCHEMA}]},
                {"googleSearch": {}},
            ],
            "contents": [{"role": "user", "parts": [{"functionResponse": {"name": "a"}}]}],
        },
        "gem",
        stream=False,
    )
    assert turn.tool_names == ("a", "b")
    assert turn.after_tool_result and turn.response_schema is None
