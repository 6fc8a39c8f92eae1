"""The score model: every key of Marianne's score format, with its defaults and limits.

Every model forbids keys it does not know, so a typo is an error (with a suggestion) instead of
a setting silently ignored. `blocks.py` holds the optional blocks; checks that need the whole
score (ranges, cycles, fan-out) are in `planner.py` and `checks.py`, where they can point at the
line in question.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from podium.score.blocks import (
    AgentCard,
    AIReviewConfig,
    Block,
    BridgeConfig,
    CheckpointConfig,
    CircuitBreakerConfig,
    ConcertConfig,
    ConductorIdentity,
    CostLimitConfig,
    CrossSheetConfig,
    FeedbackConfig,
    GroundingConfig,
    HookConfig,
    IsolationConfig,
    LearningConfig,
    LogConfig,
    NotificationConfig,
    ParallelConfig,
    RateLimitConfig,
    RetryConfig,
    SpecConfig,
    StaleDetectionConfig,
    TechniqueConfig,
    WorkspaceLifecycleConfig,
)

DEFAULT_SHEET_TIMEOUT_SECONDS = 1800.0
"""Marianne's default `backend.timeout_seconds`, used when nothing sets a sheet's timeout."""

Positive = Annotated[int, Field(ge=1)]


class InstrumentSettings(BaseModel):
    """`instrument_config` and its kin: flat settings handed to the instrument.

    As in Marianne, any key and value pass through to the instrument. The timeouts are typed,
    since Podium uses them; `podium validate` points out keys it does not know, in case they
    are typos.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    timeout_seconds: float | None = Field(default=None, gt=0)
    timeout_overrides: dict[Positive, Annotated[float, Field(gt=0)]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


KNOWN_INSTRUMENT_SETTINGS = frozenset(
    {
        "model",
        "cli_model",
        "timeout_seconds",
        "timeout_overrides",
        "skip_permissions",
        "disable_mcp",
        "allowed_tools",
        "working_directory",
        "system_prompt_file",
        "cli_extra_args",
        "output_format",
        "api_key_env",
        "base_url",
        "config_file",
        "max_tokens",
        "temperature",
    }
)
"""Settings instruments are known to take; `model` and the timeouts matter to the plan."""


class InstrumentAlias(Block):
    profile: str = Field(min_length=1)
    config: InstrumentSettings = Field(default_factory=InstrumentSettings)


class Movement(Block):
    name: str | None = None
    instrument: str | None = Field(default=None, min_length=1)
    instrument_config: InstrumentSettings = Field(default_factory=InstrumentSettings)
    voices: int | None = Field(default=None, ge=1)
    instrument_fallbacks: list[str] = Field(default_factory=list)


class SheetBackendOverride(Block):
    cli_model: str | None = None
    model: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    timeout_seconds: float | None = Field(default=None, gt=0)


class RecursiveLightConfig(Block):
    endpoint: str = "http://localhost:8080"
    user_id: str | None = None
    timeout: float = Field(default=30.0, gt=0)


class OllamaConfig(Block):
    base_url: str = "http://localhost:11434"
    model: str = "llama3.1:8b"
    num_ctx: int = Field(default=32768, ge=4096)
    dynamic_tools: bool = True
    compression_level: Literal["minimal", "moderate", "aggressive"] = "moderate"
    timeout_seconds: float = Field(default=300.0, gt=0)
    keep_alive: str = "5m"
    max_tool_iterations: int = Field(default=10, ge=1, le=50)
    health_check_timeout: float = 10.0


class BackendConfig(Block):
    """The legacy `backend` block: the instrument of scores that name none, and timeouts."""

    type: str = "claude_cli"
    skip_permissions: bool = True
    disable_mcp: bool = True
    output_format: Literal["json", "text", "stream-json"] = "text"
    cli_model: str | None = None
    allowed_tools: list[str] | None = None
    system_prompt_file: str | None = None
    working_directory: str | None = None
    timeout_seconds: float = Field(default=DEFAULT_SHEET_TIMEOUT_SECONDS, gt=0)
    timeout_overrides: dict[Positive, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    sheet_overrides: dict[Positive, SheetBackendOverride] = Field(default_factory=dict)
    cli_extra_args: list[str] = Field(default_factory=list)
    max_output_capture_bytes: int = Field(default=51200, gt=0)
    model: str = "claude-sonnet-4-5-20250929"
    api_key_env: str = "ANTHROPIC_API_KEY"
    max_tokens: int = Field(default=16384, ge=1)
    temperature: float = Field(default=0.7, ge=0, le=1)
    recursive_light: RecursiveLightConfig = Field(default_factory=RecursiveLightConfig)
    ollama: OllamaConfig = Field(default_factory=OllamaConfig)


class Injection(Block):
    """A prelude or cadenza item: a file or a folder, injected as context, a skill or a tool."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    file: str | None = None
    directory: str | None = None
    as_: Literal["context", "skill", "tool"] = Field(alias="as")
    required: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "Injection":
        if self.file and self.directory:
            raise ValueError("give 'file' or 'directory', not both")
        if not self.file and not self.directory:
            raise ValueError("give 'file' or 'directory'")
        return self


class SkipWhenCommand(Block):
    command: str = Field(min_length=1)
    description: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)


class SheetConfig(Block):
    size: int = Field(ge=1)
    total_items: int = Field(ge=1)
    start_item: int = Field(default=1, ge=1)
    descriptions: dict[Positive, str] = Field(default_factory=dict)
    dependencies: dict[Positive, list[Positive]] = Field(default_factory=dict)
    spec_tags: dict[Positive, list[str]] = Field(default_factory=dict)
    skip_when: dict[Positive, str] = Field(default_factory=dict)
    skip_when_command: dict[Positive, SkipWhenCommand] = Field(default_factory=dict)
    prompt_extensions: dict[Positive, list[str]] = Field(default_factory=dict)
    prelude: list[Injection] = Field(default_factory=list)
    cadenzas: dict[Positive, list[Injection]] = Field(default_factory=dict)
    fan_out: dict[Positive, Positive] = Field(default_factory=dict)
    per_sheet_instruments: dict[Positive, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict
    )
    per_sheet_instrument_config: dict[Positive, InstrumentSettings] = Field(default_factory=dict)
    per_sheet_fallbacks: dict[Positive, list[str]] = Field(default_factory=dict)
    instrument_map: dict[Annotated[str, Field(min_length=1)], list[Positive]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _some_items(self) -> "SheetConfig":
        if self.start_item > self.total_items:
            raise ValueError(
                f"start_item ({self.start_item}) is past total_items "
                f"({self.total_items}); there would be no sheets"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _computed_total(cls, data: Any) -> Any:
        # Marianne writes the computed sheet count back as total_sheets and accepts it on
        # reading; it is derived, so it is dropped here (`podium validate` says so).
        if isinstance(data, dict) and "total_sheets" in data:
            return {k: v for k, v in data.items() if k != "total_sheets"}
        return data


class PromptConfig(Block):
    template: str | None = None
    template_file: str | None = None
    variables: dict[str | int, Any] = Field(default_factory=dict)
    stakes: str | None = None
    thinking_method: str | None = None
    prompt_extensions: list[str] = Field(default_factory=list)
    lessons: bool = True
    """Lessons from this job's failed attempts in later prompts (a Podium key)."""

    @model_validator(mode="after")
    def _one_template(self) -> "PromptConfig":
        if self.template is not None and self.template_file is not None:
            raise ValueError("give 'template' or 'template_file', not both")
        return self


ValidationType = Literal[
    "file_exists", "file_modified", "content_contains", "content_regex", "command_succeeds"
]
RULE_NEEDS: dict[str, tuple[str, ...]] = {
    "file_exists": ("path",),
    "file_modified": ("path",),
    "content_contains": ("path", "pattern"),
    "content_regex": ("path", "pattern"),
    "command_succeeds": ("command",),
}
"""The fields each type of rule needs (checked with the rule's location, as V008)."""


class ValidationRule(Block):
    type: ValidationType
    path: str | None = None
    pattern: str | None = None
    description: str | None = None
    command: str | None = None
    working_directory: str | None = None
    stage: int = Field(default=1, ge=1, le=10)
    condition: str | None = None
    retry_count: int = Field(default=3, ge=0, le=10)
    retry_delay_ms: int = Field(default=200, ge=0, le=5000)
    timeout_seconds: float | None = Field(default=None, gt=0)
    sheet: int | None = Field(default=None, ge=1)

    @property
    def effective_condition(self) -> str | None:
        """`sheet: N` is shorthand for `condition: "sheet_num == N"`; a condition wins."""
        if self.condition is None and self.sheet is not None:
            return f"sheet_num == {self.sheet}"
        return self.condition


class ScoreModel(Block):
    name: str = Field(min_length=1)
    description: str | None = None
    workspace: str = "./workspace"
    backend: BackendConfig = Field(default_factory=BackendConfig)
    instrument: str | None = Field(default=None, min_length=1)
    instrument_config: InstrumentSettings = Field(default_factory=InstrumentSettings)
    instrument_fallbacks: list[str] = Field(default_factory=list)
    instruments: dict[str, InstrumentAlias] = Field(default_factory=dict)
    movements: dict[Positive, Movement] = Field(default_factory=dict)
    sheet: SheetConfig
    prompt: PromptConfig
    spec: SpecConfig = Field(default_factory=SpecConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)
    cost_limits: CostLimitConfig = Field(default_factory=CostLimitConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    grounding: GroundingConfig = Field(default_factory=GroundingConfig)
    ai_review: AIReviewConfig = Field(default_factory=AIReviewConfig)
    logging: LogConfig = Field(default_factory=LogConfig)
    workspace_lifecycle: WorkspaceLifecycleConfig = Field(default_factory=WorkspaceLifecycleConfig)
    isolation: IsolationConfig = Field(default_factory=IsolationConfig)
    conductor: ConductorIdentity = Field(default_factory=ConductorIdentity)
    parallel: ParallelConfig = Field(default_factory=ParallelConfig)
    stale_detection: StaleDetectionConfig = Field(default_factory=StaleDetectionConfig)
    checkpoints: CheckpointConfig = Field(default_factory=CheckpointConfig)
    approvals: CheckpointConfig = Field(default_factory=CheckpointConfig)
    """Podium's name for `checkpoints` (the same block); a score sets one or the other."""
    bridge: BridgeConfig | None = None
    cross_sheet: CrossSheetConfig | None = None
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    techniques: dict[str, TechniqueConfig] = Field(default_factory=dict)
    agent_card: AgentCard | None = None
    validations: list[ValidationRule] = Field(default_factory=list)
    notifications: list[NotificationConfig] = Field(default_factory=list)
    on_success: list[HookConfig] = Field(default_factory=list)
    concert: ConcertConfig = Field(default_factory=ConcertConfig)
    state_backend: Literal["json", "sqlite"] = "sqlite"
    state_path: str | None = None
    pause_between_sheets_seconds: int = Field(default=2, ge=0)

    @field_validator("instrument_fallbacks")
    @classmethod
    def _no_empty_names(cls, value: list[str]) -> list[str]:
        if any(not name for name in value):
            raise ValueError("instrument names in instrument_fallbacks must not be empty")
        return value

    @model_validator(mode="after")
    def _one_gate_block(self) -> "ScoreModel":
        if self.checkpoints.triggers and self.approvals.triggers:
            raise ValueError(
                "set 'checkpoints' or 'approvals' (the same block under Podium's name), not "
                "both: move the triggers into one of them"
            )
        return self

    @property
    def gate_block(self) -> CheckpointConfig:
        """The score's approval gates, under whichever name it gives them."""
        return self.approvals if self.approvals.triggers else self.checkpoints
