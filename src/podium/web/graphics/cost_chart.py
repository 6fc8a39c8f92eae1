"""The money a job spent over time, as an inline SVG: one step line per (instrument, model),
rising at each attempt's end by what it cost. From the first attempt whose cost was estimated
from guessed prices, a line's total is an estimate, and the line is dashed from there on.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from podium.ipc.schema import AttemptDetailInfo
from podium.web.graphics.costs import ModelKey, model_key, series_label
from podium.web.graphics.svg import (
    elapsed,
    empty_note,
    escape,
    money,
    money_step,
    num,
    step_for,
    svg_close,
    svg_open,
    ticks,
)

LEFT = 64.0
TOP = 12.0
PLOT_WIDTH = 720.0
PLOT_HEIGHT = 200.0
RIGHT = 16.0
AXIS_HEIGHT = 22.0
LEGEND_ROW = 18.0
COLORS = 8
"""Series take the classes s-0 … s-7 in turn."""


@dataclass(frozen=True, slots=True)
class Step:
    at: float
    """When the attempt ended."""
    cost: float
    """The series' total once it had."""
    estimated: bool
    """This attempt's cost was estimated."""


@dataclass(frozen=True, slots=True)
class Series:
    key: ModelKey
    steps: tuple[Step, ...]

    @property
    def total(self) -> float:
        return self.steps[-1].cost

    @property
    def estimated(self) -> bool:
        return any(s.estimated for s in self.steps)


def cost_series(attempts: Sequence[AttemptDetailInfo]) -> tuple[Series, ...]:
    """The running totals of each (instrument, model), by attempt end time, highest total
    first. Attempts still running, or that reported no cost, are not on it."""
    steps: dict[ModelKey, list[Step]] = {}
    ended = (a for a in attempts if a["ended_at"] is not None and a["cost"] is not None)
    for a in sorted(ended, key=lambda a: a["ended_at"] or 0.0):
        line = steps.setdefault(model_key(a), [])
        spent = (line[-1].cost if line else 0.0) + (a["cost"] or 0.0)
        line.append(Step(a["ended_at"] or 0.0, spent, a["cost_estimated"]))
    found = [Series(key, tuple(line)) for key, line in steps.items()]
    return tuple(sorted(found, key=lambda s: (-s.total, series_label(s.key))))


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plot's scales: time to x, money to y."""

    start: float
    end: float
    top: float

    def x(self, t: float) -> float:
        return LEFT + (t - self.start) * PLOT_WIDTH / (self.end - self.start)

    def y(self, cost: float) -> float:
        return TOP + PLOT_HEIGHT - cost * PLOT_HEIGHT / self.top

    def point(self, t: float, cost: float) -> str:
        return f"{num(self.x(t))} {num(self.y(cost))}"


def render_cost_chart(attempts: Sequence[AttemptDetailInfo], now: float | None = None) -> str:
    """The job's cumulative cost over time as inline SVG markup, with a legend; the lines run
    on to `now` when it is given. A short paragraph instead when no attempt reported a cost."""
    series = cost_series(attempts)
    if not series:
        return empty_note("no cost recorded yet", "costs")
    frame = _frame(attempts, series, now)
    height = TOP + PLOT_HEIGHT + AXIS_HEIGHT + len(series) * LEGEND_ROW + 4
    parts = [svg_open(LEFT + PLOT_WIDTH + RIGHT, height, "costs", "cost over time")]
    parts.extend(_axes(frame))
    parts.append('<g class="lines">')
    for i, line in enumerate(series):
        parts.extend(_line(line, i, frame))
    parts.append("</g>")
    parts.extend(_legend(series))
    parts.append(svg_close())
    return "".join(parts)


def _frame(
    attempts: Sequence[AttemptDetailInfo], series: Sequence[Series], now: float | None
) -> _Frame:
    ends = [s.at for line in series for s in line.steps]
    starts = [
        a["started_at"] for a in attempts if a["cost"] is not None and a["ended_at"] is not None
    ]
    start = min(starts + ends)
    end = max(ends + ([now] if now is not None else []))
    end += max(1.0, (end - start) * 0.04)
    top = max(line.total for line in series)
    step = money_step(top, 5)
    return _Frame(start, end, max(step, math.ceil(top / step - 1e-9) * step))


