"""The score's optional blocks, with Marianne's fields, defaults and limits.

Most of them Podium accepts and checks today but does not act on yet; `podium validate` lists
those (see `acted_on.py`). Every block forbids keys it does not know.
"""

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from podium.domain.notices import split_urls


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regex(pattern: str, what: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{what} is not a valid regular expression: {pattern!r} ({exc})") from None
    return pattern


class RetryConfig(Block):
    max_retries: int = Field(default=3, ge=0)
    base_delay_seconds: float = Field(default=10.0, gt=0)
    max_delay_seconds: float = Field(default=3600.0, gt=0)
    exponential_base: float = Field(default=2.0, gt=1)
    jitter: bool = True
    max_completion_attempts: int = Field(default=5, ge=0)
    completion_delay_seconds: float = Field(default=5.0, ge=0)
    completion_threshold_percent: float = Field(default=50.0, gt=0, le=100)

    @model_validator(mode="after")
    def _delays(self) -> "RetryConfig":
        if self.base_delay_seconds > self.max_delay_seconds:
            raise ValueError(
                f"base_delay_seconds ({self.base_delay_seconds:g}) must not exceed "
                f"max_delay_seconds ({self.max_delay_seconds:g})"
            )
        return self


DEFAULT_RATE_LIMIT_PATTERNS = (
    "rate.?limit",
    "usage.?limit",
    "quota",
    "too many requests",
    "429",
    "capacity",
    "try again later",
)


class RateLimitConfig(Block):
    detection_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_RATE_LIMIT_PATTERNS))
    wait_minutes: int = Field(default=60, ge=1)
    max_waits: int = Field(default=24, ge=1)
    max_quota_waits: int = Field(default=48, ge=1)

    @field_validator("detection_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for i, pattern in enumerate(value):
            _check_regex(pattern, f"detection_patterns[{i}]")
        return value


class CircuitBreakerConfig(Block):
    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1, le=100)
    recovery_timeout_seconds: float = Field(default=300.0, gt=0, le=3600)
    cross_workspace_coordination: bool = True
    honor_other_jobs_rate_limits: bool = True


class CostLimitConfig(Block):
    enabled: bool = False
    max_cost_per_sheet: float | None = Field(default=None, gt=0)
    max_cost_per_job: float | None = Field(default=None, gt=0)
    cost_per_1k_input_tokens: float = Field(default=0.003, gt=0)
    cost_per_1k_output_tokens: float = Field(default=0.015, gt=0)
    warn_at_percent: float = Field(default=80.0, gt=0, le=100)
    on_exceed: Literal["pause", "ask"] = "pause"
    """Podium's: `ask` turns a limit reached into a question before each sheet starts."""

    @model_validator(mode="before")
    @classmethod
    def _enabled_by_a_limit(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and "enabled" not in data
            and (
                data.get("max_cost_per_sheet") is not None
                or data.get("max_cost_per_job") is not None
            )
        ):
            return {**data, "enabled": True}
        return data

    @model_validator(mode="after")
    def _a_limit_when_enabled(self) -> "CostLimitConfig":
        if self.enabled and self.max_cost_per_sheet is None and self.max_cost_per_job is None:
            raise ValueError(
                "cost limits are enabled but no limit is set: set max_cost_per_sheet and/or "
                "max_cost_per_job, or set enabled: false"
            )
        return self


class StaleDetectionConfig(Block):
    enabled: bool = False
    idle_timeout_seconds: float = Field(default=300.0, gt=0)
    check_interval_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _interval(self) -> "StaleDetectionConfig":
        if self.check_interval_seconds >= self.idle_timeout_seconds:
            raise ValueError(
                f"check_interval_seconds ({self.check_interval_seconds:g}) must be less than "
                f"idle_timeout_seconds ({self.idle_timeout_seconds:g})"
            )
        return self


class ParallelConfig(Block):
    enabled: bool = False
    max_concurrent: int = Field(default=3, ge=1, le=20)
    fail_fast: bool = True
    budget_partition: bool = True
    stagger_delay_ms: int = Field(default=0, ge=0, le=5000)

    @field_validator("budget_partition")
    @classmethod
    def _partition(cls, value: bool) -> bool:
        if not value:
            raise ValueError(
                "budget_partition: false is not implemented (in Marianne either); "
                "remove it, or keep the default (true)"
            )
        return value


