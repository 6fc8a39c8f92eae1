"""The scripted model: which move answers a turn in the `text` and `write` scenarios. Pure.

`write` makes the agent create a file through whatever it offers: a write-ish tool filled from
its JSON schema, `apply_patch`, a shell tool, or (for an agent without tools, like aider) a
SEARCH/REPLACE edit block in plain text. After the tool's result comes back it says "Done.".
"""

import json
import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence

from podium.testing.provider.schema import example_for
from podium.testing.provider.turn import JSON, Call, Move, Say, Tool, Turn

HELLO = "Hello from the scripted provider."
DONE = "Done."

PATH_KEYS = ("file_path", "filePath", "absolute_path", "path", "filename", "file", "target_file")
CONTENT_KEYS = ("content", "contents", "file_text", "text", "new_content")
SHELL_TOOLS = ("exec_command", "shell", "run_shell_command", "Bash", "bash", "local_shell")

_WORKING_DIRECTORY = (
    re.compile(r"<cwd>\s*(/[^<\n]*?)\s*</cwd>"),
    re.compile(r"[Ww]orking directory:\s*(/\S+)"),
    re.compile(r"working in the directory:?\s*`?(/[^\s`]+)"),
    re.compile(r"[Cc]urrent working directory(?: is)?:?\s*`?(/[^\s`]+)"),
    re.compile(r"Workspace Directories:\**\s*\n\s*-\s*(/\S+)"),
)


def choose_move(
    behaviour: str, turn: Turn, file: str, content: str, say: str | None = None
) -> Move:
    """The reply for `behaviour` ("text" or "write") to this turn; `say` replaces the text
    scenario's greeting."""
    if turn.response_schema is not None:
        return Say(json.dumps(example_for(turn.response_schema)))
    if behaviour != "write" or turn.after_tool_result:
        return Say((say or HELLO) if behaviour != "write" else DONE)
    call = write_call(turn.tools, file, content, working_directory(turn.context))
    if call is not None:
        return call
    block = edit_block(file, content)
    return Say(DONE if block in turn.assistant_text else block)


def call_move(turn: Turn, wanted: Sequence[str], arguments: Mapping[str, JSON]) -> Move:
    """The `call` scenario's reply: the next of the `wanted` tools, given what it takes of
    `arguments` (a minimal value for any other it requires), or "Done." once each was
    called. The calls already made are counted by the tool results the turn carries."""
    if turn.response_schema is not None:
        return Say(json.dumps(example_for(turn.response_schema)))
    made = len(turn.tool_results)
    if made >= len(wanted):
        return Say(DONE)
    tool = offered(turn.tools, wanted[made])
    if tool is None:
        names = ", ".join(turn.tool_names) or "none"
        return Say(f"No tool named {wanted[made]} is offered (offered: {names}).")
    props = _properties(tool)
    given = {key: value for key, value in arguments.items() if key in props}
    return Call(tool.name, _fill(tool, given), call_id=f"call_scripted_{made + 1}")


def offered(tools: Sequence[Tool], name: str) -> Tool | None:
    """The tool called `name`, or named for it by the agent's prefix for an MCP server's
    tools (Claude Code and Codex: `mcp__SERVER__name`; others: `SERVER_name`)."""
    for suffix in ("", "__" + name, "_" + name):
        found = next(
            (t for t in tools if t.name == name or (suffix and t.name.endswith(suffix))), None
        )
        if found is not None:
            return found
    return None


def write_call(
    tools: tuple[Tool, ...], file: str, content: str, directory: str | None = None
) -> Call | None:
    """A call that writes `content` to `file` with one of `tools`, or None if none can.

    A write tool gets the path joined to `directory` (file tools want absolute paths); a
    patch or a shell command runs in the working directory and gets `file` as it is.
    """
    by_name = {tool.name: tool for tool in tools}
    for tool in tools:
        props = _properties(tool)
        path_key, content_key = _key(props, PATH_KEYS), _key(props, CONTENT_KEYS)
        if "write" in tool.name.lower() and path_key and content_key:
            path = _joined(directory, file)
            return Call(tool.name, _fill(tool, {path_key: path, content_key: content + "\n"}))
    if "apply_patch" in by_name:
        return _patch_call(by_name["apply_patch"], file, content)
    for name in SHELL_TOOLS:
        if name in by_name:
            return _shell_call(by_name[name], file, content)
    return None


def edit_block(file: str, content: str) -> str:
    """A SEARCH/REPLACE block (aider's `diff` edit format) creating `file` with `content`."""
    return f"{file}\n```\n<<<<<<< SEARCH\n=======\n{content}\n>>>>>>> REPLACE\n```\n"


def add_file_patch(path: str, content: str) -> str:
    """An `apply_patch` patch adding the file `path` with `content`."""
    return f"*** Begin Patch\n*** Add File: {path}\n+{content}\n*** End Patch\n"


def shell_command(path: str, content: str) -> str:
    """A POSIX shell command writing the line `content` to `path`."""
    return f"printf '%s\\n' {shlex.quote(content)} > {shlex.quote(path)}"


def working_directory(context: str) -> str | None:
    """The absolute working directory the agent's prompt tells, or None."""
    for pattern in _WORKING_DIRECTORY:
        match = pattern.search(context)
        if match:
            return match.group(1).rstrip(".,;:")
    return None


def _joined(directory: str | None, file: str) -> str:
    if directory is None or posixpath.isabs(file):
        return file
    return posixpath.join(directory, file)


def _patch_call(tool: Tool, path: str, content: str) -> Call:
    patch = add_file_patch(path, content)
    if tool.kind == "custom":
        return Call(tool.name, input=patch)
    props = _properties(tool)
    key = _key(props, ("input", "patch")) or next(iter(props), "input")
    return Call(tool.name, _fill(tool, {key: patch}))


def _shell_call(tool: Tool, path: str, content: str) -> Call:
    command = shell_command(path, content)
    props = _properties(tool)
    key = _key(props, ("cmd", "command")) or "command"
    wants_list = props.get(key, {}).get("type") == "array"
    value: JSON = ["bash", "-lc", command] if wants_list else command
    return Call(tool.name, _fill(tool, {key: value}))


def _properties(tool: Tool) -> Mapping[str, Mapping[str, JSON]]:
    props = tool.schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def _key(props: Mapping[str, JSON], candidates: tuple[str, ...]) -> str:
    return next((key for key in candidates if key in props), "")


def _fill(tool: Tool, values: Mapping[str, JSON]) -> dict[str, JSON]:
    """`values`, plus a minimal valid value for every other required parameter."""
    required = tool.schema.get("required") or []
    props = _properties(tool)
    extra = {name: example_for(props.get(name) or {}) for name in required if name not in values}
    return {**values, **extra}
