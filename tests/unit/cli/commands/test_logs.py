"""What `podium logs` prints: attempts' output chunks, and the conductor's own log."""

import io
import json
from pathlib import Path

from podium.cli.commands.logs import LogPrinter, last_log_lines, readable
from podium.ipc.schema import LogsResult, SheetLogInfo


def test_log_chunks_print_with_a_header_whenever_the_stream_changes() -> None:
    def sheet(num: int, out: str, err: str = "", attempt: int = 1) -> SheetLogInfo:
        return {
            "sheet": num,
            "attempt": attempt,
            "status": "running",
            "stdout": {"text": out, "start": 0, "end": len(out), "path": "/o"},
            "stderr": {"text": err, "start": 0, "end": len(err), "path": "/e"},
        }

    def answer(*sheets: SheetLogInfo) -> LogsResult:
        return {
            "job_id": "demo",
            "status": "running",
            "resume_when_idle": False,
            "sheets": [*sheets],
        }

    out = io.StringIO()
    printer = LogPrinter(out, as_json=False)
    assert printer.show(answer(sheet(1, "a\n"), sheet(2, "")), listing=True)
    assert not printer.show(answer())
    assert printer.show(answer(sheet(1, "b", "oops\n")))
    assert out.getvalue() == (
        "==> sheet 1 · attempt 1 · stdout (running) <==\na\n\n"
        "==> sheet 2 · attempt 1 · stdout (running, no output yet) <==\n\n"
        "==> sheet 1 · attempt 1 · stdout (running) <==\nb\n\n"
        "==> sheet 1 · attempt 1 · stderr (running) <==\noops\n"
    )
    assert printer.cursors() == [
        {"sheet": 1, "attempt": 1, "stdout": 1, "stderr": 5},
        {"sheet": 2, "attempt": 1, "stdout": 0, "stderr": 0},
    ]
    as_json = io.StringIO()
    LogPrinter(as_json, as_json=True).show(answer(sheet(3, "x\n")))
    assert json.loads(as_json.getvalue()) == {
        "sheet": 3,
        "attempt": 1,
        "stream": "stdout",
        "status": "running",
        "text": "x\n",
    }


def test_conductor_log_lines_are_readable_and_reach_into_rotated_files(tmp_path: Path) -> None:
    record = {
        "ts": "2026-11-28T02:00:00.000+00:00",
        "level": "warning",
        "logger": "podium.conductor",
        "message": "sheet failed",
        "job_id": "demo",
        "sheet": 2,
        "exception": "Traceback …",
    }
    shown = readable(json.dumps(record))
    assert shown.split(" ", 2)[2] == "WARNING sheet failed [job demo sheet 2]\nTraceback …"
    assert readable("plain text from before") == "plain text from before"
    assert readable('{"no": "message"}') == '{"no": "message"}'
    assert readable("{not json") == "{not json"
    log = tmp_path / "conductor.log"
    log.write_text("c\nd\n")
    (tmp_path / "conductor.log.1").write_text("a\nb\n")
    assert last_log_lines(log, 3) == ["b", "c", "d"]
    assert last_log_lines(log, 10) == ["a", "b", "c", "d"]
    assert last_log_lines(log, 0) == []
