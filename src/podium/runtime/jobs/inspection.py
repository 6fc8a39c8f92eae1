"""Looking into a job after the fact: its attempts with the end of their output, and the
output of its latest attempts for `podium logs`, read from the store and the state folder.

Everything read from an attempt's files passes through the redactor: the raw streams stay in
the conductor's private state folder.
"""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from podium.domain.ids import JobId, SheetNum
from podium.domain.inspection import (
    AttemptDetail,
    Attempts,
    Cursor,
    Output,
    SheetOutput,
    StreamText,
)
from podium.domain.records import AttemptRecord, JobNote
from podium.domain.views import JobView, SheetView
from podium.host.bounded import cut_lines
from podium.host.tail import Chunk, last_lines, read_from
from podium.runtime.layout import Layout
from podium.runtime.ports import Store

TAIL_BYTES = 16 * 1024
"""An attempt's output tail is at most this much of each stream."""
LOG_LINES_BYTES = 1024 * 1024
"""`podium logs --lines` reads at most this much of the end of each stream."""
FOLLOW_BYTES = 256 * 1024
"""A follower gets at most this much of each stream per call; it asks again for the rest."""

Redact = Callable[[str], str]


class Inspector:
    """Answers `history`, `errors`, `diagnose` and `logs` from the store and the state folder;
    `view` finds a job (live or stored) or raises JobNotFound."""

    def __init__(
        self, *, store: Store, layout: Layout, redact: Redact, view: Callable[[str], JobView]
    ) -> None:
        self._store = store
        self._layout = layout
        self._redact = redact
        self._view = view

    def attempts(
        self,
        job_id: str,
        *,
        sheet: int | None = None,
        failed: bool = False,
        codes: Sequence[str] | None = None,
        limit: int,
        tail_lines: int = 0,
    ) -> Attempts:
        """The job's attempts, newest first, each with the last `tail_lines` lines of its
        stdout and stderr. Raises JobNotFound."""
        view = self._view(job_id)
        records, total = self._store.attempts(
            view.job_id,
            sheet=None if sheet is None else SheetNum(sheet),
            failed=failed,
            codes=codes,
            limit=limit,
        )
        return Attempts(view, [self._detail(r, tail_lines) for r in records], total)

    def sheet_dir(self, job_id: JobId, sheet: SheetNum) -> Path:
        return self._layout.sheet_dir(job_id, sheet)

    def job_dir(self, job_id: JobId) -> Path:
        return self._layout.jobs_dir / job_id

    def notes(self, job_id: JobId, limit: int) -> tuple[JobNote, ...]:
        """The job's latest `limit` notes, oldest first."""
        return self._store.history(job_id, limit)

    def _detail(self, record: AttemptRecord, lines: int) -> AttemptDetail:
        def tail(stream: str) -> str:
            if lines <= 0:
                return ""
            path = self._file(record.job_id, record.sheet, record.attempt, stream)
            return self._redact(cut_lines(last_lines(path, lines, TAIL_BYTES).text))

        folder = self._layout.sheet_dir(record.job_id, record.sheet)
        return AttemptDetail(record, tail("stdout"), tail("stderr"), str(folder))

    def output(
        self,
        job_id: str,
        *,
        sheet: int | None = None,
        lines: int = 50,
        cursors: Mapping[int, Cursor] | None = None,
    ) -> Output:
        """The output of the latest attempt of each sheet (or of `sheet`) that ran.

        Without `cursors`: the last `lines` lines of each stream. With them (following): what
        each stream gained since its cursor, or a new attempt's output from its start; a sheet
        with nothing new is left out. The job's state is read first, so once it says the job
        has stopped, what is read in the same call is the whole rest of the output."""
        view = self._view(job_id)
        found = []
        for s in view.sheets:
            if s.attempts == 0 or (sheet is not None and s.num != sheet):
                continue
            if cursors is None:
                found.append(self._tail(view.job_id, s, lines))
                continue
            cursor = cursors.get(s.num)
            if cursor is None or cursor.attempt != s.attempts:
                cursor = Cursor(s.attempts, 0, 0)
                fresh = True
            else:
                fresh = False
            chunk = self._since(view.job_id, s, cursor)
            if fresh or chunk.stdout.text or chunk.stderr.text:
                found.append(chunk)
        return Output(view, found)

    def _tail(self, job_id: JobId, sheet: SheetView, lines: int) -> SheetOutput:
        running = sheet.status.in_flight
        out, err = (
            self._text(
                path, last_lines(path, lines, LOG_LINES_BYTES, whole_lines=running), cut=True
            )
            for path in self._streams(job_id, sheet.num, sheet.attempts)
        )
        return SheetOutput(sheet, sheet.attempts, out, err)

    def _since(self, job_id: JobId, sheet: SheetView, cursor: Cursor) -> SheetOutput:
        # A running attempt may be in the middle of a line: leave it for the next call, so a
        # secret is never cut in two before the redactor sees it.
        running = sheet.status.in_flight
        out, err = (
            self._text(path, read_from(path, offset, FOLLOW_BYTES, whole_lines=running))
            for path, offset in zip(
                self._streams(job_id, sheet.num, cursor.attempt),
                (cursor.stdout, cursor.stderr),
                strict=True,
            )
        )
        return SheetOutput(sheet, cursor.attempt, out, err)

    def _text(self, path: Path, chunk: Chunk, *, cut: bool = False) -> StreamText:
        """The chunk redacted; with `cut`, each line kept to `LINE_MAX_BYTES` (a follower
        gets long lines whole, in pieces of `FOLLOW_BYTES`)."""
        text = cut_lines(chunk.text) if cut else chunk.text
        return StreamText(self._redact(text), chunk.start, chunk.end, str(path))

    def _streams(self, job_id: JobId, sheet: SheetNum, attempt: int) -> tuple[Path, Path]:
        return (
            self._file(job_id, sheet, attempt, "stdout"),
            self._file(job_id, sheet, attempt, "stderr"),
        )

    def _file(self, job_id: JobId, sheet: SheetNum, attempt: int, stream: str) -> Path:
        return self._layout.attempt_file(job_id, sheet, attempt, f"{stream}.log")
