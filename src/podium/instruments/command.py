"""The command line and environment of one attempt on a CLI instrument.

Pure: finding the executable is left to the `which` the caller passes (see
`podium.instruments.check.which`), and the prompt file is named, never read.

The arguments come in Marianne's order:

    executable [subcommand] [auto_approve] [output_format_flag [value]] [model_flag model]
    [timeout_flag N] [working_dir_flag dir] <prompt> [MCP args] [system_prompt_flag text]
    [allowed_tools_flag tools] [extra_flags] [cli_extra_args from the score]

Environment variables are expanded only into the environment, never into the arguments: a
secret in argv would show in the process list of every user on the machine.
"""

import json
import math
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.domain.environment import passed_env
from podium.domain.errors import UserError
from podium.instruments.profile import CliCommand, InstrumentProfile

ARGUMENT_LIMIT = 100 * 1024
"""Prompts longer than this (UTF-8 bytes) always go to stdin: Linux refuses a single argument
over 128 KiB."""

Which = Callable[[str], str | None]
"""Finds an executable by name: its absolute path, or None."""


class InstrumentNotFound(UserError):
    """The executable an instrument runs is not installed (or not on PATH)."""


class NotRunnable(UserError):
    """An instrument Podium cannot start (an http profile)."""


@dataclass(frozen=True)
class Invocation:
    """What to start: `argv[0]` is the executable's absolute path. When `prompt_on_stdin`,
    the caller writes the prompt to the child's stdin and closes it."""

    argv: tuple[str, ...]
    prompt_on_stdin: bool
    env: dict[str, str]
    decided: tuple[str, ...] = ()
    """The variables of `env` the profile and the settings set (not taken from the parent)."""


def build_invocation(
    profile: InstrumentProfile,
    *,
    prompt: str,
    prompt_file: Path,
    model: str | None,
    timeout_seconds: float | None,
    working_dir: Path,
    settings: Mapping[str, Any],
    parent_env: Mapping[str, str],
    which: Which,
    system_prompt: str | None = None,
    mcp_servers: Mapping[str, Mapping[str, Any]] | None = None,
) -> Invocation:
    """The command that runs `prompt` on `profile`.

    `model` is the model already chosen (see `choose_model`). `settings` is the score's flat
    `instrument_config`: `skip_permissions` (default true) adds the auto-approve flag,
    `disable_mcp` (default true) the MCP-disabling arguments, `allowed_tools` (a list or a
    comma-separated string) the allowed-tools flag, `base_url` and `config_file` (an absolute
    path) go where the profile routes them, `cli_extra_args` (a list, or a string split like a
    shell would) more arguments at the end. `output_format` is ignored: the profile's
    output parsing depends on its own format. `system_prompt` is the text of the score's
    `system_prompt_file`, read by the caller. `mcp_servers` (from the score's MCP techniques)
    go to the CLI through its profile's `mcp_config_flag`, after the MCP-disabling arguments:
    with `disable_mcp`, the sheet gets these servers and no others.
    """
    if profile.cli is None:
        raise NotRunnable(
            f"instrument '{profile.name}' is an {profile.kind} instrument, which Podium does "
            "not run; use a cli instrument (see 'podium instruments list')"
        )
    command = profile.cli.command
    executable = which(command.executable)
    if executable is None:
        raise InstrumentNotFound(
            f"instrument '{profile.name}' runs '{command.executable}', which is not installed "
            "or not on PATH; install it, add its folder to PATH, or override the profile's "
            "cli.command.executable with its full path"
        )
    prompt_args, on_stdin = _prompt_delivery(command, prompt, prompt_file)
    routed_args, routed_env = _connection(profile.name, command, settings)
    argv = [
        executable,
        *_optional(command.subcommand),
        *(_optional(command.auto_approve_flag) if settings.get("skip_permissions", True) else ()),
        *_output_format(command),
        *_flag(command.model_flag, model),
        *_flag(command.timeout_flag, _whole_seconds(timeout_seconds)),
        *_flag(command.working_dir_flag, str(working_dir)),
        *prompt_args,
        *(command.mcp_disable_args if settings.get("disable_mcp", True) else ()),
        *_mcp(profile.name, command, mcp_servers or {}),
        *_flag(command.system_prompt_flag, system_prompt),
        *_flag(command.allowed_tools_flag, _tools(settings.get("allowed_tools"))),
        *command.extra_flags,
        *routed_args,
        *_extra_args(settings.get("cli_extra_args")),
    ]
    env = child_environment(command, parent_env)
    env.update(routed_env)
    return Invocation(tuple(argv), on_stdin, env, tuple(sorted({*command.env, *routed_env})))


