"""What the dashboard's pictures share: escaping, number and time labels, tick steps, the
`<svg>` element itself, the colors of statuses and outcomes, and the note shown instead of an
empty picture.

Everything here is pure: text in, text out. Times are seconds (Unix time or spans); nothing
reads the clock.
"""

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

from podium.cli.output import duration
from podium.domain.outcome import AttemptOutcome
from podium.domain.status import SheetStatus

__all__ = [
    "MIN_ZOOM",
    "OUTCOME_COLORS",
    "STATUS_COLORS",
    "TIME_STEPS",
    "css_rules",
    "duration",
    "elapsed",
    "empty_note",
    "escape",
    "money",
    "money_step",
    "num",
    "sheet_href",
    "step_for",
    "svg_close",
    "svg_open",
    "ticks",
    "token",
]

TIME_STEPS: tuple[float, ...] = (
    *(1, 2, 5, 10, 15, 30),
    *(60 * m for m in (1, 2, 5, 10, 15, 30)),
    *(3600 * h for h in (1, 2, 3, 6, 12)),
    *(86400 * d for d in (1, 2, 7, 14, 30)),
)
"""Tick steps of a time axis, in seconds: round numbers of seconds, minutes, hours and days."""

STATUS_COLORS: Mapping[SheetStatus, str] = {
    SheetStatus.PENDING: "#868e96",
    SheetStatus.READY: "#15aabf",
    SheetStatus.RUNNING: "#1c7ed6",
    SheetStatus.VALIDATING: "#7048e8",
    SheetStatus.WAITING: "#f08c00",
    SheetStatus.AWAITING_APPROVAL: "#ae3ec9",
    SheetStatus.COMPLETED: "#2f9e44",
    SheetStatus.FAILED: "#e03131",
    SheetStatus.SKIPPED: "#a0a7ae",
    SheetStatus.CANCELLED: "#b08900",
}
"""One mid-tone color per sheet status: it reads on a light page and on a dark one."""

OUTCOME_COLORS: Mapping[AttemptOutcome, str] = {
    AttemptOutcome.RUNNING: "#1c7ed6",
    AttemptOutcome.VALIDATING: "#7048e8",
    AttemptOutcome.SUCCEEDED: "#2f9e44",
    AttemptOutcome.VALIDATION_FAILED: "#f76707",
    AttemptOutcome.FAILED: "#e03131",
    AttemptOutcome.TIMED_OUT: "#c92a2a",
    AttemptOutcome.CRASHED: "#862e9c",
    AttemptOutcome.STALE: "#a61e4d",
    AttemptOutcome.AUTH_FAILED: "#d6336c",
    AttemptOutcome.CAPACITY: "#e67700",
    AttemptOutcome.RATE_LIMITED: "#f59f00",
    AttemptOutcome.LAUNCH_FAILED: "#5f3dc4",
    AttemptOutcome.INTERRUPTED: "#868e96",
    AttemptOutcome.STOPPED: "#a0a7ae",
}
"""One color per attempt outcome, in the same family as the statuses they lead to."""

MIN_ZOOM = 0.6
"""A picture is never drawn smaller than this fraction of its size: 11px text stays ~7px."""

_NOT_A_TOKEN = re.compile(r"[^a-z0-9_-]+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: object) -> str:
    """`text` as HTML/XML text or a quoted attribute value: `<`, `>`, `&` and quotes escaped,
    and the control characters XML cannot hold at all left out."""
    return html.escape(_NOT_XML.sub("", str(text)), quote=True)


def token(text: str) -> str:
    """`text` made safe as one CSS class name part: lower case, `[a-z0-9_-]` only.

    A status or outcome from the conductor becomes a class; a space in it must not add a class.
    """
    return _NOT_A_TOKEN.sub("-", text.lower()) or "unknown"


def sheet_href(job_id: str, sheet: int) -> str:
    """The sheet's page, `/jobs/<job>/sheets/<n>`, with the job id URL-quoted (not escaped)."""
    return f"/jobs/{quote(job_id, safe='')}/sheets/{sheet}"


def num(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros ('12', '12.5')."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def money(cost: float) -> str:
    """A cost as the CLI prints it: '$0.0123'."""
    return f"${cost:.4f}"


def elapsed(seconds: float) -> str:
    """A time axis label, a span from the axis' start: '0', '30s', '5m', '1h30m', '2d'."""
    s = round(seconds)
    if s == 0:
        return "0"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            parts.append(f"{s // size}{unit}")
            s %= size
    return "".join(parts[:2])


def step_for(span: float, most: int, steps: Sequence[float] = TIME_STEPS) -> float:
    """The smallest of `steps` that cuts `span` into at most `most` intervals (the largest
    step if none does)."""
    for step in steps:
        if span / step <= most:
            return step
    return steps[-1]


def money_step(span: float, most: int) -> float:
    """A 1-2-5 step (…, 0.01, 0.02, 0.05, 0.1, …) cutting `span` into at most `most` parts."""
    if span <= 0:
        return 0.01
    if span / most < 1e-6:
        return 1e-6  # a millionth of a dollar: finer is noise (and log10 of 0 fails)
    # One decade below too: log10 may round across a power of ten.
    decade = 10.0 ** (math.floor(math.log10(span / most)) - 1)
    return step_for(span, most, tuple(m * decade for m in (1, 2, 5, 10, 20, 50, 100)))


def ticks(low: float, high: float, step: float, origin: float = 0.0) -> list[float]:
    """The values `origin + k*step` within [low, high]."""
    first = math.ceil((low - origin) / step - 1e-9)
    last = math.floor((high - origin) / step + 1e-9)
    return [origin + k * step for k in range(first, last + 1)]


def svg_open(width: float, height: float, css_class: str, label: str) -> str:
    """An inline `<svg>` that scales with the page's width, but never up past its own size (a
    three-sheet job does not fill the screen) nor down past MIN_ZOOM (text stays readable: a
    wider picture scrolls, so put it in a container with `overflow-x: auto`)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" width="100%" '
        f'style="max-width:{num(width)}px;min-width:{num(width * MIN_ZOOM)}px" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(label)}">'
    )


def svg_close() -> str:
    return "</svg>"


def empty_note(text: str, css_class: str) -> str:
    """What a page shows instead of a picture with nothing in it: one short paragraph."""
    return f'<p class="graphic-empty {escape(css_class)}">{escape(text)}</p>'


def css_rules(selector: str, colors: Iterable[tuple[str, str]], body: str) -> str:
    """One rule per (name, color): `selector` with `{name}`, `body` with `{color}`."""
    return "\n".join(
        f"{selector.format(name=name)} {{ {body.format(color=color)} }}" for name, color in colors
    )
