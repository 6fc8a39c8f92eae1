"""Reading the end of big files: last lines backwards, then what was appended."""

from pathlib import Path

import pytest

from podium.host import tail
from podium.host.tail import Chunk, file_size, last_lines, read_from


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 bytes, so that lines span blocks."""
    monkeypatch.setattr(tail, "BLOCK_BYTES", 4)


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("one\ntwo\nthree\n", 2, "two\nthree\n"),
        ("one\ntwo\nthree", 2, "two\nthree"),
        ("one\ntwo\nthree\n", 5, "one\ntwo\nthree\n"),
        ("one\ntwo\n", 0, ""),
        ("a\r\nb\rc\n", 1, "a\r\nb\rc\n"[3:]),
        ("", 3, ""),
    ],
)
def test_last_lines_reads_backwards_across_blocks(
    tmp_path: Path, text: str, count: int, expected: str
) -> None:
    path = tmp_path / "log"
    path.write_bytes(text.encode())
    found = last_lines(path, count)
    assert found.text == expected
    assert (found.start, found.end) == (len(text) - len(expected), len(text))


def test_last_lines_never_reads_more_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("x" * 100 + "\nshort\nlast\n")
    assert last_lines(path, 10, max_bytes=15).text == "short\nlast\n"
    path.write_text("y" * 100)
    assert last_lines(path, 1, max_bytes=10).text == "y" * 10


def test_whole_lines_leave_out_a_line_being_written(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("done\nhalf a li")
    assert last_lines(path, 5, whole_lines=True) == Chunk("done\n", 0, 5)
    assert read_from(path, 0, 100, whole_lines=True) == Chunk("done\n", 0, 5)
    assert read_from(path, 5, 100, whole_lines=False) == Chunk("half a li", 5, 14)
    path.write_text("no newline at all")
    assert last_lines(path, 5, whole_lines=True) == Chunk("", 0, 0)


def test_read_from_goes_on_where_it_stopped(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("one\ntwo\n")
    first = read_from(path, 0, 5, whole_lines=True)
    assert first == Chunk("one\n", 0, 4)
    assert read_from(path, first.end, 5, whole_lines=True) == Chunk("two\n", 4, 8)
    path.write_text("a line longer than the limit\n")
    assert read_from(path, 0, 6, whole_lines=True).text == "a line"  # never stuck
    path.write_text("new\n")  # shorter than the offset: replaced, read from its start
    assert read_from(path, 20, 10, whole_lines=True) == Chunk("new\n", 0, 4)


def test_a_missing_file_reads_as_empty(tmp_path: Path) -> None:
    missing = tmp_path / "none"
    assert last_lines(missing, 3) == Chunk("", 0, 0)
    assert read_from(missing, 7, 10, whole_lines=True) == Chunk("", 7, 7)
    assert file_size(missing) == 0


def test_a_line_still_being_written_past_the_limit_is_shown_not_searched_to_its_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"first\n" + b"y" * (3 * 1024 * 1024))
    chunk = last_lines(path, 5, 1024 * 1024, whole_lines=True)
    assert chunk.text == "y" * (1024 * 1024)
    assert chunk.end == path.stat().st_size
