"""The conductor's own settings (`conductor.yaml`), with their defaults, the built-in profiles
laid over them, and the keys of Marianne's file that Podium accepts without using."""

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from podium.config_file import read_settings
from podium.domain.errors import UserError
from podium.domain.limits import Limits

_MODEL = ConfigDict(extra="forbid", frozen=True)
"""Each setting is documented by the docstring under it, read only by `starter_text`:
pydantic's `use_attribute_docstrings` would read this file's source at every start."""


class InstrumentLimit(BaseModel):
    model_config = _MODEL

    max_concurrent: int | None = Field(default=None, ge=1, le=1000)
    """Attempts on this instrument at once (4 when unset)."""
    models: dict[str, int] = Field(default_factory=dict)
    """Attempts at once per model; a model with a cap is not counted against the instrument's."""
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s\"'\\]+$")
    """The endpoint this instrument's CLI talks to (your gateway or proxy), for every score
    whose `instrument_config` sets no `base_url` of its own."""
    config_file: str | None = None
    """A configuration file for this instrument's CLI (an absolute path, `~` allowed), for
    every score whose `instrument_config` sets no `config_file` of its own."""

    @field_validator("config_file")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise ValueError(f"{value!r} is not an absolute path; write it in full or with ~")
        return str(path)

    def connection(self) -> dict[str, str]:
        """The `base_url` and `config_file` given here."""
        found = {"base_url": self.base_url, "config_file": self.config_file}
        return {k: v for k, v in found.items() if v}


class ResourceLimits(BaseModel):
    model_config = _MODEL

    max_memory_mb: int = Field(default=8192, ge=64)
    """Memory (RSS) of the conductor and every process it started, together."""
    max_processes: int = Field(default=256, ge=4)
    """Processes the conductor started (attempts and their children), together."""
    min_free_disk_mb: int = Field(default=64, ge=0)
    """Below this much free space in the state folder, no attempt or queued job starts (the
    disk pressure level) until there is again."""
    disk_reserve_mb: int = Field(default=8, ge=0, le=1024)
    """A reserve file kept in the state folder and given up when a write fails there, so that
    the conductor can still record what is running, stop cleanly and recover."""


class SocketConfig(BaseModel):
    model_config = _MODEL

    path: str | None = None
    """Where the conductor listens (the CLI looks there too); `PODIUM_SOCKET` overrides it."""


class EventsConfig(BaseModel):
    model_config = _MODEL

    keep: int = Field(default=10_000, ge=100, le=1_000_000)
    """The latest events kept, for subscribers that reconnect (`events.subscribe`)."""
    subscriber_queue: int = Field(default=10_000, ge=10, le=1_000_000)
    """How many events a subscriber may fall behind before it is dropped (and told why)."""


class SmtpConfig(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        serialize_by_alias=True,
    )

    host: str
    """The mail server that sends the scores' email notifications."""
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    """Log in as this user (with the password in `password_env`); unset: no login."""
    password_env: str | None = None
    """The variable of the conductor's environment that holds the password."""
    sender: str = Field(default="podium@localhost", alias="from")
    """The From address."""
    starttls: bool = True
    """Switch the connection to TLS (STARTTLS) before logging in."""


class NotificationsConfig(BaseModel):
    model_config = _MODEL

    smtp: SmtpConfig | None = None
    """The mail server for `type: email` notifications (none: they fail, and say so)."""


_VARIABLE_ENTRY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\*?")