class CrossSheetConfig(Block):
    auto_capture_stdout: bool = False
    max_output_chars: int = Field(default=2000, gt=0)
    capture_files: list[str] = Field(default_factory=list)
    lookback_sheets: int = Field(default=3, ge=0)


HookType = Literal["run_job", "run_command", "run_script"]


class HookConfig(Block):
    type: HookType
    job_path: str | None = None
    job_workspace: str | None = None
    inherit_learning: bool = True
    command: str | None = None
    working_directory: str | None = None
    description: str | None = None
    on_failure: Literal["continue", "abort"] = "continue"
    timeout_seconds: float = Field(default=300.0, gt=0)
    detached: bool = False
    fresh: bool = False
    pause_before_chain: bool = False

    @model_validator(mode="after")
    def _needs(self) -> "HookConfig":
        if self.type == "run_job" and not self.job_path:
            raise ValueError("a run_job hook needs 'job_path'")
        if self.type != "run_job" and not self.command:
            raise ValueError(f"a {self.type} hook needs 'command'")
        return self


class ConcertConfig(Block):
    enabled: bool = False
    max_chain_depth: int = Field(default=5, ge=1, le=100)
    cooldown_between_jobs_seconds: float = Field(default=30.0, ge=0)
    inherit_workspace: bool = True
    concert_log_path: str | None = None
    abort_concert_on_hook_failure: bool = False


NotificationEvent = Literal[
    "job_start",
    "sheet_start",
    "sheet_complete",
    "sheet_failed",
    "job_complete",
    "job_failed",
    "job_paused",
    "rate_limit",
    "approval_requested",
    "approval_decided",
    "approval_expired",
]


class NotificationConfig(Block):
    type: Literal["desktop", "slack", "webhook", "email", "apprise"]
    on_events: list[NotificationEvent] = Field(
        default_factory=lambda: ["job_complete", "job_failed"]  # type: ignore[arg-type]
    )
    config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _endpoint(self) -> "NotificationConfig":
        if self.type == "webhook" and not (self.config.get("url") or self.config.get("url_env")):
            raise ValueError("a webhook notification needs 'url' or 'url_env' in its config")
        if self.type == "slack" and not (
            self.config.get("webhook_url") or self.config.get("webhook_url_env")
        ):
            raise ValueError("a slack notification needs 'webhook_url' or 'webhook_url_env'")
        if self.type == "email" and not email_addresses(self.config.get("to")):
            raise ValueError("an email notification needs 'to': an address or a list of them")
        if self.type == "apprise":
            _check_apprise(self.config)
        _check_sending(self.config)
        return self


NOTIFY_TIMEOUT_SECONDS = 10.0
"""A notification's `config.timeout` when it sets none."""
NOTIFY_RETRIES = 3
"""A notification's `config.retries` when it sets none."""


def email_addresses(value: object) -> list[str]:
    """An email entry's `to` as a list; empty when it is not one address or a list of them."""
    found = [value] if isinstance(value, str) else value
    if not isinstance(found, list) or not all(isinstance(a, str) and "@" in a for a in found):
        return []
    return found


def apprise_urls(value: object) -> list[str]:
    """An apprise entry's `urls` as a list: one string (which may hold several URLs,
    separated as Apprise reads them) or a list of strings; empty when it is neither."""
    found = [value] if isinstance(value, str) else value
    if not isinstance(found, list) or not all(isinstance(u, str) for u in found):
        return []
    return [url for text in found for url in split_urls(text)]


def _check_apprise(config: dict[str, Any]) -> None:
    # The URLs are never quoted: their tokens are in them.
    if "urls" not in config and not config.get("url_env"):
        raise ValueError(
            "an apprise notification needs 'urls' (a URL or a list of them) or 'url_env' "
            "(the variable holding them) in its config"
        )
    if "urls" in config and not apprise_urls(config["urls"]):
        raise ValueError("config.urls must be a URL, or a list of URLs, such as 'ntfy://topic'")


