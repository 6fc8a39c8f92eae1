"""The validation rules that look at files: exists, modified, contains, matches.

`file_modified` compares against a snapshot of modification times taken just before the
attempt started (`take_snapshot`), kept on disk beside the attempt so that it survives a
conductor restart between the attempt and its validation.
"""

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule

_CHUNK = 1024 * 1024


def take_snapshot(rules: Iterable[ValidationRule], into: Path) -> None:
    """Record the modification time (or absence) of every file a file_modified rule names."""
    paths = sorted({r.path for r in rules if r.kind is ValidationKind.FILE_MODIFIED and r.path})
    if paths:
        into.write_text(json.dumps({p: _mtime(p) for p in paths}), encoding="utf-8")


def read_snapshot(path: Path) -> dict[str, int | None]:
    try:
        data: dict[str, int | None] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data


def check_file(rule: ValidationRule, snapshot: dict[str, int | None]) -> ValidationResult:
    """One look at the file (the caller retries)."""
    assert rule.path is not None
    path = Path(rule.path)
    match rule.kind:
        case ValidationKind.FILE_EXISTS:
            found = path.is_file()
            detail = (
                "" if found else ("a folder, not a file" if path.is_dir() else "file not found")
            )
            return ValidationResult(rule, found, detail)
        case ValidationKind.FILE_MODIFIED:
            return _modified(rule, path, snapshot)
        case ValidationKind.CONTENT_CONTAINS:
            assert rule.pattern is not None
            return _contains(rule, path, rule.pattern.encode("utf-8"))
        case ValidationKind.CONTENT_REGEX:
            return _matches(rule, path)
        case ValidationKind.COMMAND_SUCCEEDS:
            raise ValueError("command_succeeds is not a file check")


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns  # noqa: PTH116 - the raw nanoseconds are wanted
    except FileNotFoundError:
        return None


def _modified(
    rule: ValidationRule, path: Path, snapshot: dict[str, int | None]
) -> ValidationResult:
    assert rule.path is not None
    now = _mtime(rule.path)
    if now is None:
        return ValidationResult(rule, False, "file not found")
    if rule.path not in snapshot:
        return ValidationResult(rule, False, "no snapshot was taken before the attempt")
    before = snapshot[rule.path]
    if before is None:
        return ValidationResult(rule, True, "")  # created by the attempt
    if now > before:
        return ValidationResult(rule, True, "")
    return ValidationResult(rule, False, "the file was not changed by the attempt")


def _contains(rule: ValidationRule, path: Path, needle: bytes) -> ValidationResult:
    """Search in chunks, so that a huge file never sits in memory."""
    keep = max(len(needle) - 1, 0)
    try:
        with path.open("rb") as f:
            carry = b""
            while chunk := f.read(_CHUNK):
                window = carry + chunk
                if needle in window:
                    return ValidationResult(rule, True, "")
                carry = window[-keep:] if keep else b""
            size = f.tell()
    except FileNotFoundError:
        return ValidationResult(rule, False, "file not found")
    except OSError as exc:
        return ValidationResult(rule, False, f"cannot read the file: {exc.strerror}")
    return ValidationResult(rule, False, f"text not found in the file ({size} bytes)")


def _matches(rule: ValidationRule, path: Path) -> ValidationResult:
    assert rule.pattern is not None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ValidationResult(rule, False, "file not found")
    except OSError as exc:
        return ValidationResult(rule, False, f"cannot read the file: {exc.strerror}")
    if re.search(rule.pattern, text, re.MULTILINE):
        return ValidationResult(rule, True, "")
    return ValidationResult(rule, False, f"no match in the file ({len(text)} characters)")
