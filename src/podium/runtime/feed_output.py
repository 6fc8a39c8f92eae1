"""The output lines of the sheets that subscribers name, published as `output` events while
their attempts write them.

Attempts write their output to files (`podium.runtime.layout`); a tailer per named sheet (or
job) reads what each in-flight attempt's files gained, a few times a second, only while some
subscriber wants it. A file already there when the tailing starts is read from its end (what
it held before is what `job.logs` gives); an attempt that starts later is read from its start.
"""

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from podium.domain.engine import Engine
from podium.domain.feed import OUTPUT, Change, OutputLine
from podium.domain.ids import JobId, SheetNum
from podium.runtime.feed import Feed, Subscriber
from podium.runtime.layout import Layout

TAIL_SECONDS = 0.2
"""How often the files are looked at."""
READ_BYTES = 1 << 20
"""The most read from one file per look: a flood is caught up with over several."""
LINE_CHARS = 4096
"""A longer line is cut to its last characters."""
STREAMS = ("stdout", "stderr")

Attempts = Callable[[JobId, SheetNum | None], list[tuple[SheetNum, int]]]
"""The attempts worth tailing now, as (sheet, attempt): those in flight, of one sheet or of
every sheet of the job (None)."""

_Key = tuple[SheetNum, int, str]


@dataclass
class _Tail:
    """What one tailer has read: how far into each file, and a line begun but not ended."""

    offsets: dict[_Key, int] = field(default_factory=dict)
    partial: dict[_Key, bytes] = field(default_factory=dict)
    fresh: bool = True


class OutputTails:
    def __init__(
        self, feed: Feed, layout: Layout, attempts: Attempts, tasks: asyncio.TaskGroup
    ) -> None:
        self._feed = feed
        self._layout = layout
        self._attempts = attempts
        self._tasks = tasks
        self._wanted: dict[tuple[JobId, SheetNum | None], int] = {}
        self._running: dict[tuple[JobId, SheetNum | None], asyncio.Task[None]] = {}
        feed.watch(self._subscribers_changed)

    def _subscribers_changed(self, subscriber: Subscriber, joined: bool) -> None:
        for job_id, sheet in subscriber.interest.output:
            key = (JobId(job_id), SheetNum(sheet) if sheet else None)
            count = self._wanted.get(key, 0) + (1 if joined else -1)
            if count > 0:
                self._wanted[key] = count
                if key not in self._running:
                    name = f"output of {key[0]} sheet {key[1] or 'all'}"
                    self._running[key] = self._tasks.create_task(self._follow(*key), name=name)
            else:
                self._wanted.pop(key, None)
                task = self._running.pop(key, None)
                if task is not None:
                    task.cancel()

    async def _follow(self, job_id: JobId, sheet: SheetNum | None) -> None:
        tail = _Tail()
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                self.look(job_id, sheet, tail)
                await asyncio.sleep(TAIL_SECONDS)

    def look(self, job_id: JobId, sheet: SheetNum | None, tail: _Tail) -> None:
        """Publish the lines the attempts' files gained since the last look; of an attempt
        that ended since, the rest of its files, its last line too when it has no newline."""
        current = {
            (num, attempt, stream)
            for num, attempt in self._attempts(job_id, sheet)
            for stream in STREAMS
        }
        ended = set(tail.offsets) - current
        for key in sorted(current | ended):
            lines = list(self._read(job_id, key, tail))
            rest = tail.partial.pop(key, b"") if key in ended else b""
            if rest:
                lines.append((tail.offsets[key] - len(rest), _text(rest)))
            if key in ended:
                del tail.offsets[key]
            self._feed.publish(
                Change(OUTPUT, job_id, OutputLine(key[1], key[2], text, at), key[0])
                for at, text in lines
            )
        tail.fresh = False

    def _read(self, job_id: JobId, key: _Key, tail: _Tail) -> Iterator[tuple[int, str]]:
        """(offset, text) of each line the file gained."""
        path = self._layout.attempt_file(job_id, key[0], key[1], f"{key[2]}.log")
        try:
            with path.open("rb") as file:
                if key not in tail.offsets:
                    tail.offsets[key] = file.seek(0, 2) if tail.fresh else 0
                file.seek(tail.offsets[key])
                gained = file.read(READ_BYTES)
        except FileNotFoundError:
            return
        tail.offsets[key] += len(gained)
        pending = tail.partial.pop(key, b"") + gained
        start = tail.offsets[key] - len(pending)
        *lines, rest = pending.split(b"\n")
        for line in lines:
            yield start, _text(line)
            start += len(line) + 1
        if rest:
            tail.partial[key] = rest


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")[-LINE_CHARS:]


def engine_attempts(engine: Engine) -> Attempts:
    """The attempts worth tailing, from the engine's view of the job (none once it ended)."""

    def attempts(job_id: JobId, sheet: SheetNum | None) -> list[tuple[SheetNum, int]]:
        view = engine.view(job_id)
        if view is None:
            return []
        return [
            (s.num, s.attempts)
            for s in view.sheets
            if s.attempts and s.status.in_flight and sheet in (None, s.num)
        ]

    return attempts
