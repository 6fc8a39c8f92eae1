"""A sheet's work order: what the runtime runs for one attempt, and how to read its output."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from podium.domain.classify import ErrorPatterns
from podium.domain.lessons import Lesson
from podium.domain.records import Usage
from podium.domain.validation import ValidationResult, ValidationRule


@dataclass(frozen=True, slots=True)
class OutputReading:
    """What an attempt's stdout says, read the instrument's way."""

    result: str | None = None
    """The answer text (the whole stdout for a plain-text instrument)."""
    error: str | None = None
    """The error the instrument reported in its structured output, if any."""
    usage: Usage | None = None
    signals: str | None = None
    """For structured output: the parts error patterns should read (error events, lines that
    are not JSON), instead of the whole stdout with the agent's tool output in it."""


def plain_text(stdout: str) -> OutputReading:
    return OutputReading(result=stdout)


@dataclass(frozen=True, slots=True)
class AttemptRequest:
    """Which attempt the runtime is starting, on which instrument."""

    attempt: int
    instrument: str
    model: str | None = None
    completion_of: tuple[str, ...] = ()
    """The checks the previous attempt failed: a completion attempt."""
    previous_error: str | None = None
    person_prompt: str | None = None
    """Text a person gave with the sheet's approval: appended to its prompt, or replacing it."""
    replace_prompt: bool = False
    output_of: Callable[[int], str | None] = field(default=lambda _num: None)
    """The output (result text) of an earlier sheet of the job, when it has one."""
    skipped: Callable[[], frozenset[int]] = field(default=frozenset)
    """The job's sheets skipped so far (asked only when earlier sheets' outputs are wanted)."""
    lessons: tuple[Lesson, ...] = ()
    """How the job's earlier attempts failed, newest first, masked."""


@dataclass(frozen=True, slots=True)
class SheetWork:
    argv: tuple[str, ...]
    cwd: str
    prompt: str
    env: Mapping[str, str] = field(default_factory=dict)
    """The attempt's whole environment (already filtered by the instrument's profile)."""
    env_decided: tuple[str, ...] = ()
    """The variables of `env` the conductor set whatever its own environment holds: the
    carried ones, the profile's `env`, the routed settings, Podium's own. Another machine
    keeps them over its own environment."""
    env_passed: tuple[str, ...] | None = None
    """Which of the parent's variables the profile lets through (its `required_env`, names and
    `PREFIX_*` entries, with the essentials); None: all of them. Another machine filters its
    own environment by it (`podium.instruments.command.passed_env`)."""
    prompt_on_stdin: bool = False
    patterns: ErrorPatterns = field(default_factory=ErrorPatterns)
    success_codes: frozenset[int] = frozenset({0})
    read_output: Callable[[str], OutputReading] = plain_text
    read_feedback: Callable[[str], str | None] = field(default=lambda _answer: None)
    """The agent's feedback block in its answer, as JSON text (the score's `feedback`)."""


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """What an AI review of an attempt is about."""

    attempt: int
    prompt_file: Path
    """Where the review's prompt will be written."""
    task: str
    """The attempt's prompt (masked)."""
    answer: str
    results: tuple[ValidationResult, ...]
    """The attempt's checks."""


@dataclass(frozen=True, slots=True)
class ReviewWork:
    """What reviews a sheet's work (`ai_review`): the reviewer's command and the check its
    score makes."""

    work: SheetWork
    rule: ValidationRule
    target: int
    instrument: str
    model: str | None
    timeout_seconds: float