def _check_sending(config: dict[str, Any]) -> None:
    """The settings Podium reads when it sends: a URL it can post to, a timeout, retries,
    headers."""
    for key in ("url", "webhook_url"):
        url = config.get(key)
        if url is not None and not (
            isinstance(url, str) and url.startswith(("http://", "https://"))
        ):
            raise ValueError(f"config.{key} must be an http:// or https:// URL")
    for key in ("url_env", "webhook_url_env"):
        if key in config and not isinstance(config[key], str):
            raise ValueError(f"config.{key} is the name of an environment variable")
    timeout = config.get("timeout", NOTIFY_TIMEOUT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"config.timeout must be a number of seconds above 0, got {timeout!r}")
    retries = config.get("retries", NOTIFY_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise ValueError(f"config.retries must be a whole number from 0 to 10, got {retries!r}")
    headers = config.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | float) for k, v in headers.items()
    ):
        raise ValueError("config.headers must map header names to values")


class IsolationConfig(Block):
    enabled: bool = False
    mode: Literal["none", "worktree"] = "worktree"
    worktree_base: str | None = None
    branch_prefix: str = Field(default="marianne", pattern=r"^[a-zA-Z][a-zA-Z0-9_-]*$")
    source_branch: str | None = None
    cleanup_on_success: bool = True
    cleanup_on_failure: bool = False
    lock_during_execution: bool = True
    fallback_on_error: bool = True


class WorkspaceLifecycleConfig(Block):
    archive_on_fresh: bool = False
    archive_dir: str = "archive"
    archive_naming: Literal["iteration", "timestamp"] = "iteration"
    max_archives: int = Field(default=0, ge=0)
    preserve_patterns: list[str] = Field(
        default_factory=lambda: [
            ".iteration",
            ".marianne-*",
            ".coverage",
            "archive/**",
            ".worktrees/**",
        ]
    )

    @field_validator("preserve_patterns")
    @classmethod
    def _no_empty(cls, value: list[str]) -> list[str]:
        if any(not p for p in value):
            raise ValueError("preserve_patterns must not contain empty strings")
        return value


class SpecFragment(Block):
    name: str = Field(min_length=1)
    content: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    kind: Literal["text", "structured"] = "text"
    data: dict[str, Any] | None = None


class SpecConfig(Block):
    spec_dir: str = ""
    include_claude_md: bool = False
    fragments: list[SpecFragment] = Field(default_factory=list)
    max_chars: int = Field(default=30_000, ge=1_000)
    """The most a sheet's prompt gives to the spec (a Podium key): whole fragments first."""


class TechniqueConfig(Block):
    kind: Literal["skill", "mcp", "protocol"]
    phases: list[str | int]
    """Movement numbers, movement names, or `all` (see `podium.score.techniques`)."""
    required: bool = False
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("phases", mode="before")
    @classmethod
    def _all(cls, value: object) -> object:
        return [value] if isinstance(value, str | int) else value


class A2ASkill(Block):
    id: str
    description: str


class AgentCard(Block):
    name: str
    description: str
    skills: list[A2ASkill] = Field(default_factory=list)


class ExplorationBudgetConfig(Block):
    enabled: bool = False
    floor: float = Field(default=0.05, ge=0, le=1)
    ceiling: float = Field(default=0.50, ge=0, le=1)
    decay_rate: float = Field(default=0.95, ge=0, le=1)
    boost_amount: float = Field(default=0.10, ge=0, le=0.5)
    initial_budget: float = Field(default=0.15, ge=0, le=1)

    @model_validator(mode="after")
    def _bounds(self) -> "ExplorationBudgetConfig":
        if self.floor > self.ceiling:
            raise ValueError(f"floor ({self.floor}) must not exceed ceiling ({self.ceiling})")
        if not self.floor <= self.initial_budget <= self.ceiling:
            raise ValueError(
                f"initial_budget ({self.initial_budget}) must be between floor ({self.floor}) "
                f"and ceiling ({self.ceiling})"
            )
        return self


class EntropyResponseConfig(Block):
    enabled: bool = False
    entropy_threshold: float = Field(default=0.3, ge=0, le=1)
    cooldown_seconds: int = Field(default=3600, ge=60)
    boost_budget: bool = True
    revisit_quarantine: bool = True
    max_quarantine_revisits: int = Field(default=3, ge=0, le=10)


