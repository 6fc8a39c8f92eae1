"""Plain-text presentation: colors on a terminal, durations, aligned tables."""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from podium.ipc.schema import RateLimitInfo

_COLORS = {"green": "32", "red": "31", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}

STATUS_COLORS = {
    "completed": "green",
    "running": "blue",
    "validating": "blue",
    "failed": "red",
    "cancelled": "yellow",
    "skipped": "yellow",
    "paused": "yellow",
    "queued": "dim",
    "pending": "dim",
    "ready": "dim",
    "waiting": "yellow",
    "awaiting_approval": "yellow",
}


def use_color(stream: object = sys.stdout) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def paint(text: str, color: str | None, enabled: bool) -> str:
    if not enabled or color is None:
        return text
    return f"\033[{_COLORS[color]}m{text}\033[0m"


def status_text(status: str, enabled: bool) -> str:
    return paint(status, STATUS_COLORS.get(status), enabled)


def duration(seconds: float) -> str:
    """'0.4s', '12s', '3m04s', '2h05m', '3d04h'."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def when(timestamp: float | None) -> str:
    """A local time: '14:03:07' today, '2026-11-25 14:03' otherwise."""
    if timestamp is None:
        return "-"
    local = time.localtime(timestamp)
    if time.strftime("%Y-%m-%d", local) == time.strftime("%Y-%m-%d"):
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%Y-%m-%d %H:%M", local)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_from: Sequence[Sequence[str]] | None = None,
) -> str:
    """Left-aligned columns; the last column is never padded. Color codes do not count."""
    plain_rows = widths_from if widths_from is not None else rows
    widths = [len(h) for h in headers]
    for row in plain_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row, plain in zip([headers, *rows], [headers, *plain_rows], strict=True):
        cells = [
            cell + " " * (widths[i] - len(plain[i])) if i < len(row) - 1 else cell
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def describe_rate_limits(windows: Sequence[RateLimitInfo]) -> list[str]:
    """'claude-code (opus): waiting until 15:00:00 — 429 Too Many Requests'."""
    lines = []
    for w in windows:
        name = w["instrument"] if w["model"] is None else f"{w['instrument']} ({w['model']})"
        lines.append(f"{name}: rate limited until {when(w['until'])}: {w['reason']}")
    return lines
