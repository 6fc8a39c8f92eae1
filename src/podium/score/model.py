"""The score model: the keys Podium runs, with Marianne's names and defaults.

Every model forbids unknown keys. Keys that Marianne's score format has but this version of
Podium does not run yet are named as such (`MARIANNE_KEYS`), so a person knows whether they
made a typo or met a limit.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_SHEET_TIMEOUT_SECONDS = 1800.0
"""Marianne's default `backend.timeout_seconds`, used when a score sets no timeout."""


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstrumentConfig(_Block):
    timeout_seconds: float | None = Field(default=None, gt=0)


class SheetConfig(_Block):
    size: int = Field(ge=1)
    total_items: int = Field(ge=1)
    start_item: int = Field(default=1, ge=1)
    dependencies: dict[int, list[int]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _items_in_range(self) -> "SheetConfig":
        if self.start_item > self.total_items:
            raise ValueError(
                f"start_item ({self.start_item}) is past total_items ({self.total_items}); "
                "there would be no sheets"
            )
        return self


class PromptConfig(_Block):
    template: str
    variables: dict[str | int, Any] = Field(default_factory=dict)


ValidationType = Literal["file_exists", "content_contains", "command_succeeds"]
_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "file_exists": ("path",),
    "content_contains": ("path", "pattern"),
    "command_succeeds": ("command",),
}


class ValidationConfig(_Block):
    type: ValidationType
    path: str | None = None
    pattern: str | None = None
    command: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _required_fields(self) -> "ValidationConfig":
        missing = [f for f in _REQUIRED_FIELDS[self.type] if not getattr(self, f)]
        if missing:
            raise ValueError(f"a {self.type} rule needs {' and '.join(repr(m) for m in missing)}")
        return self


class RetryConfig(_Block):
    max_retries: int = Field(default=3, ge=0)


class ScoreModel(_Block):
    name: str = Field(min_length=1)
    description: str | None = None
    workspace: str = "./workspace"
    instrument: str = "claude-code"
    instrument_config: InstrumentConfig = Field(default_factory=InstrumentConfig)
    sheet: SheetConfig
    prompt: PromptConfig
    validations: list[ValidationConfig] = Field(default_factory=list)
    retry: RetryConfig = Field(default_factory=RetryConfig)

    @field_validator("instrument")
    @classmethod
    def _known_instrument(cls, value: str) -> str:
        if value != "cli":
            raise ValueError(
                f"instrument '{value}' is not available in this version of Podium, which runs "
                "the 'cli' instrument (the prompt runs as a bash script); set 'instrument: cli'"
            )
        return value


MARIANNE_KEYS: dict[tuple[str, ...], frozenset[str]] = {
    (): frozenset(
        {
            "instrument_fallbacks",
            "instruments",
            "movements",
            "backend",
            "rate_limit",
            "circuit_breaker",
            "cost_limits",
            "stale_detection",
            "parallel",
            "cross_sheet",
            "on_success",
            "concert",
            "notifications",
            "isolation",
            "workspace_lifecycle",
            "spec",
            "techniques",
            "agent_card",
            "learning",
            "grounding",
            "checkpoints",
            "ai_review",
            "feedback",
            "conductor",
            "bridge",
            "logging",
            "state_backend",
            "state_path",
            "pause_between_sheets_seconds",
        }
    ),
    ("sheet",): frozenset(
        {
            "fan_out",
            "skip_when",
            "skip_when_command",
            "prelude",
            "cadenzas",
            "descriptions",
            "spec_tags",
            "prompt_extensions",
            "per_sheet_instruments",
            "per_sheet_instrument_config",
            "instrument_map",
            "per_sheet_fallbacks",
        }
    ),
    ("prompt",): frozenset({"template_file", "stakes", "thinking_method", "prompt_extensions"}),
    ("validations", "*"): frozenset(
        {
            "working_directory",
            "stage",
            "condition",
            "sheet",
            "retry_count",
            "retry_delay_ms",
            "timeout_seconds",
        }
    ),
    ("retry",): frozenset(
        {
            "base_delay_seconds",
            "max_delay_seconds",
            "exponential_base",
            "jitter",
            "max_completion_attempts",
            "completion_delay_seconds",
            "completion_threshold_percent",
        }
    ),
    ("instrument_config",): frozenset(
        {
            "model",
            "skip_permissions",
            "disable_mcp",
            "allowed_tools",
            "timeout_overrides",
            "working_directory",
            "cli_extra_args",
            "system_prompt_file",
            "output_format",
        }
    ),
}
"""Keys of Marianne's score format that this version accepts only by name, per location."""

MARIANNE_VALIDATION_TYPES = frozenset({"file_modified", "content_regex"})