class EnvironmentConfig(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    from_client: bool = True
    """Each `podium run` (and `podium resume`) carries the submitting shell's PATH and the
    variables its instruments' profiles ask for (`required_env`); attempts run with them laid
    over the conductor's own environment. false: jobs see the conductor's environment only."""
    pass_: list[str] = Field(default_factory=list, alias="pass")
    """More variables that travel with every submission, by name or `PREFIX_*` (for the
    `cli` instrument, whose scripts may read anything)."""

    @field_validator("pass_")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        bad = [entry for entry in value if not _VARIABLE_ENTRY.fullmatch(entry)]
        if bad:
            raise ValueError(
                f"{', '.join(map(repr, bad))}: give variable names (NAME) or prefixes (PREFIX_*)"
            )
        return value


class ExecutorConfig(BaseModel):
    model_config = _MODEL

    type: Literal["local", "ray"] = "local"
    """Where attempts run: `local` (process groups on this machine) or `ray` (a Ray cluster,
    `pip install 'podium[ray]'`; docs/ray.md)."""
    address: str = Field(default="auto", pattern=r"^(auto|ray://\S+|[^\s:/]+:\d+)$")
    """The Ray cluster: `auto` (the one this machine belongs to), `host:port` (its head's
    GCS port, 6379 by default) or `ray://host:10001` (a Ray client server)."""
    namespace: str = Field(default="podium", pattern=r"^[A-Za-z0-9_.-]+$")
    """The Ray namespace of the attempts' named actors; one per conductor sharing a cluster."""
    resources: dict[str, str] = Field(default_factory=dict)
    """The Ray node resource that offers each instrument (default `instrument:<name>`)."""

    def resource(self, instrument: str) -> str:
        """The node resource an attempt on `instrument` is placed by."""
        return self.resources.get(instrument, f"instrument:{instrument}")


class ConductorConfig(BaseModel):
    model_config = _MODEL

    max_concurrent_jobs: int = Field(default=15, ge=1, le=1000)
    """Jobs running at once; more wait, queued (a paused job holds no place)."""
    max_concurrent_sheets: int = Field(default=10, ge=1, le=1000)
    """Attempts running (or being validated) at once, across all jobs."""
    job_timeout_seconds: float = Field(default=86400.0, ge=60)
    """A job running longer than this since its latest start or resume fails."""
    kill_grace_seconds: float = Field(default=10.0, ge=0, le=600)
    """How long a process group gets between SIGTERM and SIGKILL."""
    instruments: dict[str, InstrumentLimit] = Field(default_factory=dict)
    """Concurrency caps per instrument and per model."""
    resource_limits: ResourceLimits = Field(default_factory=ResourceLimits)
    """What the resource monitor holds the conductor and its processes to (backpressure)."""
    monitor_interval_seconds: float = Field(default=15.0, ge=0.1, le=3600)
    """How often the resource monitor measures memory and processes."""
    shutdown_timeout_seconds: float = Field(default=300.0, ge=0)
    """How long `stop --drain` waits for running attempts before stopping anyway."""
    log_level: str = Field(default="info", pattern="(?i)^(debug|info|warning|error)$")
    """The least severe log records kept: debug, info, warning or error."""
    log_file: str | None = None
    """The conductor's log (default: conductor.log in the state folder); rotated."""
    socket: SocketConfig = Field(default_factory=SocketConfig)
    """Where the conductor listens."""
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    """What the scores' notifications need from the conductor (docs/notifications.md)."""
    environment: EnvironmentConfig = Field(default_factory=EnvironmentConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    """What a submission carries of the submitting shell's environment (docs/environment.md)."""
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    """Where attempts run: on this machine, or on a Ray cluster (docs/ray.md)."""

    def limits(self, profile_caps: Mapping[tuple[str, str | None], int] | None = None) -> Limits:
        """The engine's limits; the instruments' profiles give per-model caps, which this
        configuration's `instruments:` overrides."""
        return Limits(
            max_concurrent_jobs=self.max_concurrent_jobs,
            max_concurrent_sheets=self.max_concurrent_sheets,
            job_timeout_seconds=self.job_timeout_seconds,
            instrument_caps={
                name: limit.max_concurrent
                for name, limit in self.instruments.items()
                if limit.max_concurrent is not None
            },
            model_caps=dict(profile_caps or {})
            | {
                (name, model): cap
                for name, limit in self.instruments.items()
                for model, cap in limit.models.items()
            },
        )


PROFILES: Mapping[str, Mapping[str, Any]] = {
    "dev": {"log_level": "debug", "max_concurrent_jobs": 2, "monitor_interval_seconds": 5},
    "intensive": {
        "job_timeout_seconds": 172800,
        "resource_limits": {"max_memory_mb": 16384, "max_processes": 512},
    },
    "minimal": {"max_concurrent_jobs": 2, "max_concurrent_sheets": 2},
}
"""Built-in profiles (`podium start --profile NAME`), deep-merged over the file's settings:
dev debugs with little running at once; intensive gives long jobs room (48 h, 16 GB, 512
processes); minimal keeps a small machine quiet."""

MARIANNE_KEYS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("observer",),
        ("learning",),
        ("profiler",),
        ("preflight",),
        ("mcp_pool",),
        ("keyring",),
        ("state_backend_type",),
        ("state_db_path",),
        ("pid_file",),
        ("max_job_history",),
        ("default_thinking_method",),
        ("socket", "permissions"),
        ("socket", "backlog"),
        ("resource_limits", "max_api_calls_per_minute"),
    }
)
"""Settings of Marianne's conductor.yaml that Podium does not use: accepted, with a warning."""

