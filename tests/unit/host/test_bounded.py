"""Reading with a cap in bytes: user-named files and attempt output lines."""

import io
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.host.bounded import (
    RefusedFile,
    bounded_lines,
    cut_line,
    cut_lines,
    human_size,
    open_regular,
    read_head,
    read_user_file,
)


def _read(path: Path, limit: int = 100) -> bytes:
    return read_user_file(path, limit, "a score", "a YAML file")


def test_a_small_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "score.yaml"
    path.write_bytes(b"name: x\n")
    assert _read(path) == b"name: x\n"


def test_a_file_over_the_limit_is_refused_naming_its_size_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 3 * 1024)
    with pytest.raises(RefusedFile, match=r"big.yaml is 3 KiB; a score may be at most 2 KiB"):
        read_user_file(path, 2048, "a score", "a YAML file")


def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(RefusedFile) as refused:
        _read(Path("/dev/zero"))
    assert str(refused.value) == (
        "/dev/zero is not a regular file (a character device); a score must be a YAML file"
    )


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "score.yaml"
    os.mkfifo(fifo)
    with pytest.raises(RefusedFile, match="a named pipe"):
        _read(fifo)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RefusedFile, match="is not a regular file \\(a folder\\)"):
        _read(tmp_path)


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _read(tmp_path / "nothing.yaml")


@pytest.mark.parametrize(
    ("size", "shown"),
    [(512, "512 bytes"), (1536, "1.5 KiB"), (8 * 1024 * 1024, "8 MiB"), (50 * 10**6, "48 MiB")],
)
def test_sizes_are_shown_in_binary_units(size: int, shown: str) -> None:
    assert human_size(size) == shown


def test_a_long_line_is_cut_with_a_marker_saying_how_much_was_dropped() -> None:
    assert cut_line(b"short") == b"short"
    assert cut_line(b"one two three", 8) == b"one two  [\xe2\x80\xa6 5 bytes of this line left out]"


def test_a_cut_inside_a_token_drops_the_whole_token() -> None:
    # The first half of a credential no longer looks like one to the redactor.
    cut = cut_line(b"key sk-ant-abcdefghijklmnopqrstuvwxyz", 12)
    assert b"sk-" not in cut
    assert cut.startswith(b"key ")


def test_lines_of_a_stream_are_bounded_however_long_the_input_line() -> None:
    data = b"first\n" + b"y" * 10_000 + b"\nlast"
    lines = list(bounded_lines(io.BytesIO(data), limit=100, block=64))
    assert lines[0] == b"first\n"
    assert lines[1].endswith(b"10000 bytes of this line left out]\n")
    assert lines[2] == b"last"


@given(
    st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    st.integers(1, 120),
    st.integers(1, 50),
)
def test_bounded_lines_keeps_every_short_line_and_bounds_every_long_one(
    lines: list[bytes], limit: int, block: int
) -> None:
    data = b"\n".join(lines)
    found = list(bounded_lines(io.BytesIO(data), limit=limit, block=block))
    expected = list(lines) if data else []
    if data and not lines[-1]:
        expected = expected[:-1]  # a trailing newline ends the last line, it starts none
    assert len(found) == len(expected)
    for line, each in zip(expected, found, strict=True):
        got = each.removesuffix(b"\n")
        if len(line) <= limit:
            assert got == line
        else:
            assert len(got) <= limit + len(b" [\xe2\x80\xa6  bytes of this line left out]") + 20
            assert got.endswith(b"bytes of this line left out]")


def test_long_lines_of_a_text_are_cut_and_short_ones_kept() -> None:
    text = "short\n" + "word " * 100 + "\nlast"
    cut = cut_lines(text, 50)
    first, middle, last = cut.split("\n")
    assert (first, last) == ("short", "last")
    assert middle.startswith("word word") and middle.endswith(" bytes of this line left out]")


def test_open_regular_opens_a_file_and_refuses_a_fifo(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_bytes(b"text")
    with open_regular(path, "a file", "a regular file") as f:
        assert f.read() == b"text"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(RefusedFile, match="a named pipe"):
        open_regular(fifo, "a file", "a regular file")


def test_read_head_reads_at_most_its_limit_and_nothing_of_a_device(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 20)
    assert read_head(path, 10) == b"x" * 10
    assert read_head(path, 30) == b"x" * 20
    assert read_head("/dev/zero", 10) == b""
    assert read_head("/nonexistent/file", 10) == b""
