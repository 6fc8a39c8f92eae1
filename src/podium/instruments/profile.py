"""Instrument profiles: what an instrument is, how to call it, how to read what it prints.

The schema is Marianne's, so a profile written for Marianne loads unchanged. Every block
forbids keys it does not know, so a typo is an error instead of a silently ignored setting.

Podium adds a few optional keys, each documented where it is defined:
`cli.command.prompt_as_file`, `cli.command.base_url` and `cli.command.config_file`,
`cli.output.cost_path` and the `cli.output.*_pattern` keys, `cli.errors.quota_patterns`,
`cli.errors.failure_patterns`, and prefix entries (`AWS_*`) in `cli.command.required_env`.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from podium.domain.classify import ErrorPatterns


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(
            f"not a valid regular expression: {pattern!r} ({exc}); "
            "escape characters meant literally, like \\( or \\."
        ) from None
    return pattern


Pattern = Annotated[str, AfterValidator(_compiles)]
"""A regular expression, matched case-insensitively against an attempt's output."""

Scalar = str | int | float | bool | None


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Block):
    """One model an instrument offers: its limits and its list price."""

    name: str = Field(min_length=1)
    context_window: int | None = Field(default=None, ge=1)
    cost_per_1k_input: float | None = Field(default=None, ge=0)
    """USD per 1,000 input tokens; 0 for free models, None when unknown."""
    cost_per_1k_output: float | None = Field(default=None, ge=0)
    max_output_tokens: int | None = Field(default=None, ge=1)
    max_concurrent: int = Field(default=4, ge=1)
    """How many sheets may use this model of this instrument at once."""


class CodeModeInterface(_Block):
    name: str = Field(min_length=1)
    typescript: str = Field(min_length=1)
    description: str | None = None


class CodeMode(_Block):
    """Marianne's code-mode data (interfaces an agent codes against). Accepted, not used."""

    interfaces: tuple[CodeModeInterface, ...] = ()
    runtime: Literal["deno", "node_vm", "v8_isolate"] = "deno"
    max_execution_ms: int = Field(default=30000, ge=100)


class SettingRoute(_Block):
    """Podium extension: how a setting reaches the CLI, as variables and arguments in which
    `{value}` is replaced by the setting's value and `{folder}` by the folder of that path."""

    env: dict[str, str] = Field(default_factory=dict)
    args: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _routes_somewhere(self) -> "SettingRoute":
        if not self.env and not self.args:
            raise ValueError("give 'env:' or 'args:' (or both) with {value} where it goes")
        return self


class CliCommand(_Block):
    """How the command line is built. A flag set to null means the instrument has none."""

    executable: str = Field(min_length=1)
    subcommand: str | None = None
    prompt_flag: str | None = None
    """The flag before the prompt (`-p`, `--message`); null passes the prompt as a positional
    argument."""
    model_flag: str | None = None
    auto_approve_flag: str | None = None
    output_format_flag: str | None = None
    output_format_value: str | None = None
    """The value after `output_format_flag`; null makes the flag a bare switch (`--json`)."""
    system_prompt_flag: str | None = None
    allowed_tools_flag: str | None = None
    mcp_config_flag: str | None = None
    mcp_config_prefix_args: tuple[str, ...] = ()
    mcp_config_workspace_path: str | None = None
    mcp_config_workspace_merge_key: str | None = None
    mcp_disable_args: tuple[str, ...] = ()
    """Arguments that turn the CLI's MCP servers off (the default, `disable_mcp: true`)."""
    timeout_flag: str | None = None
    working_dir_flag: str | None = None
    extra_flags: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    """Variables set for the instrument; `${VAR}` and `$VAR` expand from the conductor's
    environment (an unset variable expands to nothing)."""
    prompt_via_stdin: bool = True
    """Write the prompt to stdin. With a `stdin_sentinel` the arguments carry the sentinel
    (`-p -`); without one the prompt flag is left out."""
    stdin_sentinel: str | None = None
    start_new_session: bool = False
    required_env: tuple[str, ...] | None = None
    """When set, the instrument sees only these variables plus the system essentials (PATH,
    HOME, locale, XDG folders, PODIUM_*), so credentials of other services do not leak to it.
    Podium extension: an entry ending in `*` (`AWS_*`) passes every variable with that prefix."""
    prompt_as_file: bool = False
    """Podium extension: pass the path of the file holding the prompt where the prompt would
    go (after `prompt_flag`, or as a positional). The `cli` instrument runs `bash FILE` this
    way, so a script never shows in the process list and has no size limit."""
    base_url: SettingRoute | None = None
    """Podium extension: how `instrument_config.base_url` (a gateway, a proxy, a local model
    server) reaches the CLI: `{env: {ANTHROPIC_BASE_URL: "{value}"}}`."""
    config_file: SettingRoute | None = None
    """Podium extension: how `instrument_config.config_file` reaches the CLI:
    `{args: ["--settings", "{value}"]}`, or `{env: {CODEX_HOME: "{folder}"}}`."""


