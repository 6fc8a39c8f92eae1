"""Validation rules and their results: what decides whether a sheet succeeded.

Rules reach the runtime fully expanded (placeholders replaced, paths absolute); the runtime
checks them and reports one `ValidationResult` per rule.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ValidationKind(StrEnum):
    FILE_EXISTS = "file_exists"
    FILE_MODIFIED = "file_modified"
    CONTENT_CONTAINS = "content_contains"
    CONTENT_REGEX = "content_regex"
    COMMAND_SUCCEEDS = "command_succeeds"
    FILE_CHECKSUM = "file_checksum"
    """A grounding check: the file's digest (`algorithm`) is `pattern`."""
    AI_REVIEW = "ai_review"
    """A review by another agent scores the work at least `pattern` (of 100)."""

    @property
    def reads_a_file(self) -> bool:
        return self not in (ValidationKind.COMMAND_SUCCEEDS, ValidationKind.AI_REVIEW)


@dataclass(frozen=True, slots=True)
class ValidationRule:
    """One check, ready to run: placeholders filled in, paths absolute."""

    kind: ValidationKind
    description: str | None = None
    path: str | None = None
    pattern: str | None = None
    command: str | None = None
    """What bash runs: placeholders are references to `command_environment` (see
    `podium.domain.shell.ShellCommand`)."""
    command_environment: tuple[tuple[str, str], ...] = ()
    command_shown: str | None = None
    """The command with its values written in, for people; never run."""
    working_directory: str | None = None
    timeout_seconds: float = 3600.0
    stage: int = 1
    """Rules run stage by stage; once a stage has a failure, later stages are not run."""
    retry_count: int = 0
    """File checks look again this many times before failing (a file may be landing)."""
    retry_delay_ms: int = 200
    algorithm: str = "sha256"
    """For a checksum: the digest (a `hashlib` name)."""
    advisory: bool = False
    """Its failure does not fail the attempt (grounding without `fail_on_grounding_failure`):
    it is noted, and with `escalate` a person is asked."""
    escalate: bool = False
    fatal: bool = False
    """Its failure fails the sheet at once, without a retry (`ai_review.on_low_score: fail`)."""

    @property
    def shown_command(self) -> str | None:
        return self.command_shown or self.command

    def summary(self) -> str:
        """One line naming the check, as a person would say it."""
        match self.kind:
            case ValidationKind.FILE_EXISTS | ValidationKind.FILE_MODIFIED:
                what = f"{self.kind} {self.path}"
            case ValidationKind.CONTENT_CONTAINS | ValidationKind.CONTENT_REGEX:
                what = f"{self.kind} {self.pattern!r} in {self.path}"
            case ValidationKind.COMMAND_SUCCEEDS:
                what = f"command_succeeds {self.shown_command}"
            case ValidationKind.FILE_CHECKSUM:
                what = f"file_checksum {self.path}"
            case ValidationKind.AI_REVIEW:
                what = f"ai_review at least {self.pattern}"
        return f"{self.description} ({what})" if self.description else what

    def expectation(self) -> str:
        """What the rule wants, as a requirement: 'the file X exists'."""
        match self.kind:
            case ValidationKind.FILE_EXISTS:
                return f"the file {self.path} exists"
            case ValidationKind.FILE_MODIFIED:
                return f"the file {self.path} is created or changed by the attempt"
            case ValidationKind.CONTENT_CONTAINS:
                return f"the file {self.path} contains the text `{self.pattern}`"
            case ValidationKind.CONTENT_REGEX:
                return f"the file {self.path} matches the regular expression `{self.pattern}`"
            case ValidationKind.COMMAND_SUCCEEDS:
                return f"the command `{self.shown_command}` exits with code 0"
            case ValidationKind.FILE_CHECKSUM:
                return f"the file {self.path} has the {self.algorithm} checksum {self.pattern}"
            case ValidationKind.AI_REVIEW:
                return f"a review scores the work {self.pattern}/100 or more"


@dataclass(frozen=True, slots=True)
class ValidationResult:
    rule: ValidationRule
    passed: bool
    detail: str
    """What was found: 'file not found', 'exit code 1: …'. Empty when it passed plainly."""
    checked: bool = True
    """False when the rule was not run, because a rule of an earlier stage failed."""

    @property
    def fix(self) -> str:
        """What would most likely make the rule pass; empty when it passed."""
        if self.passed:
            return ""
        if not self.checked:
            return "fix the failed rule of the earlier stage first"
        rule = self.rule
        match rule.kind:
            case ValidationKind.FILE_EXISTS | ValidationKind.FILE_MODIFIED if (
                "not found" in self.detail
            ):
                return (
                    f"the sheet must write {rule.path}; check that the prompt names this exact "
                    "path and that the instrument runs in the workspace"
                )
            case ValidationKind.FILE_MODIFIED:
                return f"the sheet must change {rule.path}; it was left as it was"
            case ValidationKind.CONTENT_CONTAINS | ValidationKind.CONTENT_REGEX:
                return (
                    f"the sheet must write the expected content into {rule.path}; "
                    "check the pattern against the file"
                )
            case ValidationKind.COMMAND_SUCCEEDS:
                return (
                    "run the command in the workspace to see why it fails; its output is in "
                    "the attempt's validation log"
                )
            case ValidationKind.FILE_CHECKSUM | ValidationKind.AI_REVIEW:
                return _FIXES[rule.kind].format(path=rule.path)
            case _:
                return "check the rule's path and pattern"


_FIXES = {
    ValidationKind.FILE_CHECKSUM: (
        "{path} is grounding the sheet must leave as it is: restore it, or update grounding's "
        "expected checksum if the change is meant"
    ),
    ValidationKind.AI_REVIEW: (
        "read the review's reason: the prompt may need to ask for what it missed"
    ),
}


def failure_summary(results: Sequence[ValidationResult]) -> str:
    """A one-line account of the failed checks, for errors and status."""
    failed = [r for r in results if r.checked and not r.passed]
    unchecked = sum(1 for r in results if not r.checked)
    first = failed[0]
    text = f"validation failed: {first.rule.summary()}: {first.detail}"
    extra = []
    if len(failed) > 1:
        extra.append(f"{len(failed) - 1} more of {len(results)} checks failed")
    if unchecked:
        extra.append(f"{unchecked} not checked after it")
    return text + (f" ({'; '.join(extra)})" if extra else "")
