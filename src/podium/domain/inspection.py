"""Read models of a job's past: its attempts with the end of their output (`history`,
`errors`, `diagnose`), and the output of its latest attempts (`logs`)."""

from dataclasses import dataclass

from podium.domain.records import AttemptRecord
from podium.domain.views import JobView, SheetView


@dataclass(frozen=True, slots=True)
class AttemptDetail:
    record: AttemptRecord
    stdout: str
    """The end of its output (the last lines asked for), redacted."""
    stderr: str
    folder: str
    """Where its prompt and output files are."""


@dataclass(frozen=True, slots=True)
class Attempts:
    view: JobView
    attempts: list[AttemptDetail]
    """Newest first."""
    total: int
    """How many attempts match, beyond the limit."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far a follower has read the output of a sheet's attempt."""

    attempt: int
    stdout: int
    stderr: int


@dataclass(frozen=True, slots=True)
class StreamText:
    text: str
    start: int
    """The offset in the file `text` starts at."""
    end: int
    """The offset just past it: where to read from next."""
    path: str


@dataclass(frozen=True, slots=True)
class SheetOutput:
    sheet: SheetView
    attempt: int
    stdout: StreamText
    stderr: StreamText


@dataclass(frozen=True, slots=True)
class Output:
    view: JobView
    sheets: list[SheetOutput]
