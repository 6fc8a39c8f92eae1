"""A sheet's work order: what the runtime runs for one attempt."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SheetWork:
    argv: tuple[str, ...]
    cwd: str
    prompt: str
