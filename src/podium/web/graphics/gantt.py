"""A job's attempts on a timeline, as an inline SVG: one row per sheet that has attempts, one
bar per attempt (colored by its outcome through an `out-<outcome>` class), and the waits
between a sheet's attempts as bars of their own: a rate-limit wait after an attempt that hit
a rate limit, a retry wait otherwise. An attempt still running ends at `now`, which the caller
gives: nothing here reads the clock.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from podium.domain.codes import RATE_LIMIT
from podium.ipc.schema import AttemptDetailInfo
from podium.web.graphics.svg import (
    OUTCOME_COLORS,
    css_rules,
    duration,
    elapsed,
    empty_note,
    escape,
    num,
    sheet_href,
    step_for,
    svg_close,
    svg_open,
    ticks,
    token,
)

LABEL_WIDTH = 56.0
PLOT_WIDTH = 880.0
ROW_HEIGHT = 16.0
BAR_HEIGHT = 10.0
AXIS_HEIGHT = 22.0
MARGIN = 8.0
MOST_TICKS = 8
MIN_BAR_WIDTH = 1.5
"""A one-second attempt on a day-long timeline still shows."""

Scale = Callable[[float], float]
"""Time (Unix seconds) to x."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One attempt, or one wait between two attempts of a sheet."""

    sheet: int
    row: int
    attempt: int
    """The attempt drawn; for a wait, the attempt it follows."""
    wait: bool
    start: float
    end: float
    classes: str
    """'attempt out-<outcome>' (plus 'running' while it runs), 'wait rate-limit' or 'wait retry'."""
    title: str


@dataclass(frozen=True, slots=True)
class GanttLayout:
    sheets: tuple[int, ...]
    """The rows, top to bottom: the sheets that have attempts, by number."""
    bars: tuple[Bar, ...]
    start: float
    end: float
    step: float
    """Seconds between two ticks of the time axis."""


def layout_gantt(attempts: Sequence[AttemptDetailInfo], now: float) -> GanttLayout:
    """The bars of every attempt and every wait, and the time span they cover (at least 1 s)."""
    by_sheet: dict[int, list[AttemptDetailInfo]] = {}
    for a in attempts:
        by_sheet.setdefault(a["sheet"], []).append(a)
    rows = tuple(sorted(by_sheet))
    bars: list[Bar] = []
    for row, sheet in enumerate(rows):
        bars.extend(_sheet_bars(row, sorted(by_sheet[sheet], key=lambda a: a["attempt"]), now))
    start = min((b.start for b in bars), default=now)
    end = max((b.end for b in bars), default=now)
    end = max(end, start + 1.0)
    return GanttLayout(rows, tuple(bars), start, end, step_for(end - start, MOST_TICKS))


def _sheet_bars(row: int, attempts: Sequence[AttemptDetailInfo], now: float) -> list[Bar]:
    bars = []
    for i, a in enumerate(attempts):
        bars.append(_attempt_bar(row, a, now))
        after = attempts[i + 1]["started_at"] if i + 1 < len(attempts) else None
        ended = a["ended_at"]
        if after is not None and ended is not None and after > ended:
            bars.append(_wait_bar(row, a, ended, after))
    return bars


def _attempt_bar(row: int, attempt: AttemptDetailInfo, now: float) -> Bar:
    start, ended = attempt["started_at"], attempt["ended_at"]
    running = ended is None
    end = max(start, now if ended is None else ended)
    classes = f"attempt out-{token(attempt['outcome'])}" + (" running" if running else "")
    return Bar(
        attempt["sheet"],
        row,
        attempt["attempt"],
        False,
        start,
        end,
        classes,
        attempt_title(attempt, end - start),
    )


def _wait_bar(row: int, attempt: AttemptDetailInfo, start: float, end: float) -> Bar:
    rate_limit = attempt["error_type"] == RATE_LIMIT
    kind = "rate-limit" if rate_limit else "retry"
    title = (
        f"sheet {attempt['sheet']}: {kind} wait, {duration(end - start)} "
        f"(after attempt {attempt['attempt']})"
    )
    return Bar(attempt["sheet"], row, attempt["attempt"], True, start, end, f"wait {kind}", title)


def attempt_title(attempt: AttemptDetailInfo, seconds: float) -> str:
    """'sheet 3 · attempt 2: failed (E009, transient)' then '3m04s · claude-code · opus'."""
    head = f"sheet {attempt['sheet']} · attempt {attempt['attempt']}: {attempt['outcome']}"
    why = [x for x in (attempt["error_code"], attempt["error_type"]) if x]
    if why:
        head += f" ({', '.join(why)})"
    took = ("running for " if attempt["ended_at"] is None else "") + duration(seconds)
    ran_on = [x for x in (attempt["instrument"], attempt["model"]) if x]
    return "\n".join([head, " · ".join([took, *ran_on])])