class AutoApplyConfig(Block):
    enabled: bool = False
    trust_threshold: float = Field(default=0.85, ge=0, le=1)
    max_patterns_per_sheet: int = Field(default=3, ge=1, le=10)
    require_validated_status: bool = True
    log_applications: bool = True


class LearningConfig(Block):
    enabled: bool = True
    outcome_store_type: Literal["json", "sqlite"] = "json"
    outcome_store_path: str | None = None
    min_confidence_threshold: float = Field(default=0.3, ge=0, le=1)
    high_confidence_threshold: float = Field(default=0.7, ge=0, le=1)
    escalation_enabled: bool = False
    use_global_patterns: bool = True
    exploration_rate: float = Field(default=0.15, ge=0, le=1)
    exploration_min_priority: float = Field(default=0.05, ge=0, le=1)
    entropy_alert_threshold: float = Field(default=0.5, ge=0, le=1)
    entropy_check_interval: int = Field(default=100, ge=1)
    auto_apply_enabled: bool = False
    auto_apply_trust_threshold: float = Field(default=0.85, ge=0, le=1)
    exploration_budget: ExplorationBudgetConfig = Field(default_factory=ExplorationBudgetConfig)
    entropy_response: EntropyResponseConfig = Field(default_factory=EntropyResponseConfig)
    auto_apply: AutoApplyConfig | None = None

    @model_validator(mode="after")
    def _thresholds(self) -> "LearningConfig":
        if self.min_confidence_threshold >= self.high_confidence_threshold:
            raise ValueError(
                f"min_confidence_threshold ({self.min_confidence_threshold}) must be less than "
                f"high_confidence_threshold ({self.high_confidence_threshold})"
            )
        return self


class GroundingHookConfig(Block):
    type: Literal["file_checksum"]
    name: str | None = None
    expected_checksums: dict[str, str] = Field(default_factory=dict)
    checksum_algorithm: Literal["md5", "sha256"] = "sha256"


class GroundingConfig(Block):
    enabled: bool = False
    hooks: list[GroundingHookConfig] = Field(default_factory=list)
    fail_on_grounding_failure: bool = True
    escalate_on_failure: bool = True
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _hooks(self) -> "GroundingConfig":
        if self.enabled and not self.hooks:
            raise ValueError(
                "grounding is enabled but has no hooks: add one, or set enabled: false"
            )
        return self


