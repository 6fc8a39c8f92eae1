"""Each validation rule against real files and real commands."""

import asyncio
from pathlib import Path

from podium.domain.events import Event
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.runtime.catalog import JobCatalog
from podium.runtime.layout import Layout
from podium.runtime.validator import Validator


def check(rule: ValidationRule, workspace: Path) -> ValidationResult:
    async def main() -> ValidationResult:
        events: list[Event] = []
        async with asyncio.TaskGroup() as tasks:
            validator = Validator(
                catalog=JobCatalog(),
                layout=Layout(workspace / "jobs"),
                post=events.append,
                tasks=tasks,
                kill_grace_seconds=0.2,
            )
            return await validator.check(rule, workspace, workspace / "v.log")

    return asyncio.run(main())


def test_file_exists(tmp_path: Path) -> None:
    rule = ValidationRule(ValidationKind.FILE_EXISTS, path=str(tmp_path / "a.txt"))
    assert check(rule, tmp_path) == ValidationResult(rule, False, "file not found")
    (tmp_path / "a.txt").touch()
    assert check(rule, tmp_path).passed


def test_content_contains_finds_text_across_read_chunks(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * (1024 * 1024 - 3) + b"NEEDLE" + b"y" * 10)
    found = ValidationRule(ValidationKind.CONTENT_CONTAINS, path=str(big), pattern="NEEDLE")
    assert check(found, tmp_path).passed
    missing = ValidationRule(ValidationKind.CONTENT_CONTAINS, path=str(big), pattern="HAY")
    assert check(missing, tmp_path).detail == "text not found in the file (1048589 bytes)"
    absent = ValidationRule(ValidationKind.CONTENT_CONTAINS, path=str(tmp_path / "no"), pattern="x")
    assert check(absent, tmp_path).detail == "file not found"


def test_command_succeeds_runs_in_the_workspace_and_reports_output(tmp_path: Path) -> None:
    (tmp_path / "marker").touch()
    ok = ValidationRule(ValidationKind.COMMAND_SUCCEEDS, command="test -e marker")
    assert check(ok, tmp_path).passed
    bad = ValidationRule(
        ValidationKind.COMMAND_SUCCEEDS,
        command="echo 'checking'; echo '3 tests failed' >&2; exit 2",
    )
    assert check(bad, tmp_path).detail == "exit code 2: 3 tests failed"


def test_command_succeeds_times_out(tmp_path: Path) -> None:
    slow = ValidationRule(ValidationKind.COMMAND_SUCCEEDS, command="sleep 30", timeout_seconds=0.2)
    assert check(slow, tmp_path) == ValidationResult(slow, False, "timed out after 0.2s")
