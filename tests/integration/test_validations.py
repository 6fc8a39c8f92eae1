"""Each validation rule against real files and real commands."""

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from podium.domain.events import Event
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.runtime.checks import files as file_checks
from podium.runtime.checks.files import Signature, read_snapshot, take_snapshot
from podium.runtime.checks.validator import Validator
from podium.runtime.context import WorkerContext
from podium.runtime.jobs.catalog import JobCatalog
from podium.runtime.layout import Layout

K = ValidationKind


def check_all(
    rules: list[ValidationRule],
    workspace: Path,
    snapshot: dict[str, Signature] | None = None,
    redact: Callable[[str], str] = str,
) -> list[ValidationResult]:
    async def main() -> list[ValidationResult]:
        events: list[Event] = []
        async with asyncio.TaskGroup() as tasks:
            context = WorkerContext(
                JobCatalog(), Layout(workspace / "jobs"), events.append, tasks, 0.2, redact=redact
            )
            validator = Validator(context)
            return await validator.check_all(
                rules, workspace=workspace, logs=lambda name: workspace / name, snapshot=snapshot
            )

    return asyncio.run(main())


def check(
    rule: ValidationRule, workspace: Path, redact: Callable[[str], str] = str
) -> ValidationResult:
    return check_all([rule], workspace, redact=redact)[0]


def test_file_exists_wants_a_file(tmp_path: Path) -> None:
    rule = ValidationRule(K.FILE_EXISTS, path=str(tmp_path / "a.txt"))
    assert check(rule, tmp_path) == ValidationResult(rule, False, "file not found")
    (tmp_path / "a.txt").touch()
    assert check(rule, tmp_path).passed
    folder = ValidationRule(K.FILE_EXISTS, path=str(tmp_path))
    assert check(folder, tmp_path).detail == "a folder, not a file"


def test_file_checks_look_again_while_a_file_is_landing(tmp_path: Path) -> None:
    late = tmp_path / "late.txt"
    timer = threading.Timer(0.15, late.touch)
    timer.start()
    try:
        rule = ValidationRule(K.FILE_EXISTS, path=str(late), retry_count=10, retry_delay_ms=50)
        assert check(rule, tmp_path).passed
    finally:
        timer.cancel()


def test_content_contains_finds_text_across_read_chunks(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * (1024 * 1024 - 3) + b"NEEDLE" + b"y" * 10)
    found = ValidationRule(K.CONTENT_CONTAINS, path=str(big), pattern="NEEDLE")
    assert check(found, tmp_path).passed
    missing = ValidationRule(K.CONTENT_CONTAINS, path=str(big), pattern="HAY")
    # The text it searched, from both ends of the file.
    end = "x" * 184 + "NEEDLE" + "y" * 10
    assert check(missing, tmp_path).detail == (
        f'text not found in the file (1048589 bytes): "{"x" * 200}" … "{end}"'
    )
    absent = ValidationRule(K.CONTENT_CONTAINS, path=str(tmp_path / "no"), pattern="x")
    assert check(absent, tmp_path).detail == "file not found"