class CliOutput(_Block):
    """Where the result text and the token counts are in what the instrument prints.

    Paths are dotted (`usage.input_tokens`), with list indices (`items[0]`) and wildcards
    (`stats.models.*.tokens.prompt`)."""

    format: Literal["text", "json", "jsonl"] = "text"
    result_path: str | None = None
    error_path: str | None = None
    completion_event_type: str | None = None
    """jsonl: the `type` of the event that carries the result."""
    completion_event_filter: dict[str, Scalar] | None = None
    """jsonl: more keys the completion event must have, with these values. A key the event
    itself lacks is looked up in its payload object (`item`, `part`), so
    `{type: agent_message}` finds codex's `{"type": "item.completed", "item": {"type":
    "agent_message"}}`."""
    input_tokens_path: str | None = None
    output_tokens_path: str | None = None
    aggregate_tokens: bool = False
    """Sum every wildcard match instead of taking the first (CLIs that route between models)."""
    cost_path: str | None = None
    """Podium: where the CLI reports what the run cost, in USD (summed over jsonl events).
    A reported cost is used as it is; otherwise the tokens are priced with `models`."""
    input_tokens_pattern: Pattern | None = None
    """Podium extension, for `text` output: a regular expression whose first group is a
    count of input tokens (`2.7k`, `10,323` and `1.2M` are understood), summed over every
    line that matches: aider prints `Tokens: 2.7k sent, 7 received.` per reply."""
    output_tokens_pattern: Pattern | None = None
    """Podium extension, for `text` output: the same, for output tokens."""
    cost_pattern: Pattern | None = None
    """Podium extension, for `text` output: a regular expression whose first group is what a
    reply cost in USD, summed over every match."""


class CliErrors(_Block):
    """Patterns that say what a failed attempt ran into. They are read only when the exit
    code is not a success code, except `failure_patterns`."""

    success_exit_codes: tuple[int, ...] = (0,)
    rate_limit_patterns: tuple[Pattern, ...] = ()
    auth_error_patterns: tuple[Pattern, ...] = ()
    capacity_patterns: tuple[Pattern, ...] = ()
    timeout_patterns: tuple[Pattern, ...] = ()
    crash_patterns: tuple[Pattern, ...] = ()
    stale_patterns: tuple[Pattern, ...] = ()
    rate_limit_event_type: str | None = None
    rate_limit_event_filter: dict[str, Scalar] | None = None
    quota_patterns: tuple[Pattern, ...] = ()
    """Podium extension: a spent quota or credit balance. Some of these messages carry a 429
    too, so they are tried before the rate-limit patterns."""
    failure_patterns: tuple[Pattern, ...] = ()
    """Podium extension: output that marks a run as failed although it exited with a success
    code (aider exits 0 on API errors). Anchor them (`(?m)^litellm\\.`) so that a reply that
    merely talks about errors does not match."""


class CliProfile(_Block):
    command: CliCommand
    output: CliOutput = Field(default_factory=CliOutput)
    errors: CliErrors = Field(default_factory=CliErrors)


class HttpProfile(_Block):
    """An HTTP API instrument (Marianne's schema). Podium does not run these."""

    base_url: str
    endpoint: str = "/v1/chat/completions"
    schema_family: Literal["openai", "anthropic", "gemini"]
    auth_env_var: str | None = None


class InstrumentProfile(_Block):
    """Everything Podium needs to run prompts through one instrument."""

    name: str = Field(min_length=1)
    """What scores call it by."""
    display_name: str = ""
    """A readable name; the `name` when not given."""
    description: str | None = None
    kind: Literal["cli", "http"]
    capabilities: frozenset[str] = frozenset()
    """Informational tags: tool_use, file_editing, shell_access, vision, mcp, …"""
    code_mode: CodeMode | None = None
    models: tuple[ModelSpec, ...] = ()
    default_model: str | None = None
    """The model asked for when a score names none; null lets the CLI choose."""
    default_timeout_seconds: float = Field(default=1800.0, gt=0)
    raw_prompt: bool = False
    """The rendered template is the whole prompt: no preamble, no validation checklist."""
    execution_status: Literal["ready", "warning", "unsupported"] = "ready"
    execution_status_detail: str | None = None
    interactive: dict[str, Any] | None = None
    """Marianne's settings for driving a CLI through a terminal session. Accepted, not used."""
    cli: CliProfile | None = None
    http: HttpProfile | None = None

    @model_validator(mode="before")
    @classmethod
    def _display_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("display_name") and data.get("name"):
            return {**data, "display_name": data["name"]}
        return data

    @model_validator(mode="after")
    def _block_for_kind(self) -> "InstrumentProfile":
        if self.kind == "cli" and self.cli is None:
            raise ValueError(
                f"instrument '{self.name}' has kind 'cli' but no 'cli:' block; add one with "
                "'command:' (at least 'executable:') and 'output:'"
            )
        if self.kind == "http" and self.http is None:
            raise ValueError(
                f"instrument '{self.name}' has kind 'http' but no 'http:' block; add one with "
                "'base_url:' and 'schema_family:'"
            )
        return self

    def model_spec(self, name: str | None) -> ModelSpec | None:
        """The listed model called `name`, if any."""
        return next((m for m in self.models if m.name == name), None) if name else None

    def error_patterns(self) -> ErrorPatterns:
        """The `cli.errors` patterns, for the classifier (empty for an http profile)."""
        if self.cli is None:
            return ErrorPatterns()
        errors = self.cli.errors
        return ErrorPatterns(
            rate_limit=errors.rate_limit_patterns,
            auth=errors.auth_error_patterns,
            capacity=errors.capacity_patterns,
            timeout=errors.timeout_patterns,
            crash=errors.crash_patterns,
            stale=errors.stale_patterns,
            quota=errors.quota_patterns,
            failure=errors.failure_patterns,
        )
