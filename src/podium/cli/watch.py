"""`podium status --watch`: a view drawn again when the conductor changes what it shows, in
place on a terminal (where it is also redrawn every few seconds, for its clocks), one snapshot
per change anywhere else, until the job stops or the user presses Ctrl-C."""

from __future__ import annotations

import io
import os
import sys
import time

from podium.cli import exits
from podium.cli.follow import STOPS, verdict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    from podium.ipc.schema import JobStatusResult

    Frame = tuple[str, JobStatusResult | None]
    """What to show, and the job it shows (None for the conductor's overview)."""
    Frames = Callable[[bool], Frame]
    """The frame to show now: read anew from the conductor (True), or the last one read, as
    it looks at this moment."""

MIN_INTERVAL = 0.2
"""Seconds; a shorter interval would only load the conductor."""


class Screen:
    """Shows frame after frame: redrawn from the top left of a terminal (`live`), or printed
    one after another, each followed by a blank line (`gap`), without any escape codes."""

    def __init__(self, out: TextIO, *, live: bool, gap: bool = True) -> None:
        self._out = out
        self._live = live
        self._gap = gap
        self._shown = False

    @property
    def live(self) -> bool:
        return self._live

    def show(self, text: str) -> None:
        if self._live:
            start = "\033[?25l\033[2J\033[H" if not self._shown else "\033[H"
            lines = fit(text.splitlines(), _terminal_size(self._out))
            self._out.write(start + "\n".join(line + "\033[K" for line in lines) + "\033[J")
        else:  # a blank line after each: a reader knows a snapshot is whole
            self._out.write(text + ("\n\n" if self._gap else "\n"))
        self._shown = True
        self._out.flush()

    def close(self) -> None:
        """Give the cursor back, below the last frame."""
        if self._live and self._shown:
            self._out.write("\033[?25h\n")
            self._out.flush()


def watch(
    frame: Frames,
    screen: Screen,
    interval: float,
    *,
    out: TextIO,
    color: bool,
    verdict_shown: bool = True,
    parting: str = "stopped watching (the job goes on)",
    wait: Callable[[float], bool] | None = None,
) -> int:
    """Show a frame at once, then each time `wait` (up to `interval` seconds) says something
    changed; a live screen is also redrawn when nothing did, for its clocks. Ends when the
    job stops (the exit code says how it ended, as after `run --wait`) or at Ctrl-C (exit 0:
    the job goes on). Without `wait`: a change every `interval` seconds."""
    changed = True
    try:
        while True:
            text, job = frame(changed)
            if changed or screen.live:
                screen.show(text)
            if job is not None and job["status"] in STOPS and not job["resume_when_idle"]:
                screen.close()
                if not verdict_shown:
                    return verdict(job, io.StringIO(), color)
                if screen.live:
                    print(file=out)
                return verdict(job, out, color)
            changed = wait(interval) if wait is not None else _slept(interval)
    except KeyboardInterrupt:
        screen.close()
        print(parting, file=sys.stderr)
        return exits.OK


def _slept(seconds: float) -> bool:
    time.sleep(seconds)
    return True


def fit(lines: list[str], size: tuple[int, int]) -> list[str]:
    """The lines that fit on a terminal of `size` (columns, rows), long lines wrapping, and
    a last line saying how many did not fit."""
    columns, rows = size
    shown: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        need = max(1, -(-visible_width(line) // max(columns, 1)))
        if used + need > rows - 2:
            shown.append(f"… {len(lines) - i} more lines: a taller terminal shows them")
            break
        shown.append(line)
        used += need
    return shown


def visible_width(line: str) -> int:
    """The characters of `line` a terminal shows: its escape codes (`\\033[1m`) take none."""
    first, *coded = line.split("\033[")
    width = len(first)
    for part in coded:
        end = next((i for i, c in enumerate(part) if c.isalpha()), len(part) - 1)
        width += len(part) - end - 1
    return width


def _terminal_size(out: TextIO) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(out.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return 80, 24
    # A terminal that does not know its size says 0: draw everything rather than nothing.
    return size.columns or 80, size.lines or 1_000_000
