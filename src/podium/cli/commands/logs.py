"""`podium logs [JOB]`: the output of a job's attempts, or the conductor's own log; with
`--follow`, printed live as it grows, like `tail -F`.

A job's output comes through the conductor (`job.logs`), which reads its private state folder
and masks credentials; following sends back how far each stream was read, so each poll moves
only what is new. The conductor's log is read here, straight from its file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from podium.cli import exits
from podium.cli.arguments import sheet_option
from podium.cli.connect import client, conductor_info
from podium.cli.follow import STOPS
from podium.domain.errors import UserError
from podium.host.locations import locate
from podium.host.tail import file_size, last_lines, read_from
from podium.ipc.methods import JOB_LOGS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal, TextIO

    from podium.ipc.client import ConductorClient
    from podium.ipc.schema import (
        LogCursorInfo,
        LogsParams,
        LogsResult,
        OutputWanted,
        SheetLogInfo,
        SubscribeParams,
    )

    Stream = Literal["stdout", "stderr"]

POLL_SECONDS = 0.25
FOLLOW_BYTES = 1024 * 1024
"""The most of the conductor's log read per poll while following it."""
STREAMS: tuple[Stream, ...] = ("stdout", "stderr")


def declare(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job", nargs="?", help="a job id: its attempts' output; without it, the conductor's log"
    )
    p.add_argument(
        "--follow",
        "-F",
        action="store_true",
        help="keep printing as output arrives, moving on to new attempts and sheets, until the "
        "job stops; the conductor's log until Ctrl-C (Ctrl-C exits 130)",
    )
    p.add_argument(
        "--lines", "-n", type=int, default=50, help="start with the last N lines (default 50)"
    )
    sheet_option(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON lines: one object per chunk of output (or the conductor's log as written)",
    )


def run(args: argparse.Namespace) -> int:
    if args.lines < 0:
        raise UserError(f"--lines must be 0 or more, got {args.lines}")
    if args.job is None:
        if args.sheet is not None:
            raise UserError("--sheet needs a JOB: 'podium logs JOB --sheet N'")
        return conductor_log(args.lines, args.follow, raw=args.json)
    with client() as conductor:
        return job_logs(
            conductor,
            args.job,
            sheet=args.sheet,
            lines=args.lines,
            follow=args.follow,
            as_json=args.json,
        )


# ---- a job's attempts ---------------------------------------------------------------------


class LogPrinter:
    """Prints the chunks of `job.logs` answers, with a header whenever the stream changes, and
    keeps the cursors to ask for what comes next."""

    def __init__(self, out: TextIO, as_json: bool) -> None:
        self._out = out
        self._json = as_json
        self._cursors: dict[int, LogCursorInfo] = {}
        self._source: tuple[int, int, str] | None = None

    def cursors(self) -> list[LogCursorInfo]:
        return list(self._cursors.values())

    def show(self, answer: LogsResult, *, listing: bool = False) -> bool:
        """Print an answer; True when it held any text. `listing`: a first answer, where a
        sheet without output yet still gets its header."""
        printed = False
        for sheet in answer["sheets"]:
            self._cursors[sheet["sheet"]] = {
                "sheet": sheet["sheet"],
                "attempt": sheet["attempt"],
                "stdout": sheet["stdout"]["end"],
                "stderr": sheet["stderr"]["end"],
            }
            texts = [(s, sheet[s]["text"]) for s in STREAMS if sheet[s]["text"]]
            if listing and not texts and not self._json:
                self._header(sheet, "stdout", "no output yet")
            for stream, text in texts:
                self._print(sheet, stream, text)
                printed = True
        self._out.flush()
        return printed

    def _print(self, sheet: SheetLogInfo, stream: Stream, text: str) -> None:
        if self._json:
            chunk = {
                "sheet": sheet["sheet"],
                "attempt": sheet["attempt"],
                "stream": stream,
                "status": sheet["status"],
                "text": text,
            }
            print(json.dumps(chunk), file=self._out)
            return
        if self._source != (sheet["sheet"], sheet["attempt"], stream):
            self._header(sheet, stream)
        self._out.write(text if text.endswith("\n") else text + "\n")

    def _header(self, sheet: SheetLogInfo, stream: Stream, note: str | None = None) -> None:
        if self._source is not None:
            print(file=self._out)
        self._source = (sheet["sheet"], sheet["attempt"], stream)
        status = sheet["status"] if note is None else f"{sheet['status']}, {note}"
        print(
            f"==> sheet {sheet['sheet']} · attempt {sheet['attempt']} · {stream} ({status}) <==",
            file=self._out,
        )


def job_logs(
    conductor: ConductorClient,
    job_id: str,
    *,
    sheet: int | None,
    lines: int,
    follow: bool,
    as_json: bool,
    out: TextIO = sys.stdout,
) -> int:
    """The last `lines` lines of each stream of the latest attempt of each sheet (or of
    `sheet`); with `follow`, then everything new until the job stops."""
    if not follow:
        return _show_logs(conductor, job_id, sheet=sheet, lines=lines, as_json=as_json, out=out)[1]
    from podium.cli.changes import Changes  # noqa: PLC0415 - only when following

    output: OutputWanted = {"job_id": job_id}
    if sheet is not None:
        output["sheet"] = sheet
    # Subscribed before the first read, so that nothing written in between is missed.
    interest: SubscribeParams = {"job_ids": [job_id], "kinds": ["job", "sheet"], "output": [output]}
    with Changes(conductor.socket_path, interest) as changes:
        printer, _ = _show_logs(
            conductor, job_id, sheet=sheet, lines=lines, as_json=as_json, out=out
        )
        params: LogsParams = {"job_id": job_id}
        if sheet is not None:
            params["sheet"] = sheet
        while True:
            answer = conductor.request(JOB_LOGS({**params, "cursors": printer.cursors()}))
            printed = printer.show(answer)
            # The conductor reads the job's state before its files: once it says the job
            # stopped, the same answer held the rest of the output (read on until one holds
            # nothing more: no change will come to wake this loop).
            if answer["status"] in STOPS and not answer["resume_when_idle"]:
                if not printed:
                    return exits.OK
                continue
            changes.wait(None)


def _show_logs(
    conductor: ConductorClient,
    job_id: str,
    *,
    sheet: int | None,
    lines: int,
    as_json: bool,
    out: TextIO,
) -> tuple[LogPrinter, int]:
    """Print the last lines of each stream; the printer that did, to go on from."""
    params: LogsParams = {"job_id": job_id, "lines": lines}
    if sheet is not None:
        params["sheet"] = sheet
    printer = LogPrinter(out, as_json)
    answer = conductor.request(JOB_LOGS(params))
    if not answer["sheets"] and not as_json:
        which = f"sheet {sheet} of job {job_id}" if sheet is not None else f"job {job_id}"
        print(f"{which} has no attempts yet", file=out, flush=True)
    printer.show(answer, listing=True)
    return printer, exits.OK


# ---- the conductor's log ------------------------------------------------------------------


def conductor_log(lines: int, follow: bool, *, raw: bool, out: TextIO = sys.stdout) -> int:
    path = _log_path()
    output = Path(locate().stderr_file)
    if not path.exists():
        raise UserError(
            f"no conductor log at {path}; it is written once the conductor starts"
            + _output_note(output)
        )
    for line in last_log_lines(path, lines):
        print(line if raw else readable(line), file=out)
    out.flush()
    if not raw:
        # On stderr: the log's lines alone go to stdout, for a pipe.
        print(f"(log: {path}{_output_note(output)})", file=sys.stderr)
    if follow:
        _follow_file(path, raw, out)
    return exits.OK


def _output_note(output: Path) -> str:
    """Where the conductor's output outside its log is, when it printed any: why a start
    failed, a crash (a service's conductor, or one `podium start` started)."""
    if file_size(output) == 0:
        return ""
    return f"; what it printed outside its log (a failed start, a crash): {output}"


def _log_path() -> Path:
    """The running conductor's log file (its settings may move it), else the default one."""
    locations = locate()
    with client(locations, timeout=5.0) as conductor:
        info = conductor_info(conductor)
    return Path(info["log_file"] if info else locations.log_file)


def last_log_lines(path: Path, count: int) -> list[str]:
    """The last `count` lines of the log, reaching into its rotated files (`.1` the newest)
    when the current one has fewer."""
    found: list[str] = []
    for n in range(0, 100):
        part = path if n == 0 else path.with_name(f"{path.name}.{n}")
        if count <= len(found) or not part.exists():
            break
        text = last_lines(part, count - len(found)).text
        found = text.splitlines() + found
    return found[-count:] if count else []


def _follow_file(path: Path, raw: bool, out: TextIO) -> None:
    """Print what is appended to the log until Ctrl-C, starting over on a rotated file."""
    offset, inode = file_size(path), _inode(path)
    while True:
        time.sleep(POLL_SECONDS)
        now = _inode(path)
        if now != inode:
            offset, inode = 0, now
        chunk = read_from(path, offset, FOLLOW_BYTES, whole_lines=True)
        offset = chunk.end
        for line in chunk.text.splitlines():
            print(line if raw else readable(line), file=out)
        out.flush()


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def readable(line: str) -> str:
    """A JSON log line as `time LEVEL message [job X sheet N attempt K]` (and its traceback);
    any other line as it is."""
    if not line.startswith("{"):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "message" not in record:
        return line
    about = " ".join(
        f"{name.removesuffix('_id')} {record[name]}"
        for name in ("job_id", "sheet", "attempt")
        if record.get(name) is not None
    )
    text = f"{_local(record.get('ts'))} {str(record.get('level', '')).upper():<7} "
    text += str(record["message"])
    if about:
        text += f" [{about}]"
    if record.get("exception"):
        text += "\n" + str(record["exception"])
    return text


def _local(ts: object) -> str:
    try:
        return datetime.fromisoformat(str(ts)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(ts)
