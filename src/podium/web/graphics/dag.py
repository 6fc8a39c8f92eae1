"""A job's sheets as a graph, drawn left to right as an inline SVG.

A sheet's layer is the length of its longest dependency path, so every edge points right; the
sheets of one layer (usually one movement, its voices stacked) share a column, and a layer
taller than `max_rows` wraps into several columns side by side. The whole layout is O(V+E).
Colors come from the page's CSS (`DAG_CSS`) through a `st-<status>` class on each node, so a
live page changes a sheet's color by swapping one class.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from podium.ipc.schema import SheetInfo
from podium.web.graphics.svg import (
    STATUS_COLORS,
    css_rules,
    empty_note,
    escape,
    num,
    sheet_href,
    svg_close,
    svg_open,
    token,
)

NODE_WIDTH = 136.0
NODE_HEIGHT = 40.0
COLUMN_GAP = 56.0
ROW_GAP = 10.0
MARGIN = 12.0
HEADER_HEIGHT = 22.0
MAX_ROWS = 40
"""A layer with more sheets than this wraps into further columns: the picture stays wide
rather than one very tall strip."""
LABEL_CHARS = 20


@dataclass(frozen=True, slots=True)
class NodeBox:
    """Where one sheet's box goes: its top-left corner; every box is NODE_WIDTH by NODE_HEIGHT."""

    sheet: int
    layer: int
    """The length of its longest dependency path (0: it depends on nothing)."""
    column: int
    row: int
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Header:
    column: int
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class DagLayout:
    nodes: tuple[NodeBox, ...]
    edges: tuple[tuple[int, int], ...]
    """(dependency, sheet) for each dependency on a sheet the job has; in a cycle (which a
    valid score never has) the edge that closes it is left out."""
    headers: tuple[Header, ...]
    width: float
    height: float


def layers(depends_on: Mapping[int, Sequence[int]]) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Each sheet's longest dependency path, and the edges it rests on.

    A depth-first walk without recursion (500 sheets in a chain must not hit Python's limit);
    a dependency still on the walk's path closes a cycle and is ignored, so a bad graph ends.
    Dependencies on sheets not in `depends_on` are ignored.
    """
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    kept: list[tuple[int, int]] = []
    deps = {n: [d for d in dict.fromkeys(ds) if d in depends_on] for n, ds in depends_on.items()}
    for root in sorted(deps):
        if root in depth:
            continue
        stack: list[tuple[int, Iterator[int]]] = [(root, iter(deps[root]))]
        on_path.add(root)
        while stack:
            sheet, pending = stack[-1]
            child = next((d for d in pending if d not in depth and d not in on_path), None)
            if child is not None:
                on_path.add(child)
                stack.append((child, iter(deps[child])))
                continue
            stack.pop()
            on_path.discard(sheet)
            done = [d for d in deps[sheet] if d in depth]
            depth[sheet] = 1 + max((depth[d] for d in done), default=-1)
            kept.extend((d, sheet) for d in done)
    return depth, kept


def layout_dag(sheets: Sequence[SheetInfo], max_rows: int = MAX_ROWS) -> DagLayout:
    """Place every sheet (one box per sheet number) and list the edges between them."""
    by_num = {s["num"]: s for s in sheets}
    depth, edges = layers({n: s["depends_on"] for n, s in by_num.items()})
    columns = _columns(by_num, depth, max(1, max_rows))
    tallest = max((len(c) for c in columns), default=0)
    pitch = NODE_HEIGHT + ROW_GAP
    top = MARGIN + HEADER_HEIGHT
    nodes: list[NodeBox] = []
    headers: list[Header] = []
    for c, column in enumerate(columns):
        x = MARGIN + c * (NODE_WIDTH + COLUMN_GAP)
        offset = (tallest - len(column)) * pitch / 2
        nodes.extend(
            NodeBox(n, depth[n], c, r, x, top + offset + r * pitch) for r, n in enumerate(column)
        )
        text = _header([by_num[n] for n in column])
        if not headers or headers[-1].text != text:
            headers.append(Header(c, x, text))
    width = 2 * MARGIN + max(0.0, len(columns) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP)
    height = top + max(0.0, tallest * pitch - ROW_GAP) + MARGIN
    return DagLayout(tuple(nodes), tuple(edges), tuple(headers), width, height)


def _columns(
    by_num: Mapping[int, SheetInfo], depth: Mapping[int, int], rows: int
) -> list[list[int]]:
    by_layer: dict[int, list[SheetInfo]] = {}
    for n, layer in depth.items():
        by_layer.setdefault(layer, []).append(by_num[n])
    columns: list[list[int]] = []
    for layer in sorted(by_layer):
        ordered = sorted(by_layer[layer], key=lambda s: (s["movement"], s["voice"] or 0, s["num"]))
        nums = [s["num"] for s in ordered]
        columns.extend(nums[i : i + rows] for i in range(0, len(nums), rows))
    return columns


def _header(column: Sequence[SheetInfo]) -> str:
    """'movement 2 · 3 voices', 'movements 1, 4', 'movements 2 to 9'."""
    movements = sorted({s["movement"] for s in column})
    if len(movements) == 1:
        voices = max(s["voice_count"] for s in column)
        return f"movement {movements[0]}" + (f" · {voices} voices" if voices > 1 else "")
    if len(movements) <= 3:
        return "movements " + ", ".join(map(str, movements))
    return f"movements {movements[0]} to {movements[-1]}"


def render_dag(job_id: str, sheets: Sequence[SheetInfo], max_rows: int = MAX_ROWS) -> str:
    """The job's sheets and their dependencies as inline SVG markup; each box links to the
    sheet's page. A short paragraph instead when the job has no sheets."""
    if not sheets:
        return empty_note("no sheets", "dag")
    layout = layout_dag(sheets, max_rows)
    by_num = {s["num"]: s for s in sheets}
    boxes = {b.sheet: b for b in layout.nodes}
    label = f"sheets of job {job_id} and their dependencies"
    parts = [svg_open(layout.width, layout.height, "dag", label)]
    parts.extend(
        f'<text class="movement" x="{num(h.x)}" y="{num(MARGIN + 12)}">{escape(h.text)}</text>'
        for h in layout.headers
    )
    parts.append('<g class="edges">')
    parts.extend(_edge(boxes[a], boxes[b]) for a, b in layout.edges)
    parts.append('</g><g class="nodes">')
    parts.extend(_node(job_id, by_num[b.sheet], b) for b in layout.nodes)
    parts.append("</g>")
    parts.append(svg_close())
    return "".join(parts)


def _edge(source: NodeBox, target: NodeBox) -> str:
    x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT / 2
    x2, y2 = target.x, target.y + NODE_HEIGHT / 2
    bend = num((x1 + x2) / 2)
    a, b, c, d = num(x1), num(y1), num(x2), num(y2)
    return (
        f'<path class="edge" data-from="{source.sheet}" data-to="{target.sheet}" '
        f'd="M{a} {b}C{bend} {b} {bend} {d} {c} {d}"/>'
    )


def _node(job_id: str, sheet: SheetInfo, box: NodeBox) -> str:
    n = sheet["num"]
    x, y = box.x, box.y
    return (
        f'<g class="node st-{token(sheet["status"])}" id="sheet-{n}" data-sheet="{n}">'
        f'<a href="{escape(sheet_href(job_id, n))}"><title>{escape(tooltip(sheet))}</title>'
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(NODE_WIDTH)}" '
        f'height="{num(NODE_HEIGHT)}" rx="6"/>'
        f'<text class="num" x="{num(x + 8)}" y="{num(y + 16)}">{n}</text>'
        f'<text class="label" x="{num(x + 8)}" y="{num(y + 32)}">{escape(short_label(sheet))}'
        "</text></a></g>"
    )


def short_label(sheet: SheetInfo) -> str:
    """What a box says under the sheet's number: its description cut to fit, else its movement
    and voice ('2.3'), else its movement."""
    description = " ".join((sheet["description"] or "").split())
    if description:
        cut = len(description) > LABEL_CHARS
        return description[: LABEL_CHARS - 1] + "…" if cut else description
    if sheet["voice"] is not None:
        return f"{sheet['movement']}.{sheet['voice']}"
    return f"movement {sheet['movement']}"


def tooltip(sheet: SheetInfo) -> str:
    """The box's tooltip: sheet, status, instrument, attempts k/max, movement, description."""
    instrument = sheet["instrument"] + (f" · {sheet['model']}" if sheet["model"] else "")
    where = f"movement {sheet['movement']}"
    if sheet["voice"] is not None:
        where += f", voice {sheet['voice']}/{sheet['voice_count']}"
    lines = [
        f"sheet {sheet['num']} · {sheet['status']}",
        f"instrument {instrument}",
        f"attempts {sheet['attempts']}/{sheet['max_attempts']}",
        where,
    ]
    if sheet["description"]:
        lines.append(sheet["description"])
    return "\n".join(lines)


DAG_CSS = "\n".join(
    [
        "svg.dag { font: 11px system-ui, sans-serif; }",
        "svg.dag text { fill: currentColor; }",
        "svg.dag .movement { font-weight: 600; opacity: 0.75; }",
        "svg.dag .num { font-weight: 700; }",
        "svg.dag .edge { fill: none; stroke: currentColor; stroke-opacity: 0.35; }",
        "svg.dag .node rect { fill: #868e96; fill-opacity: 0.18; stroke: #868e96;"
        " stroke-width: 1.5; }",
        "svg.dag .node a:hover rect, svg.dag .node a:focus rect { fill-opacity: 0.35; }",
        css_rules(
            "svg.dag .st-{name} rect",
            ((s.value, c) for s, c in STATUS_COLORS.items()),
            "fill: {color}; stroke: {color};",
        ),
        "svg.dag .st-pending rect { stroke-dasharray: 4 3; }",
        "svg.dag .st-running rect, svg.dag .st-validating rect { stroke-width: 3; }",
        "svg.dag .st-skipped text, svg.dag .st-cancelled text { opacity: 0.7; }",
    ]
)
"""The DAG's colors, one rule per sheet status (`st-<status>`); mid-tones with a translucent
fill and the page's own text color, so it reads on light and dark pages alike."""
