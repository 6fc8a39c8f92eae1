"""Reading what users name (scores, fleets, templates, profiles, config) and what attempts
print, with a cap in bytes on every read.

A user can name any path: `/dev/zero` never ends, a FIFO blocks whoever opens it until a writer
comes, a folder cannot be read at all, and a 50 MB "score" is a mistake. `read_user_file`
refuses each of these before it reads, and never blocks: the file is opened non-blocking and
checked again on the open descriptor, so a path swapped for a FIFO after the first check still
cannot freeze the caller.

An attempt may print gigabytes on one line. `cut_line` and `bounded_lines` keep any one line
to a known number of bytes and say how much was dropped, so no reader of attempt output ever
holds more than a line's cap (plus one read block) in memory.

The CLI imports this on every command (through `podium.host.locations`): it needs `os` alone.
"""

import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

StrPath = str | os.PathLike[str]

KIB = 1024
MIB = 1024 * KIB

SCORE_MAX_BYTES = 8 * MIB
"""A score, a fleet file, or a prompt template file."""
PROFILE_MAX_BYTES = 1 * MIB
"""An instrument profile."""
CONFIG_MAX_BYTES = 1 * MIB
"""The conductor's config file."""
PROMPT_FILE_MAX_BYTES = 8 * MIB
"""A text file whose content goes into a prompt (a system prompt file)."""

LINE_MAX_BYTES = 64 * KIB
"""Attempt output: a longer line is cut to this much, with a marker saying what was dropped."""
READ_BLOCK_BYTES = 64 * KIB


class RefusedFile(OSError):
    """A file Podium will not read: not a regular file, or larger than its kind may be. The
    message names the file and the problem."""


def read_user_file(path: StrPath, limit: int, kind: str, expected: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. `kind` says what it is for
    ("a score") and `expected` what it should be ("a YAML file"), both used in the message of
    the `RefusedFile` raised for anything else. Other `OSError`s (no such file, no permission)
    are raised as they are."""
    _refuse_special(path, os.stat(path), kind, expected)  # noqa: PTH116 - os alone, see above
    # O_NONBLOCK: a FIFO put in place since the stat opens at once instead of waiting for a
    # writer; the fstat below then refuses it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        _refuse_special(path, info, kind, expected)
        _refuse_size(path, info.st_size, limit, kind)
        os.set_blocking(fd, True)
        data = _read_at_most(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise RefusedFile(
            f"{path} grew past {human_size(limit)} while being read; {kind} may be at most "
            f"{human_size(limit)}"
        )
    return data


def open_regular(path: StrPath, kind: str, expected: str) -> BinaryIO:
    """`path` opened for reading in binary, once it is known to be a regular file (never
    blocking on a FIFO); `RefusedFile` for anything else."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        _refuse_special(path, os.fstat(fd), kind, expected)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_head(path: StrPath, limit: int) -> bytes:
    """At most the first `limit` bytes of a regular file, read without ever blocking on a FIFO
    or a device; empty for anything else, or when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        os.set_blocking(fd, True)
        return _read_at_most(fd, limit)
    except OSError:
        return b""
    finally:
        os.close(fd)


def read_user_text(path: StrPath, limit: int, kind: str, expected: str) -> str:
    """`read_user_file` decoded as UTF-8 (raises `UnicodeDecodeError` on other bytes)."""
    return read_user_file(path, limit, kind, expected).decode("utf-8")


def _refuse_special(path: StrPath, info: os.stat_result, kind: str, expected: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise RefusedFile(
            f"{path} is not a regular file ({file_type(info.st_mode)}); {kind} must be {expected}"
        )


def _refuse_size(path: StrPath, size: int, limit: int, kind: str) -> None:
    if size > limit:
        raise RefusedFile(
            f"{path} is {human_size(size)}; {kind} may be at most {human_size(limit)}"
        )


def _read_at_most(fd: int, count: int) -> bytes:
    parts: list[bytes] = []
    left = count
    while left > 0:
        block = os.read(fd, min(left, MIB))
        if not block:
            break
        parts.append(block)
        left -= len(block)
    return b"".join(parts)


_TYPES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def file_type(mode: int) -> str:
    """What kind of file `mode` describes, as a message names it."""
    return next((name for test, name in _TYPES if test(mode)), "not a regular file")


def human_size(size: int) -> str:
    """`512 bytes`, `64 KiB`, `8 MiB`, `1.5 GiB`."""
    for unit, scale in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", KIB)):
        if size >= scale:
            value = size / scale
            return (
                f"{value:.0f} {unit}"
                if value == int(value) or value >= 10
                else f"{value:.1f} {unit}"
            )
    return f"{size} bytes"


def cut_marker(dropped: int) -> bytes:
    """What stands in for the `dropped` bytes of a line too long to keep."""
    return f" [… {dropped} bytes of this line left out]".encode()


def cut_line(line: bytes, limit: int = LINE_MAX_BYTES) -> bytes:
    """`line` (without its newline) kept to `limit` bytes, the rest replaced by a marker."""
    if len(line) <= limit:
        return line
    return _finish(line[:limit], b"", len(line) - limit, limit)


def cut_lines(text: str, limit: int = LINE_MAX_BYTES) -> str:
    """`text` with each line longer than `limit` bytes cut as `cut_line` does."""
    if len(text) <= limit:
        return text
    return "".join(
        cut_line(line.encode(), limit).decode("utf-8", errors="replace") + newline
        for line, newline in _split_lines(text)
    )


def _split_lines(text: str) -> Iterator[tuple[str, str]]:
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end], "\n"
        start = end + 1
    if start < len(text):
        yield text[start:], ""


def bounded_lines(
    f: BinaryIO, limit: int = LINE_MAX_BYTES, block: int = READ_BLOCK_BYTES
) -> Iterator[bytes]:
    """The lines of `f`, each with its newline (the last may have none), a line longer than
    `limit` bytes cut to its first `limit` bytes plus a marker. Reads `block` bytes at a time:
    memory stays within `limit + block` however long a line is."""
    kept = b""
    dropped = 0
    while data := f.read(block):
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            yield _finish(kept, data[start:end], dropped, limit) + b"\n"
            kept, dropped, start = b"", 0, end + 1
        rest = data[start:]
        room = max(0, limit - len(kept))
        kept += rest[:room]
        dropped += len(rest) - min(room, len(rest))
    if kept or dropped:
        yield _finish(kept, b"", dropped, limit)


_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~+/=")
_WORD_MAX = 512


def _finish(kept: bytes, tail: bytes, dropped: int, limit: int) -> bytes:
    room = max(0, limit - len(kept))
    line = kept + tail[:room]
    dropped += max(0, len(tail) - room)
    if not dropped:
        return line
    # The cut may fall inside a token: a credential's first half would no longer look like
    # one to the redactor, so the word the cut fell in goes too.
    end, floor = len(line), max(0, len(line) - _WORD_MAX)
    while end > floor and line[end - 1] in _WORD:
        end -= 1
    return line[:end] + cut_marker(dropped + len(line) - end)
