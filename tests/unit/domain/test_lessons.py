"""Lessons from previous sheets: which failed attempts teach something, in which order, how
much of them, masked."""

from podium.domain.ids import JobId, SheetNum
from podium.domain.lessons import MAX_LESSONS, MAX_LINE_CHARS, Lesson, lessons_from, lessons_text
from podium.domain.outcome import AttemptOutcome
from podium.domain.records import AttemptRecord
from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule

EXISTS = ValidationRule(ValidationKind.FILE_EXISTS, path="/w/out.md")
HAS = ValidationRule(ValidationKind.CONTENT_CONTAINS, path="/w/out.md", pattern="DONE")


def record(
    sheet: int, attempt: int, outcome: AttemptOutcome, started: float, **fields: object
) -> AttemptRecord:
    return AttemptRecord(
        JobId("job"),
        SheetNum(sheet),
        attempt,
        started,
        outcome,
        **fields,  # type: ignore[arg-type]
    )


def test_failures_of_the_work_teach_and_waits_or_stops_do_not_newest_first() -> None:
    records = [
        record(
            1, 1, AttemptOutcome.FAILED, 10.0, error="exit code 2: no such file", error_code="E009"
        ),
        record(1, 2, AttemptOutcome.RATE_LIMITED, 20.0, error="429", error_code="E102"),
        record(1, 3, AttemptOutcome.SUCCEEDED, 30.0),
        record(2, 1, AttemptOutcome.STOPPED, 40.0, error="cancelled", error_code="E002"),
        record(2, 2, AttemptOutcome.INTERRUPTED, 45.0, error_code="E004"),
        record(2, 3, AttemptOutcome.AUTH_FAILED, 46.0, error_code="E502"),
        record(
            2,
            4,
            AttemptOutcome.VALIDATION_FAILED,
            50.0,
            error="1 of 2 checks failed",
            error_code="E201",
            validations=(
                ValidationResult(EXISTS, True, ""),
                ValidationResult(HAS, False, "'DONE' not found"),
                ValidationResult(EXISTS, False, "", checked=False),
            ),
        ),
        record(3, 1, AttemptOutcome.TIMED_OUT, 60.0, error_code="E001"),
    ]
    assert lessons_from(records) == (
        Lesson(3, 1, "E001", "timed out"),
        Lesson(
            2,
            4,
            "E201",
            "1 check(s) failed",
            ((HAS.expectation(), "'DONE' not found"),),
        ),
        Lesson(1, 1, "E009", "exit code 2: no such file"),
    )


def test_the_digest_is_bounded_and_masked() -> None:
    noisy = "token=sekrit " + "word " * 200
    records = [
        record(1, n, AttemptOutcome.FAILED, float(n), error=noisy, error_code="E009")
        for n in range(1, 12)
    ]
    lessons = lessons_from(records, mask=lambda text: text.replace("sekrit", "***"))
    assert [lesson.attempt for lesson in lessons] == [11, 10, 9, 8, 7][:MAX_LESSONS]
    assert all(len(lesson.error) <= MAX_LINE_CHARS for lesson in lessons)
    assert lessons[0].error.startswith("token=*** word word") and lessons[0].error.endswith("…")
    checks = lessons_from(
        [
            record(
                1,
                1,
                AttemptOutcome.VALIDATION_FAILED,
                1.0,
                validations=tuple(ValidationResult(HAS, False, f"miss {i}") for i in range(5)),
            )
        ]
    )
    assert [found for _, found in checks[0].failed_checks] == ["miss 0", "miss 1", "miss 2"]
    assert checks[0].error == "5 check(s) failed" and checks[0].code is None
    bare = lessons_from([record(1, 1, AttemptOutcome.VALIDATION_FAILED, 1.0)])
    assert bare[0].error == "validation failed"


def test_the_layer_lists_each_lesson_with_its_checks() -> None:
    assert lessons_text(()) == ""
    text = lessons_text(
        (
            Lesson(2, 1, "E201", "1 check failed", (("the file /w/a exists", "not found"),)),
            Lesson(1, 3, None, "timed out"),
        )
    )
    assert text == (
        "## Lessons from previous sheets\n\n"
        "Earlier attempts in this job failed as follows; avoid repeating these mistakes.\n\n"
        "- Sheet 2, attempt 1 [E201]: 1 check failed\n"
        "  - expected the file /w/a exists; found not found\n"
        "- Sheet 1, attempt 3: timed out"
    )