def _line(line: Series, index: int, frame: _Frame) -> list[str]:
    """The series as one solid path, then (from its first estimated step on) a dashed one."""
    solid = [frame.point(frame.start, 0.0)]
    dashed: list[str] = []
    spent = 0.0
    for s in line.steps:
        corner = frame.point(s.at, spent)
        (dashed or solid).append(corner)
        if s.estimated and not dashed:
            dashed.append(corner)
        (dashed or solid).append(frame.point(s.at, s.cost))
        spent = s.cost
    (dashed or solid).append(frame.point(frame.end, spent))
    label = escape(f"{series_label(line.key)}: {money(line.total)}")
    return [
        f'<path class="{cls}" d="M{" L".join(points)}"><title>{label}</title></path>'
        for cls, points in (
            (f"series s-{index % COLORS}", solid),
            (f"series s-{index % COLORS} estimated", dashed),
        )
        if len(points) > 1
    ]


def _axes(frame: _Frame) -> list[str]:
    bottom = TOP + PLOT_HEIGHT
    parts = ['<g class="axis">']
    for c in ticks(0.0, frame.top, money_step(frame.top, 5)):
        y = num(frame.y(c))
        parts.append(
            f'<line class="grid" x1="{num(LEFT)}" y1="{y}" x2="{num(LEFT + PLOT_WIDTH)}" y2="{y}"/>'
            f'<text class="money" x="{num(LEFT - 6)}" y="{y}">{_money_tick(c, frame.top)}</text>'
        )
    step = step_for(frame.end - frame.start, 8)
    for t in ticks(frame.start, frame.end, step, origin=frame.start):
        x = num(frame.x(t))
        parts.append(
            f'<line class="grid" x1="{x}" y1="{num(TOP)}" x2="{x}" y2="{num(bottom)}"/>'
            f'<text class="tick" x="{x}" y="{num(bottom + 14)}">{elapsed(t - frame.start)}</text>'
        )
    parts.append("</g>")
    return parts


def _money_tick(value: float, top: float) -> str:
    """'$0', '$0.05', '$2', '$1,500': as many decimals as the scale needs."""
    step = money_step(top, 5)
    decimals = 0 if step >= 1 else max(2, -math.floor(math.log10(step)))
    return f"${value:,.{decimals}f}"


def _legend(series: Sequence[Series]) -> list[str]:
    top = TOP + PLOT_HEIGHT + AXIS_HEIGHT
    parts = ['<g class="legend">']
    for i, line in enumerate(series):
        y = top + i * LEGEND_ROW + LEGEND_ROW / 2
        cls = f"series s-{i % COLORS}" + (" estimated" if line.estimated else "")
        note = _estimate_note(line)
        text = f"{series_label(line.key)}: {money(line.total)}{note}"
        parts.append(
            f'<line class="{cls}" x1="{num(LEFT)}" y1="{num(y)}" '
            f'x2="{num(LEFT + 24)}" y2="{num(y)}"/>'
            f'<text x="{num(LEFT + 30)}" y="{num(y + 4)}">{escape(text)}</text>'
        )
    parts.append("</g>")
    return parts


def _estimate_note(line: Series) -> str:
    if all(s.estimated for s in line.steps):
        return " (estimated)"
    return " (partly estimated)" if line.estimated else ""


_PALETTE = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#e03131", "#0c8599", "#b08900", "#5f3dc4")

CHART_CSS = "\n".join(
    [
        "svg.costs { font: 11px system-ui, sans-serif; }",
        "svg.costs text { fill: currentColor; }",
        "svg.costs .tick { text-anchor: middle; opacity: 0.7; }",
        "svg.costs .money { text-anchor: end; dominant-baseline: middle; opacity: 0.7; }",
        "svg.costs .grid { stroke: currentColor; stroke-opacity: 0.12; }",
        "svg.costs .series { fill: none; stroke-width: 2; }",
        "svg.costs .series.estimated { stroke-dasharray: 5 3; }",
        *(f"svg.costs .s-{i} {{ stroke: {c}; }}" for i, c in enumerate(_PALETTE)),
    ]
)
"""The cost chart's colors: a palette for the series (`s-0` … `s-7`), estimated lines dashed."""