class CostOver(Block):
    """`cost_over: {sheet: 2.0}` or `{job: 10.0}`: asked once that much was spent."""

    sheet: float | None = Field(default=None, gt=0)
    job: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> "CostOver":
        if (self.sheet is None) == (self.job is None):
            raise ValueError("cost_over needs exactly one of 'sheet' or 'job' (in dollars)")
        return self


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a JSON Schema (checked against its draft's meta-schema), or None."""
    from jsonschema import SchemaError, validators  # noqa: PLC0415 - only for scores with one

    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "".join(f"[{p!r}]" for p in exc.path)
        return f"{where + ': ' if where else ''}{exc.message}"
    return None


class CheckpointTrigger(Block):
    """One gate: Marianne's keys (name … message), then Podium's (when … input)."""

    name: str
    sheet_nums: list[Annotated[int, Field(ge=1)]] | None = None
    prompt_contains: list[str] | None = None
    min_retry_count: int | None = Field(default=None, ge=0)
    requires_confirmation: bool = True
    message: str = ""
    when: Literal["before", "after_checks"] = "before"
    cost_over: float | CostOver | None = None
    """A number is the sheet's cost, in dollars."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds the question waits for an answer before `on_timeout` applies."""
    on_timeout: Literal["pause", "approve", "reject", "skip"] = "pause"
    input: dict[str, Any] | None = None
    """A JSON Schema for what the person supplies (a note, a replacement prompt)."""

    @model_validator(mode="after")
    def _condition(self) -> "CheckpointTrigger":
        if (
            not self.sheet_nums
            and not self.prompt_contains
            and self.min_retry_count is None
            and self.cost_over is None
        ):
            raise ValueError(
                f"checkpoint trigger '{self.name}' needs sheet_nums, prompt_contains, "
                "min_retry_count or cost_over"
            )
        if isinstance(self.cost_over, float | int) and self.cost_over <= 0:
            raise ValueError("cost_over must be more than 0 (dollars)")
        if self.input is not None:
            problem = schema_problem(self.input)
            if problem is not None:
                raise ValueError(f"input is not a valid JSON Schema: {problem}")
        if self.on_timeout != "pause" and self.timeout is None:
            raise ValueError(f"on_timeout: {self.on_timeout} needs a timeout (seconds)")
        return self


class CheckpointConfig(Block):
    enabled: bool = False
    triggers: list[CheckpointTrigger] = Field(default_factory=list)

    @model_validator(mode="after")
    def _triggers(self) -> "CheckpointConfig":
        if self.enabled and not self.triggers:
            raise ValueError(
                "checkpoints are enabled but have no triggers: add one, or set enabled: false"
            )
        return self


class AIReviewConfig(Block):
    enabled: bool = False
    min_score: int = Field(default=60, ge=0, le=100)
    target_score: int = Field(default=80, ge=0, le=100)
    on_low_score: Literal["retry", "warn", "fail"] = "warn"
    max_retry_for_review: int = Field(default=2, ge=0, le=5)
    review_prompt_template: str | None = None
    instrument: str | None = None
    """The instrument that reviews (a Podium key): the sheet's own without it."""
    model: str | None = None
    """Its model (a Podium key): a cheap one does."""
    instrument_config: dict[str, Any] = Field(default_factory=dict)
    """Its settings, as a sheet's `instrument_config` (a Podium key): `base_url`, …."""
    timeout_seconds: float = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _scores(self) -> "AIReviewConfig":
        if self.min_score > self.target_score:
            raise ValueError(
                f"min_score ({self.min_score}) must be <= target_score ({self.target_score})"
            )
        return self


class FeedbackConfig(Block):
    enabled: bool = False
    pattern: str = r"(?s)FEEDBACK_START(.+?)FEEDBACK_END"
    format: Literal["json", "yaml", "text"] = "json"

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _check_regex(value, "pattern")


class ConductorPreferences(Block):
    prefer_minimal_output: bool = False
    escalation_response_timeout_seconds: float = Field(default=300.0, gt=0)
    auto_retry_on_transient_errors: bool = True
    notification_channels: list[str] = Field(default_factory=list)


class ConductorIdentity(Block):
    name: str = Field(default="default", min_length=1, max_length=100)
    role: Literal["human", "ai", "hybrid"] = "human"
    identity_context: str | None = Field(default=None, max_length=500)
    preferences: ConductorPreferences = Field(default_factory=ConductorPreferences)


SENSITIVE_ENV = frozenset(
    {
        "PATH",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "DYLD_INSERT_LIBRARIES",
        "DYLD_LIBRARY_PATH",
        "PYTHONPATH",
        "NODE_PATH",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
    }
)


class MCPServerConfig(Block):
    name: str
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    working_dir: str | None = None
    timeout_seconds: float = 30.0

    @field_validator("env")
    @classmethod
    def _safe_env(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key.upper() in SENSITIVE_ENV:
                raise ValueError(f"an MCP server's env cannot override {key}")
        return value


class BridgeConfig(Block):
    enabled: bool = False
    mcp_proxy_enabled: bool = True
    mcp_servers: list[MCPServerConfig] = Field(default_factory=list)
    hybrid_routing_enabled: bool = False
    complexity_threshold: float = Field(default=0.7, ge=0, le=1)
    fallback_to_claude: bool = True
    context_budget_percent: int = Field(default=75, ge=10, le=95)


class LogConfig(Block):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console", "both"] = "console"
    file_path: Path | None = None
    max_file_size_mb: int = Field(default=50, gt=0, le=1000)
    backup_count: int = Field(default=5, ge=0, le=100)
    include_timestamps: bool = True
    include_context: bool = True

    @model_validator(mode="after")
    def _file(self) -> "LogConfig":
        if self.format == "both" and self.file_path is None:
            raise ValueError("file_path is required when format is 'both'")
        return self
