"""A sheet's work order: what the runtime runs for one attempt."""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SheetWork:
    argv: tuple[str, ...]
    cwd: str
    prompt: str
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to the conductor's environment for the attempt."""