def test_content_regex_searches_line_by_line(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text("intro\n# Title\nbody\n")
    assert check(
        ValidationRule(K.CONTENT_REGEX, path=str(tmp_path / "r.md"), pattern=r"^#\s+"), tmp_path
    ).passed
    result = check(
        ValidationRule(K.CONTENT_REGEX, path=str(tmp_path / "r.md"), pattern=r"^## "), tmp_path
    )
    assert result.detail == 'no match in the file (19 characters): "intro\\n# Title\\nbody\\n"'


def test_a_failed_content_check_shows_what_it_searched_masked(tmp_path: Path) -> None:
    key = "sk-ant-api03-" + "k" * 40
    (tmp_path / "r.md").write_text(f"token {key}\nno heading here\n")
    for kind, pattern in ((K.CONTENT_REGEX, "^# "), (K.CONTENT_CONTAINS, "# ")):
        rule = ValidationRule(kind, path=str(tmp_path / "r.md"), pattern=pattern)
        detail = check(rule, tmp_path, redact=lambda t: t.replace(key, "[REDACTED]")).detail
        assert detail.endswith(': "token [REDACTED]\\nno heading here\\n"'), detail


def test_file_modified_compares_with_the_snapshot_before_the_attempt(tmp_path: Path) -> None:
    kept, changed, made = (tmp_path / n for n in ("kept", "changed", "made"))
    kept.write_text("a")
    changed.write_text("a")
    rules = [ValidationRule(K.FILE_MODIFIED, path=str(p)) for p in (kept, changed, made)]
    take_snapshot(rules, tmp_path / "snapshot.json")
    changed.write_text("b")
    made.write_text("new")
    snapshot = read_snapshot(tmp_path / "snapshot.json")
    results = check_all(rules, tmp_path, snapshot)
    assert [(r.passed, r.detail) for r in results] == [
        (False, "the file was not changed by the attempt"),
        (True, ""),
        (True, ""),
    ]


def test_a_failing_stage_stops_later_stages(tmp_path: Path) -> None:
    rules = [
        ValidationRule(K.COMMAND_SUCCEEDS, command="touch second-ran", stage=2),
        ValidationRule(K.FILE_EXISTS, path=str(tmp_path / "missing"), stage=1),
        ValidationRule(K.COMMAND_SUCCEEDS, command="touch first-ran", stage=1),
    ]
    results = check_all(rules, tmp_path)
    assert [(r.passed, r.checked, r.detail) for r in results] == [
        (False, False, "not checked: a rule of stage 1 failed"),
        (False, True, "file not found"),
        (True, True, ""),
    ]
    assert (tmp_path / "first-ran").exists() and not (tmp_path / "second-ran").exists()


def test_command_succeeds_runs_in_its_folder_and_reports_output(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "marker").touch()
    ok = ValidationRule(
        K.COMMAND_SUCCEEDS, command="test -e marker", working_directory=str(tmp_path / "sub")
    )
    assert check(ok, tmp_path).passed
    bad = ValidationRule(
        K.COMMAND_SUCCEEDS, command="echo 'checking'; echo '3 tests failed' >&2; exit 2"
    )
    assert check(bad, tmp_path).detail == "exit code 2: 3 tests failed"


def test_command_succeeds_times_out(tmp_path: Path) -> None:
    slow = ValidationRule(K.COMMAND_SUCCEEDS, command="sleep 30", timeout_seconds=0.2)
    assert check(slow, tmp_path) == ValidationResult(slow, False, "timed out after 0.2s")


def test_a_file_that_cannot_be_read_fails_its_rule_without_raising(tmp_path: Path) -> None:
    (tmp_path / "made.txt").write_text("x")
    inner = str(tmp_path / "made.txt" / "inner")
    rules = [
        ValidationRule(kind, path=inner, pattern="x")
        for kind in (K.FILE_EXISTS, K.FILE_MODIFIED, K.CONTENT_CONTAINS, K.CONTENT_REGEX)
    ]
    take_snapshot(rules, tmp_path / "snapshot.json")
    results = check_all(rules, tmp_path, read_snapshot(tmp_path / "snapshot.json"))
    assert [r.passed for r in results] == [False] * 4
    assert results[1].detail == "unreadable: Not a directory"
    assert results[2].detail.startswith("cannot read ")


def test_a_damaged_snapshot_is_no_snapshot(tmp_path: Path) -> None:
    (tmp_path / "snapshot.json").write_text('{"trunc')
    assert read_snapshot(tmp_path / "snapshot.json") == {}
    (tmp_path / "f").write_text("x")
    rule = ValidationRule(K.FILE_MODIFIED, path=str(tmp_path / "f"))
    assert check(rule, tmp_path).detail == "no snapshot was taken before the attempt"


def test_a_runaway_regex_fails_instead_of_hanging(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(file_checks, "REGEX_TIMEOUT_SECONDS", 0.2)
    (tmp_path / "a.txt").write_text("a" * 60 + "!")
    rule = ValidationRule(K.CONTENT_REGEX, path=str(tmp_path / "a.txt"), pattern="(a|aa)+b")
    assert check(rule, tmp_path).detail == (
        "the pattern took longer than 0.2s on the file; simplify it"
    )


def test_a_command_whose_folder_is_missing_says_so(tmp_path: Path) -> None:
    rule = ValidationRule(
        K.COMMAND_SUCCEEDS, command="true", working_directory=str(tmp_path / "gone")
    )
    assert (
        check(rule, tmp_path).detail == f"its working directory {tmp_path / 'gone'} does not exist"
    )
