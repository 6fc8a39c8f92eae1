"""The scripted model's moves: which tool writes the file, with which arguments, and when."""

import json
from typing import Any

import pytest

from podium.testing.provider.script import (
    DONE,
    HELLO,
    add_file_patch,
    choose_move,
    edit_block,
    shell_command,
    working_directory,
    write_call,
)
from podium.testing.provider.turn import Call, Say, Tool, Turn


def schema(*names: str, required: tuple[str, ...] | None = None, **types: str) -> dict[str, Any]:
    props = {name: {"type": types.get(name, "string")} for name in names}
    return {"type": "object", "properties": props, "required": list(required or names)}


CLAUDE_WRITE = Tool("Write", schema("file_path", "content"))
OPENCODE_WRITE = Tool("write", schema("content", "filePath"))
GEMINI_WRITE = Tool("write_file", schema("file_path", "content"))
CODEX_EXEC = Tool("exec_command", schema("cmd", "workdir", required=("cmd",)))
CODEX_STDIN = Tool("write_stdin", schema("session_id", "chars"))
SHELL_LIST = Tool("shell", schema("command", command="array"))
PATCH_CUSTOM = Tool("apply_patch", {}, kind="custom")
PATCH_FUNCTION = Tool("apply_patch", schema("input"))


def turn(*tools: Tool, **fields: object) -> Turn:
    return Turn(model="m", stream=True, tools=tools, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tool", "path_key"),
    [(CLAUDE_WRITE, "file_path"), (OPENCODE_WRITE, "filePath"), (GEMINI_WRITE, "file_path")],
)
def test_a_write_tool_gets_the_absolute_path_and_the_content_line(
    tool: Tool, path_key: str
) -> None:
    call = write_call((Tool("Read", schema("file_path")), tool), "hello.txt", "hi", "/ws")
    assert call == Call(tool.name, {path_key: "/ws/hello.txt", "content": "hi\n"})


def test_without_a_known_directory_the_path_stays_relative_and_absolute_paths_stay() -> None:
    assert write_call((CLAUDE_WRITE,), "a.txt", "x") == Call(
        "Write", {"file_path": "a.txt", "content": "x\n"}
    )
    call = write_call((CLAUDE_WRITE,), "/etc/x", "x", "/ws")
    assert call is not None and call.arguments["file_path"] == "/etc/x"


def test_codex_writes_through_exec_command_not_write_stdin() -> None:
    call = write_call((CODEX_STDIN, CODEX_EXEC), "hello.txt", "it's", "/ws")
    assert call == Call("exec_command", {"cmd": shell_command("hello.txt", "it's")})
    assert shell_command("hello.txt", "it's") == "printf '%s\\n' 'it'\"'\"'s' > hello.txt"


def test_a_shell_tool_taking_an_argument_list_gets_bash_dash_c() -> None:
    call = write_call((SHELL_LIST,), "hello.txt", "hi")
    assert call is not None
    assert call.arguments == {"command": ["bash", "-lc", shell_command("hello.txt", "hi")]}


def test_apply_patch_is_preferred_to_a_shell_in_either_tool_kind() -> None:
    patch = add_file_patch("hello.txt", "hi")
    assert patch == "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"
    assert write_call((CODEX_EXEC, PATCH_CUSTOM), "hello.txt", "hi") == Call(
        "apply_patch", input=patch
    )
    assert write_call((CODEX_EXEC, PATCH_FUNCTION), "hello.txt", "hi") == Call(
        "apply_patch", {"input": patch}
    )


def test_other_required_parameters_get_schema_valid_values() -> None:
    tool = Tool("write", schema("path", "content", "overwrite", overwrite="boolean"))
    call = write_call((tool,), "a.txt", "x")
    assert call is not None
    assert call.arguments == {"path": "a.txt", "content": "x\n", "overwrite": False}
    assert json.loads(call.arguments_json) == call.arguments


def test_no_usable_tool_means_no_call() -> None:
    assert write_call((Tool("Read", schema("file_path")),), "a.txt", "x") is None
    assert write_call((Tool("write", {"properties": []}),), "a.txt", "x") is None


@pytest.mark.parametrize(
    ("context", "directory"),
    [
        ("Here is useful information:\n - Primary working directory: /w/claude\n", "/w/claude"),
        ("<environment_context>\n  <cwd>/w/codex</cwd>\n</environment_context>", "/w/codex"),
        ("- **Workspace Directories:**\n  - /w/gemini\n- **Directory Structure:**", "/w/gemini"),
        ("  Working directory: /w/opencode\n", "/w/opencode"),
        ("I'm currently working in the directory: /w/old.", "/w/old"),
        ("The current working directory is `/w/x`", "/w/x"),
        ("no directory here", None),
    ],
)
def test_the_working_directory_is_read_from_each_agents_prompt(
    context: str, directory: str | None
) -> None:
    assert working_directory(context) == directory


def test_text_scenario_says_hello_or_what_it_is_told() -> None:
    assert choose_move("text", turn(CLAUDE_WRITE), "a.txt", "x") == Say(HELLO)
    told = choose_move("text", turn(CLAUDE_WRITE), "a.txt", "x", "SCORE: 90\nREASON: ok")
    assert told == Say("SCORE: 90\nREASON: ok")


def test_write_scenario_calls_the_tool_then_says_done_after_its_result() -> None:
    first = turn(CLAUDE_WRITE, context="Primary working directory: /ws")
    assert choose_move("write", first, "a.txt", "x") == Call(
        "Write", {"file_path": "/ws/a.txt", "content": "x\n"}
    )
    after = turn(CLAUDE_WRITE, after_tool_result=True)
    assert choose_move("write", after, "a.txt", "x") == Say(DONE)


def test_without_tools_the_write_is_an_edit_block_and_then_done() -> None:
    block = edit_block("a.txt", "x")
    assert block == "a.txt\n```\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n```\n"
    assert choose_move("write", turn(), "a.txt", "x") == Say(block)
    assert choose_move("write", turn(assistant_text="ok\n" + block), "a.txt", "x") == Say(DONE)


def test_a_structured_output_request_gets_schema_valid_json_in_any_scenario() -> None:
    ask = turn(response_schema={"type": "object", "properties": {"n": {"type": "integer"}}})
    assert choose_move("write", ask, "a.txt", "x") == Say('{"n": 1}')
    assert choose_move("text", ask, "a.txt", "x") == Say('{"n": 1}')
