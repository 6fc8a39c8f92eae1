"""The validation rules that look at files: exists, modified, contains, matches.

A check never raises: a file that cannot be read fails its rule and says why. `file_modified`
compares against a snapshot of each file's identity (modification and change times, size,
inode) taken just before the attempt started (`take_snapshot`), written atomically beside the
attempt so that it survives a conductor restart between the attempt and its validation.
"""

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from podium.domain.validation import ValidationKind, ValidationResult, ValidationRule
from podium.host.bounded import RefusedFile, open_regular

_CHUNK = 1024 * 1024
REGEX_MAX_BYTES = 64 * 1024 * 1024
"""content_regex reads at most this much of a file (a regex needs the text in memory)."""
REGEX_TIMEOUT_SECONDS = 60.0
"""A pattern that backtracks without end fails its rule instead of holding the sheet."""
EXCERPT_CHARS = 200
"""A failed content check shows the text it searched: whole up to twice this many characters,
else its first and last this many."""
_EXCERPT_BYTES = EXCERPT_CHARS * 4  # a UTF-8 character takes at most 4 bytes

Signature = list[int] | str | None
"""A file's identity at one moment; None when it does not exist, text when it cannot be read."""


def take_snapshot(rules: Iterable[ValidationRule], into: Path) -> None:
    """Record the identity of every file a file_modified rule names."""
    paths = sorted({r.path for r in rules if r.kind is ValidationKind.FILE_MODIFIED and r.path})
    if not paths:
        return
    partial = into.with_suffix(".partial")
    partial.write_text(json.dumps({p: _signature(p) for p in paths}), encoding="utf-8")
    partial.replace(into)


def read_snapshot(path: Path) -> dict[str, Signature]:
    """The snapshot, or nothing when it is missing or unreadable (the rules then say so)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_file(rule: ValidationRule, snapshot: dict[str, Signature]) -> ValidationResult:
    """One look at the file (the caller retries)."""
    assert rule.path is not None
    path = Path(rule.path)
    try:
        match rule.kind:
            case ValidationKind.FILE_EXISTS:
                found = path.is_file()
                detail = (
                    "" if found else ("a folder, not a file" if path.is_dir() else "file not found")
                )
                return ValidationResult(rule, found, detail)
            case ValidationKind.FILE_MODIFIED:
                return _modified(rule, snapshot)
            case ValidationKind.CONTENT_CONTAINS:
                assert rule.pattern is not None
                return _contains(rule, path, rule.pattern.encode("utf-8"))
            case ValidationKind.CONTENT_REGEX:
                return _matches(rule, path)
            case ValidationKind.FILE_CHECKSUM:
                return _checksum(rule, path)
            case ValidationKind.COMMAND_SUCCEEDS | ValidationKind.AI_REVIEW:
                raise ValueError(f"{rule.kind} is not a file check")
    except FileNotFoundError:
        return ValidationResult(rule, False, "file not found")
    except RefusedFile as exc:
        return ValidationResult(rule, False, str(exc))
    except OSError as exc:
        return ValidationResult(rule, False, f"cannot read {path}: {exc.strerror or exc}")


def _checksum(rule: ValidationRule, path: Path) -> ValidationResult:
    digest_of = hashlib.new(rule.algorithm)
    with _open(path) as f:
        while chunk := f.read(1 << 20):
            digest_of.update(chunk)
    digest = digest_of.hexdigest()
    expected = (rule.pattern or "").strip().lower()
    if digest == expected:
        return ValidationResult(rule, True, "")
    return ValidationResult(rule, False, f"its {rule.algorithm} checksum is {digest}")


def _open(path: Path) -> BinaryIO:
    """A device never ends and a FIFO blocks its reader: only a regular file is searched."""
    return open_regular(path, "the file a content check reads", "a regular file")


def _signature(path: str) -> Signature:
    try:
        info = os.stat(path)  # noqa: PTH116 - the raw nanosecond times are wanted
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    return [info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino]


def _modified(rule: ValidationRule, snapshot: dict[str, Signature]) -> ValidationResult:
    assert rule.path is not None
    now = _signature(rule.path)
    if now is None:
        return ValidationResult(rule, False, "file not found")
    if isinstance(now, str):
        return ValidationResult(rule, False, now)
    if rule.path not in snapshot:
        return ValidationResult(rule, False, "no snapshot was taken before the attempt")
    if now != snapshot[rule.path]:
        return ValidationResult(rule, True, "")  # created or changed by the attempt
    return ValidationResult(rule, False, "the file was not changed by the attempt")


def _contains(rule: ValidationRule, path: Path, needle: bytes) -> ValidationResult:
    """Search in chunks, so that a huge file never sits in memory."""
    keep = max(len(needle) - 1, 0)
    with _open(path) as f:
        carry = b""
        while chunk := f.read(_CHUNK):
            window = carry + chunk
            if needle in window:
                return ValidationResult(rule, True, "")
            carry = window[-keep:] if keep else b""
        size = f.tell()
        searched = _ends(f, size)
    return ValidationResult(rule, False, f"text not found in the file ({size} bytes): {searched}")


def _ends(f: BinaryIO, size: int) -> str:
    """The file's text as `excerpt` shows it, read from its two ends only."""
    f.seek(0)
    head = f.read(2 * _EXCERPT_BYTES).decode("utf-8", errors="replace")
    if size <= 2 * _EXCERPT_BYTES:
        return excerpt(head)
    f.seek(size - _EXCERPT_BYTES)
    return excerpt(head, f.read(_EXCERPT_BYTES).decode("utf-8", errors="replace"))


def _matches(rule: ValidationRule, path: Path) -> ValidationResult:
    import regex  # noqa: PLC0415 - slow to import, and only this kind of check needs it

    assert rule.pattern is not None
    with _open(path) as f:
        data = f.read(REGEX_MAX_BYTES + 1)
    text = data[:REGEX_MAX_BYTES].decode("utf-8", errors="replace")
    where = "the first 64 MiB of the file" if len(data) > REGEX_MAX_BYTES else "the file"
    try:
        found = regex.search(
            rule.pattern, text, flags=regex.MULTILINE, timeout=REGEX_TIMEOUT_SECONDS
        )
    except TimeoutError:
        return ValidationResult(
            rule,
            False,
            f"the pattern took longer than {REGEX_TIMEOUT_SECONDS:g}s on {where}; simplify it",
        )
    if found:
        return ValidationResult(rule, True, "")
    return ValidationResult(
        rule, False, f"no match in {where} ({len(text)} characters): {excerpt(text)}"
    )


def excerpt(head: str, tail: str | None = None) -> str:
    """The text a content check searched, quoted on one line: `head` is all of it, or (with
    `tail`) its beginning and `tail` its end. Whole when short, else its first and last
    `EXCERPT_CHARS` characters."""
    if tail is None:
        if len(head) <= 2 * EXCERPT_CHARS:
            return _quoted(head)
        tail = head
    return f"{_quoted(head[:EXCERPT_CHARS])} … {_quoted(tail[-EXCERPT_CHARS:])}"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
