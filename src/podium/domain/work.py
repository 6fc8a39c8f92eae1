"""A sheet's work order: what the runtime runs for one attempt and how it checks the result."""

from dataclasses import dataclass

from podium.domain.validation import ValidationRule


@dataclass(frozen=True, slots=True)
class SheetWork:
    argv: tuple[str, ...]
    cwd: str
    prompt: str
    validations: tuple[ValidationRule, ...]