def render_gantt(job_id: str, attempts: Sequence[AttemptDetailInfo], now: float) -> str:
    """The job's attempts on a timeline as inline SVG markup, each row's sheet number linking to
    the sheet's page; a short paragraph instead when nothing has run yet."""
    if not attempts:
        return empty_note("no attempts yet", "gantt")
    layout = layout_gantt(attempts, now)
    height = AXIS_HEIGHT + len(layout.sheets) * ROW_HEIGHT + MARGIN
    width = LABEL_WIDTH + PLOT_WIDTH + MARGIN
    scale = PLOT_WIDTH / (layout.end - layout.start)

    def x(t: float) -> float:
        return LABEL_WIDTH + (t - layout.start) * scale

    parts = [svg_open(width, height, "gantt", f"attempts of job {job_id} over time")]
    parts.extend(_axis(layout, x, height))
    parts.append('<g class="rows">')
    parts.extend(_row_label(job_id, sheet, row) for row, sheet in enumerate(layout.sheets))
    parts.append('</g><g class="bars">')
    parts.extend(_bar(b, x) for b in layout.bars)
    parts.append("</g>")
    if layout.start <= now <= layout.end:
        parts.append(
            f'<line class="now" x1="{num(x(now))}" y1="{num(AXIS_HEIGHT - 4)}" '
            f'x2="{num(x(now))}" y2="{num(height - MARGIN)}"><title>now</title></line>'
        )
    parts.append(svg_close())
    return "".join(parts)


def _axis(layout: GanttLayout, x: Scale, height: float) -> list[str]:
    parts = ['<g class="axis">']
    for t in ticks(layout.start, layout.end, layout.step, origin=layout.start):
        at = num(x(t))
        parts.append(
            f'<line class="grid" x1="{at}" y1="{num(AXIS_HEIGHT - 4)}" x2="{at}" '
            f'y2="{num(height - MARGIN)}"/>'
            f'<text class="tick" x="{at}" y="{num(AXIS_HEIGHT - 8)}">'
            f"{elapsed(t - layout.start)}</text>"
        )
    parts.append("</g>")
    return parts


def _row_label(job_id: str, sheet: int, row: int) -> str:
    y = AXIS_HEIGHT + row * ROW_HEIGHT + ROW_HEIGHT / 2 + 4
    return (
        f'<a href="{escape(sheet_href(job_id, sheet))}"><text class="sheet" '
        f'x="{num(LABEL_WIDTH - 6)}" y="{num(y)}">{sheet}</text></a>'
    )


def _bar(bar: Bar, x: Scale) -> str:
    left = x(bar.start)
    width = max(MIN_BAR_WIDTH, x(bar.end) - left)
    y = AXIS_HEIGHT + bar.row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
    which = "data-after" if bar.wait else "data-attempt"
    return (
        f'<rect class="{bar.classes}" data-sheet="{bar.sheet}" {which}="{bar.attempt}" '
        f'x="{num(left)}" y="{num(y)}" width="{num(width)}" height="{num(BAR_HEIGHT)}">'
        f"<title>{escape(bar.title)}</title></rect>"
    )


GANTT_CSS = "\n".join(
    [
        "svg.gantt { font: 11px system-ui, sans-serif; }",
        "svg.gantt text { fill: currentColor; }",
        "svg.gantt .tick { text-anchor: middle; opacity: 0.7; }",
        "svg.gantt .sheet { text-anchor: end; }",
        "svg.gantt .grid { stroke: currentColor; stroke-opacity: 0.12; }",
        "svg.gantt .now { stroke: #e03131; stroke-dasharray: 3 2; }",
        "svg.gantt .attempt { fill: #868e96; }",
        css_rules(
            "svg.gantt .out-{name}",
            ((o.value, c) for o, c in OUTCOME_COLORS.items()),
            "fill: {color};",
        ),
        "svg.gantt .running { fill-opacity: 0.7; stroke: #1c7ed6; stroke-dasharray: 2 2; }",
        "svg.gantt .wait { fill-opacity: 0.3; stroke-width: 1; stroke-dasharray: 3 2; }",
        "svg.gantt .wait.retry { fill: #868e96; stroke: #868e96; }",
        "svg.gantt .wait.rate-limit { fill: #f59f00; stroke: #f59f00; }",
    ]
)
"""The timeline's colors: one rule per attempt outcome (`out-<outcome>`), the running and the
waiting bars, the grid and the `now` line."""
