"""Reading the end of a file that may be gigabytes long, without reading it whole: its last
lines (read backwards, block by block), or what was appended since an offset.

Used by the conductor for attempt logs and by the CLI for the conductor's own log.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BLOCK_BYTES = 64 * 1024
MAX_TAIL_BYTES = 4 * 1024 * 1024
"""`last_lines` never reads more than this much, however long the lines."""


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    start: int
    """The offset `text` starts at."""
    end: int
    """The offset just past `text`: where to read from next."""


def file_size(path: Path) -> int:
    """The size of the file, 0 when there is none."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def last_lines(
    path: Path, count: int, max_bytes: int = MAX_TAIL_BYTES, *, whole_lines: bool = False
) -> Chunk:
    """The last `count` lines of the file (fewer when it has fewer, or when they would be
    longer than `max_bytes`); an empty chunk when it cannot be read. With `whole_lines` a
    line still being written is left out (for `read_from` to return once it is whole)."""
    try:
        with path.open("rb") as f:
            end = f.seek(0, os.SEEK_END)
            if whole_lines:
                end = _last_line_end(f, end, max_bytes)
            start, data = _backwards(f, end, count, max_bytes)
    except OSError:
        return Chunk("", 0, 0)
    return Chunk(data.decode("utf-8", errors="replace"), start, end)


def _last_line_end(f: BinaryIO, end: int, max_bytes: int) -> int:
    """Just past the file's last newline before `end` (0 when it has none). A line still
    being written that is already longer than `max_bytes` is not waited for: `end` then."""
    pos = end
    while pos > 0:
        if end - pos >= max_bytes:
            return end
        step = min(BLOCK_BYTES, pos)
        f.seek(pos - step)
        block = f.read(step)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return pos - step + newline + 1
        pos -= step
    return 0


def _backwards(f: BinaryIO, end: int, count: int, max_bytes: int) -> tuple[int, bytes]:
    if count <= 0:
        return end, b""
    data, pos = b"", end
    # One newline more than lines wanted: the one that ends the last line starts none.
    while pos > 0 and data.count(b"\n") <= count and end - pos < max_bytes:
        step = min(BLOCK_BYTES, pos, max_bytes - (end - pos))
        pos -= step
        f.seek(pos)
        data = f.read(step) + data
    body = data[:-1] if data.endswith(b"\n") else data
    cut = len(body)
    for _ in range(count):
        cut = body.rfind(b"\n", 0, cut)
        if cut < 0:
            break
    if cut >= 0:
        kept = data[cut + 1 :]
    elif pos > 0 and b"\n" in body:
        kept = data[body.index(b"\n") + 1 :]  # the first line was cut by the byte limit
    else:
        kept = data
    return end - len(kept), kept


def read_from(path: Path, offset: int, max_bytes: int, *, whole_lines: bool) -> Chunk:
    """What the file holds from `offset` on, at most `max_bytes`. With `whole_lines` a line
    still being written is left for the next read, unless it alone is longer than
    `max_bytes`. A file shorter than `offset` (replaced, truncated) is read from its start."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            if size < offset:
                offset = 0
            f.seek(offset)
            data = f.read(max_bytes)
    except OSError:
        return Chunk("", offset, offset)
    if whole_lines and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        if cut or len(data) < max_bytes:
            data = data[:cut]
    return Chunk(data.decode("utf-8", errors="replace"), offset, offset + len(data))
