"""Problems in a score, each located as `file:line:column` with its YAML path."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from podium.domain.errors import InvalidScore


class Severity(StrEnum):
    ERROR = "error"
    """The score cannot run."""
    WARNING = "warning"
    """It runs, but probably not as meant."""
    INFO = "info"
    """Worth knowing."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int
    column: int
    path: str
    """The YAML path, dotted: `sheet.dependencies.4`; empty for the whole document."""
    message: str
    code: str = ""
    """Marianne's check code (V001…V212) where there is one, or Podium's (P…)."""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScoreError(InvalidScore):
    """A score that cannot be run, with every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)
