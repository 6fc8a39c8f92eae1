"""A content check never reads a device or a FIFO: it fails at once, saying why."""

import os
from pathlib import Path

import pytest

from podium.domain.validation import ValidationKind, ValidationRule
from podium.runtime.checks.files import check_file


@pytest.mark.parametrize("kind", [ValidationKind.CONTENT_CONTAINS, ValidationKind.CONTENT_REGEX])
def test_a_content_check_of_a_device_fails_without_reading_it(kind: ValidationKind) -> None:
    found = check_file(ValidationRule(kind, path="/dev/zero", pattern="x"), {})
    assert not found.passed
    assert found.detail == (
        "/dev/zero is not a regular file (a character device); the file a content check reads "
        "must be a regular file"
    )


@pytest.mark.parametrize("kind", [ValidationKind.CONTENT_CONTAINS, ValidationKind.CONTENT_REGEX])
def test_a_content_check_of_a_fifo_fails_without_waiting(
    kind: ValidationKind, tmp_path: Path
) -> None:
    fifo = tmp_path / "out.txt"
    os.mkfifo(fifo)
    found = check_file(ValidationRule(kind, path=str(fifo), pattern="x"), {})
    assert not found.passed
    assert "is not a regular file (a named pipe)" in found.detail