def _mcp(name: str, command: CliCommand, servers: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not servers:
        return []
    if command.mcp_config_flag is None:
        raise UserError(
            f"instrument '{name}' cannot take MCP servers (its profile sets no "
            f"cli.command.mcp_config_flag), but the sheet's techniques give it "
            f"{', '.join(sorted(servers))}; play the sheet on an instrument that can (such as "
            "claude-code), or limit the technique's phases"
        )
    config = json.dumps({"mcpServers": {n: dict(s) for n, s in servers.items()}})
    return [*command.mcp_config_prefix_args, command.mcp_config_flag, config]


CONNECTION_SETTINGS = ("base_url", "config_file")
"""Settings that say where the CLI connects and what configuration it reads; each profile
routes them (`cli.command.base_url`, `cli.command.config_file`)."""

_URL = re.compile(r"https?://[^\s\"'\\]+")
_PLACEHOLDER = re.compile(r"\{(value|folder)\}")


def _connection(
    name: str, command: CliCommand, settings: Mapping[str, Any]
) -> tuple[list[str], dict[str, str]]:
    """The arguments and variables that carry `base_url` and `config_file` to the CLI."""
    args: list[str] = []
    env: dict[str, str] = {}
    for key in CONNECTION_SETTINGS:
        value = settings.get(key)
        if value is None or value == "":
            continue
        route = command.base_url if key == "base_url" else command.config_file
        if route is None:
            raise UserError(
                f"instrument '{name}' has no way to take instrument_config.{key}: its profile "
                f"sets no cli.command.{key}; remove the setting, or override the profile "
                "(see 'podium instruments check') to route it to the CLI's variable or flag"
            )
        text = str(value)
        if key == "base_url" and not _URL.fullmatch(text):
            raise UserError(
                f"instrument_config.base_url {text!r} is not an http:// or https:// URL "
                "(without spaces or quotes)"
            )
        if key == "config_file" and not Path(text).is_absolute():
            raise UserError(f"instrument_config.config_file {text!r} is not an absolute path")
        folder = str(Path(text).parent)

        def fill(template: str, text: str = text, folder: str = folder) -> str:
            # One pass: a value that itself holds "{folder}" stays as it is.
            return _PLACEHOLDER.sub(lambda m: text if m.group(1) == "value" else folder, template)

        args.extend(fill(a) for a in route.args)
        env.update({k: fill(v) for k, v in route.env.items()})
    return args, env


def choose_model(
    profile: InstrumentProfile, settings: Mapping[str, Any], chosen: str | None = None
) -> str | None:
    """The model to ask for: `chosen` (a sheet's own), else the settings' `cli_model` or
    `model`, else the profile's `default_model`; None lets the CLI pick its own."""
    for candidate in (chosen, settings.get("cli_model"), settings.get("model")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return profile.default_model


def prompt_goes_to_stdin(command: CliCommand, prompt: str) -> bool:
    """Whether the prompt is written to stdin rather than put in the arguments: when the
    profile says so, and always when an argument could not carry it (too large for Linux, or
    holding a NUL byte, which ends an argument)."""
    if command.prompt_as_file:
        return False
    return (
        command.prompt_via_stdin
        or len(prompt.encode("utf-8", "replace")) > ARGUMENT_LIMIT
        or "\0" in prompt
    )


def _prompt_delivery(command: CliCommand, prompt: str, prompt_file: Path) -> tuple[list[str], bool]:
    if command.prompt_as_file:
        return [*_optional(command.prompt_flag), str(prompt_file)], False
    if prompt_goes_to_stdin(command, prompt):
        if command.stdin_sentinel is None:
            return [], True
        return [*_optional(command.prompt_flag), command.stdin_sentinel], True
    return [*_optional(command.prompt_flag), prompt], False


def child_environment(command: CliCommand, parent_env: Mapping[str, str]) -> dict[str, str]:
    """The instrument's environment: the parent's (only the essentials and `required_env`
    when the profile lists it), then the profile's `env` expanded against the parent's."""
    env = passed_env(parent_env, command.required_env)
    env.update({k: expand(v, parent_env) for k, v in command.env.items()})
    return env


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+)|(\$))")


def expand(value: str, env: Mapping[str, str]) -> str:
    """`${VAR}` and `$VAR` replaced by their values in `env` (nothing when unset); `$$` is `$`."""

    def replace(found: re.Match[str]) -> str:
        if found.group(3):
            return "$"
        return env.get(found.group(1) or found.group(2), "")

    return _VARIABLE.sub(replace, value)


def _optional(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


def _flag(flag: str | None, value: str | None) -> tuple[str, ...]:
    return (flag, value) if flag and value is not None else ()


def _output_format(command: CliCommand) -> tuple[str, ...]:
    if not command.output_format_flag:
        return ()
    return (command.output_format_flag, *_optional(command.output_format_value))


def _whole_seconds(seconds: float | None) -> str | None:
    return None if seconds is None else str(max(1, math.ceil(seconds)))


def _tools(value: object) -> str | None:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) if value else None
    return str(value) if value else None


def _extra_args(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise UserError(
                f"instrument_config.cli_extra_args {value!r} cannot be split into arguments "
                f"({exc}); balance its quotes, or give a list"
            ) from None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []
