"""`podium top --once`: one frame of the monitor as plain text, and the columns that fit a
width (the screen picks them the same way). No Textual: it works over ssh and in pipes."""

from __future__ import annotations

from podium.cli.output import STATUS_COLORS, paint
from podium.cli.top import panes
from podium.cli.top.view import COLUMNS, WIDTHS, Options, Processes, Row, rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.cli.top.model import TopModel
    from podium.ipc.schema import ConductorInfo

NARROW = (0, 1, 2, 4, 5, 6)
"""The columns shown below `WIDE` columns: instrument and cost give way to the names."""
WIDE = 120
MIN_FIRST = 16
SCROLL_BAR = 2


def columns_for(width: int, *, padded: bool = False) -> list[tuple[int, int]]:
    """(column index, width) of each column shown on a terminal `width` characters wide; the
    first column takes what the others leave. Plain text puts a space between two columns;
    `padded` (the screen's table) a cell of padding either side of each, and a scroll bar."""
    chosen = range(len(COLUMNS)) if width >= WIDE else NARROW
    others = [WIDTHS[i] for i in chosen if i != 0]
    if padded:
        room = width - SCROLL_BAR - 2 * len(chosen) - sum(others)
    else:
        room = width - sum(w + 1 for w in others)
    return [(i, max(room, MIN_FIRST) if i == 0 else WIDTHS[i]) for i in chosen]


def fit(text: str, width: int) -> str:
    """`text` in `width` characters: cut with an ellipsis, or padded."""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


def line_of(cells: tuple[str, ...], columns: list[tuple[int, int]]) -> str:
    return " ".join(fit(cells[i], w) for i, w in columns).rstrip()


def frame(
    model: TopModel,
    conductor: ConductorInfo | None,
    processes: Processes,
    now: float,
    *,
    size: tuple[int, int] = (80, 24),
    options: Options | None = None,
    color: bool = False,
) -> str:
    """The header, the column titles and as many rows as fit in `size` (width, height); a
    last line says how many did not."""
    width, height = size
    opts = options or Options(expanded=frozenset(_active(model)))
    head = [fit(line, width).rstrip() for line in panes.header(model, conductor, processes, now)]
    columns = columns_for(width)
    lines = [*head, "", paint(line_of(COLUMNS, columns), "bold", color)]
    shown = rows(model, opts, processes, now)
    room = max(height - len(lines), 1)
    if len(shown) > room:
        lines += [_painted(r, columns, color) for r in shown[: room - 1]]
        lines.append(f"… {len(shown) - room + 1} more row(s): a taller terminal shows them")
    else:
        lines += [_painted(r, columns, color) for r in shown]
    return "\n".join(lines)


def _painted(row: Row, columns: list[tuple[int, int]], color: bool) -> str:
    return paint(line_of(row.cells, columns), STATUS_COLORS.get(row.status), color)


def _active(model: TopModel) -> list[str]:
    """The jobs whose sheets a frame shows: those not finished."""
    finished = ("completed", "failed", "cancelled")
    return [j.job_id for j in model.jobs.values() if j.status not in finished]
