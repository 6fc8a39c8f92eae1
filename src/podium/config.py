"""The conductor's own settings (`conductor.yaml`), with their defaults."""

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from podium.domain.errors import UserError
from podium.domain.limits import Limits


class InstrumentLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_concurrent: int | None = Field(default=None, ge=1, le=1000)
    """Attempts on this instrument at once (4 when unset)."""
    models: dict[str, int] = Field(default_factory=dict)
    """Attempts at once per model; a model with a cap is not counted against the instrument's."""


class ResourceLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_memory_mb: int = Field(default=8192, ge=64)
    """Memory (RSS) of the conductor and every process it started, together."""
    max_processes: int = Field(default=256, ge=4)
    """Processes the conductor started (attempts and their children), together."""


class SocketConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = None
    """Where the conductor listens (the CLI looks there too); `PODIUM_SOCKET` overrides it."""


class ConductorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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


def load_config(path: Path, *, explicit: bool = False) -> ConductorConfig:
    """The settings in `path`; the defaults when the file does not exist, unless the file was
    named explicitly (then its absence is an error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise UserError(f"no conductor config at {path}") from None
        return ConductorConfig()
    except OSError as exc:
        raise UserError(f"cannot read the conductor config {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
        return ConductorConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise UserError(f"{path}: {problems}") from None