RESTART_ONLY: tuple[str, ...] = (
    "socket.path",
    "events.keep",
    "events.subscriber_queue",
    "executor.type",
    "executor.address",
    "executor.namespace",
)
"""Settings a running conductor cannot change: a reload only says they need a restart."""


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """The settings in force, and where they came from."""

    config: ConductorConfig
    path: Path
    exists: bool
    """Whether the file exists (without it, the defaults and the profile apply)."""
    profile: str | None = None
    warnings: tuple[str, ...] = ()


def check_profile(name: str | None) -> None:
    if name is not None and name not in PROFILES:
        raise UserError(
            f"unknown profile {name!r}; the profiles are {', '.join(PROFILES)} "
            "(see docs/configuration.md)"
        )


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `over` laid on it: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def drop_marianne_keys(data: Mapping[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    """`data` without Marianne's settings Podium does not use, and a warning for each."""
    warnings: list[str] = []

    def strip(node: Mapping[str, Any], prefix: tuple[str, ...]) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, value in node.items():
            path = (*prefix, str(key))
            if path in MARIANNE_KEYS:
                warnings.append(
                    f"{where}: {'.'.join(path)} is a setting of Marianne's conductor that "
                    "Podium does not use; it is ignored"
                )
            elif isinstance(value, Mapping) and len(path) == 1 and path[0] != "instruments":
                kept[key] = strip(value, path)
            else:
                kept[key] = value
        return kept

    return strip(data, ()), warnings


def validate(data: Mapping[str, Any], where: str) -> tuple[ConductorConfig, list[str]]:
    """The settings in `data` and the warnings about them; a `UserError` naming every problem
    when they are invalid."""
    kept, warnings = drop_marianne_keys(data, where)
    try:
        return ConductorConfig.model_validate(kept), warnings
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors(include_url=False))
        raise UserError(f"{where}: {problems}") from None


def load(
    path: Path,
    *,
    explicit: bool = False,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedConfig:
    """The file's settings, with the profile then `overrides` (explicit flags) laid over."""
    check_profile(profile)
    data, exists = read_settings(path, explicit=explicit)
    if profile is not None:
        data = deep_merge(data, PROFILES[profile])
    data = deep_merge(data, overrides or {})
    config, warnings = validate(data, str(path))
    return LoadedConfig(config, path, exists, profile, tuple(warnings))


def load_config(path: Path, *, explicit: bool = False) -> ConductorConfig:
    """The settings in `path`; the defaults when the file does not exist, unless the file was
    named explicitly (then its absence is an error)."""
    return load(path, explicit=explicit).config


def _problem(error: Any) -> str:
    where = ".".join(map(str, error["loc"])) or "(top level)"
    if error["type"] != "extra_forbidden":
        given = error.get("input")
        shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
        return f"{where}: {error['msg']}{shown}"
    return f"{where}: unknown setting{_did_you_mean(error['loc'])}"


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    model: type[BaseModel] | None = ConductorConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part)) if model else None
        annotation = field.annotation if field else None
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def starter_text() -> str:
    """A conductor.yaml setting every setting to its default, each with what it means."""
    lines = [
        "# Podium conductor settings. Every setting is shown with its default.",
        "# Reload a running conductor after editing: podium config set …, kill -HUP, or",
        "# restart it. The keys of Marianne's conductor.yaml that Podium does not use are",
        "# accepted with a warning. See docs/configuration.md.",
        "",
    ]
    lines += _starter_fields(ConductorConfig(), "")
    return "\n".join(lines).rstrip("\n") + "\n"


def _docstrings(cls: type) -> dict[str, str]:
    """The docstring written under each attribute of `cls`, by name."""
    import ast  # noqa: PLC0415 - only for `podium config init`
    import inspect  # noqa: PLC0415
    import textwrap  # noqa: PLC0415

    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    for node, after in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            found[node.target.id] = inspect.cleandoc(after.value.value)
    return found


def _starter_fields(model: BaseModel, indent: str) -> list[str]:
    lines: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        described = field.description or _docstrings(type(model)).get(name, "")
        lines += [f"{indent}# {line}" for line in described.splitlines()]
        if isinstance(value, BaseModel):
            lines.append(f"{indent}{name}:")
            lines += _starter_fields(value, indent + "  ")
        elif name == "instruments":
            lines += [
                f"{indent}# For example:",
                f"{indent}#   {name}:",
                f"{indent}#     claude-code: {{max_concurrent: 2, models: {{claude-opus-4: 1}}}}",
                f"{indent}{name}: {{}}",
            ]
        else:
            dumped = yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n")
            lines.append(f"{indent}{field.alias or name}: {dumped.strip()}")
        if not indent:
            lines.append("")
    return lines
