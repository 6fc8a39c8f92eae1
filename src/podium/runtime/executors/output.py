"""What an attempt left behind, once it ended: its answer, its usage, the text to classify, and
copies of its logs where users look for them (`{workspace}/logs/sheet-NN.stdout.log`).

Everything kept or shown passes through the redactor first; the raw streams stay only in the
conductor's private state folder.
"""

import contextlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.domain.checklist import checklist
from podium.domain.validation import ValidationRule
from podium.domain.work import OutputReading, SheetWork
from podium.host.bounded import LINE_MAX_BYTES, bounded_lines
from podium.host.private import make_user_dir, open_for_user

STDOUT_READ_LIMIT = 8 * 1024 * 1024
"""Structured output is parsed from at most this much of stdout (its end, where results are);
the kept answer is at most this long too."""
RESULT_READ_LIMIT = 2 * STDOUT_READ_LIMIT
"""A kept answer is read back from at most this much of its file's end (redaction can make
it a little longer than what was printed)."""
CLASSIFY_TAIL_BYTES = 64 * 1024
"""How much of the end of stdout and stderr the error patterns read."""
RESULT_FILE = "result.txt"

Redact = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Ending:
    reading: OutputReading
    output: str
    """The redacted text the error patterns read: the end of stdout (for structured output,
    only what reports an error), the end of stderr, and the error the instrument reported."""
    said: str | None = None
    """The error message the instrument reported (redacted), where its profile says: in its
    structured stdout, or in a document at the end of its stderr (Gemini CLI's JSON mode)."""
    feedback: str | None = None
    """The agent's feedback block (redacted JSON text), when the score asks for one."""


def read_ending(
    work: SheetWork, stdout: Path, stderr: Path, result_file: Path | None, redact: Redact
) -> Ending:
    """Read and keep what the attempt printed (its answer in `result_file`, unless None).
    Never raises on unreadable output."""
    printed = read_end(stdout, STDOUT_READ_LIMIT)
    reading = work.read_output(printed)
    if reading.result and result_file is not None:
        _write_private(result_file, redact(reading.result))
    signals = printed if reading.signals is None else reading.signals
    errors = read_end(stderr, CLASSIFY_TAIL_BYTES)
    said = reading.error or work.read_output(errors).error
    parts = [signals[-CLASSIFY_TAIL_BYTES:], errors]
    if said:
        parts.append(said)
    output = redact("\n".join(p for p in parts if p.strip()))
    feedback = work.read_feedback(redact(reading.result or printed))
    return Ending(reading, output, redact(said) if said else None, feedback)


def publish_logs(workspace: Path, sheet: int, stdout: Path, stderr: Path, redact: Redact) -> None:
    """Copy the attempt's streams, redacted, to `{workspace}/logs/sheet-NN.{stream}.log` (the
    latest attempt of each sheet; a stream it left empty has no file). A workspace that cannot
    take them is not an error."""
    folder = workspace / "logs"
    with contextlib.suppress(OSError):
        for source, stream in ((stdout, "stdout"), (stderr, "stderr")):
            target = folder / f"sheet-{sheet:02d}.{stream}.log"
            if _size(source):
                make_user_dir(folder)  # the workspace's logs are the user's, as the workspace
                _copy_redacted(source, target, redact)
            else:
                target.unlink(missing_ok=True)


def output_of(sheet_dir: Path) -> str | None:
    """The kept answer of a sheet's latest attempt that has one."""
    best: tuple[int, Path] | None = None
    with contextlib.suppress(OSError):
        for path in sheet_dir.glob(f"attempt-*.{RESULT_FILE}"):
            number = path.name.split(".", 1)[0].removeprefix("attempt-")
            if number.isdigit() and (best is None or int(number) > best[0]):
                best = (int(number), path)
    if best is None:
        return None
    if not best[1].is_file():
        return None
    return read_end(best[1], RESULT_READ_LIMIT)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_end(path: Path, limit: int) -> str:
    """The last `limit` bytes of a file, as text; empty when it cannot be read."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            # At most `limit`: the file may still be growing.
            return f.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def write_prompt(path: Path, text: str) -> None:
    """The prompt, readable by the owner only (it may hold what the score's author typed)."""
    _write_private(path, text)


def write_checks(path: Path, rules: Sequence[ValidationRule], redact: Redact) -> None:
    """The attempt's checks as a document an instrument can read (see
    `podium.domain.checklist`), readable by the owner only."""
    _write_private(path, json.dumps(checklist(rules, redact)))


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk leaves no half-written copy behind
        raise
    partial.replace(path)


def _copy_redacted(source: Path, target: Path, redact: Redact) -> None:
    """Line by line, each line cut to `LINE_MAX_BYTES`: a stream of one 500 MB line is copied
    in bounded memory, and the redactor never holds the interpreter for long."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)  # one left by a crash is made anew, with the user's modes
    try:
        with (
            source.open("rb") as src,
            os.fdopen(open_for_user(partial, os.O_WRONLY), "w", encoding="utf-8") as dst,
        ):
            for line in bounded_lines(src, LINE_MAX_BYTES):
                dst.write(redact(line.decode("utf-8", errors="replace")))
    except FileNotFoundError:
        return
    partial.replace(target)
