"""The conductor's own settings (`conductor.yaml`), with their defaults."""

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from podium.domain.errors import UserError


class ConductorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_concurrent_sheets: int = Field(default=10, ge=1, le=1000)
    """Attempts running (or being validated) at once, across all jobs."""
    kill_grace_seconds: float = Field(default=10.0, ge=0, le=600)
    """How long a process group gets between SIGTERM and SIGKILL."""


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
