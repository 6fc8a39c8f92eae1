"""The sheet DAG: one box per sheet, one edge per dependency, every edge pointing right, no two
boxes on top of each other, markup that parses, hostile text escaped, and a cycle that ends."""

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from podium.domain.status import SheetStatus
from podium.ipc.schema import SheetInfo
from podium.web.graphics.dag import (
    DAG_CSS,
    NODE_HEIGHT,
    NODE_WIDTH,
    NodeBox,
    layers,
    layout_dag,
    render_dag,
    short_label,
)
from tests.unit.web.samples import sheet

SVG = "{http://www.w3.org/2000/svg}"


def nodes_of(markup: str) -> list[ET.Element]:
    root = ET.fromstring(markup)
    return [g for g in root.iter(f"{SVG}g") if "node" in g.get("class", "").split()]


def edges_of(markup: str) -> set[tuple[int, int]]:
    root = ET.fromstring(markup)
    return {
        (int(p.get("data-from", "")), int(p.get("data-to", "")))
        for p in root.iter(f"{SVG}path")
        if p.get("class") == "edge"
    }


@st.composite
def acyclic_jobs(draw: st.DrawFn) -> list[SheetInfo]:
    """1..60 sheets, each depending on some earlier ones (and perhaps on a sheet that does not
    exist), in a shuffled order."""
    count = draw(st.integers(1, 60))
    sheets = []
    for n in range(1, count + 1):
        earlier = st.lists(st.integers(1, n - 1), max_size=4) if n > 1 else st.just([])
        missing = draw(st.lists(st.integers(count + 1, count + 5), max_size=1))
        sheets.append(sheet(n, draw(earlier) + missing, movement=draw(st.integers(1, 5))))
    return draw(st.permutations(sheets))


def overlap(a: NodeBox, b: NodeBox) -> bool:
    return (
        a.x < b.x + NODE_WIDTH
        and b.x < a.x + NODE_WIDTH
        and a.y < b.y + NODE_HEIGHT
        and b.y < a.y + NODE_HEIGHT
    )


@given(acyclic_jobs(), st.integers(1, 50))
def test_one_box_per_sheet_and_one_edge_per_dependency_that_exists(
    sheets: list[SheetInfo], max_rows: int
) -> None:
    markup = render_dag("job", sheets, max_rows)
    assert sorted(int(g.get("data-sheet", "")) for g in nodes_of(markup)) == sorted(
        s["num"] for s in sheets
    )
    nums = {s["num"] for s in sheets}
    wanted = {(d, s["num"]) for s in sheets for d in s["depends_on"] if d in nums}
    assert edges_of(markup) == wanted


@given(acyclic_jobs(), st.integers(1, 50))
def test_every_edge_points_right_and_no_boxes_overlap(
    sheets: list[SheetInfo], max_rows: int
) -> None:
    layout = layout_dag(sheets, max_rows)
    boxes = {b.sheet: b for b in layout.nodes}
    for source, target in layout.edges:
        assert boxes[source].layer < boxes[target].layer
        assert boxes[source].x + NODE_WIDTH < boxes[target].x
    placed = sorted(layout.nodes, key=lambda b: (b.x, b.y))
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            if b.x >= a.x + NODE_WIDTH:
                break
            assert not overlap(a, b), (a, b)
    assert all(
        b.x + NODE_WIDTH <= layout.width and b.y + NODE_HEIGHT <= layout.height for b in placed
    )


def test_a_sheets_layer_is_its_longest_dependency_path() -> None:
    depth, _ = layers({1: [], 2: [1], 3: [1], 4: [2, 3], 5: [1, 4], 6: []})
    assert depth == {1: 0, 2: 1, 3: 1, 4: 2, 5: 3, 6: 0}


def test_a_cycle_ends_and_leaves_out_the_edge_that_closes_it() -> None:
    # The walk starts at sheet 1 and finds 1 -> 3 -> 2 -> 1: sheet 2's dependency on 1 closes
    # the cycle; 4's dependency on itself is one too.
    depth, kept = layers({1: [3], 2: [1], 3: [2], 4: [4, 2]})
    assert depth == {2: 0, 3: 1, 1: 2, 4: 1}
    assert sorted(kept) == [(2, 3), (2, 4), (3, 1)]
    assert all(depth[a] < depth[b] for a, b in kept)


@given(st.dictionaries(st.integers(1, 30), st.lists(st.integers(1, 30), max_size=5), min_size=1))
def test_any_graph_even_with_cycles_is_laid_out_with_edges_pointing_right(
    graph: dict[int, list[int]],
) -> None:
    sheets = [sheet(n, deps) for n, deps in graph.items()]
    layout = layout_dag(sheets)
    boxes = {b.sheet: b for b in layout.nodes}
    assert set(boxes) == set(graph)
    assert all(boxes[a].x < boxes[b].x for a, b in layout.edges)
    ET.fromstring(render_dag("job", sheets))


def test_a_long_chain_needs_no_recursion() -> None:
    depth, kept = layers({n: [n - 1] if n > 1 else [] for n in range(1, 5001)})
    assert depth[5000] == 4999
    assert len(kept) == 4999


def test_a_fanned_out_movement_shares_a_column_under_its_header() -> None:
    sheets = [
        sheet(1, movement=1),
        *(sheet(n, [1], movement=2, voice=n - 1, voice_count=3) for n in (2, 3, 4)),
        sheet(5, [2, 3, 4], movement=3),
    ]
    layout = layout_dag(sheets)
    columns = {b.sheet: b.column for b in layout.nodes}
    assert columns == {1: 0, 2: 1, 3: 1, 4: 1, 5: 2}
    assert [h.text for h in layout.headers] == ["movement 1", "movement 2 · 3 voices", "movement 3"]
    markup = render_dag("job", sheets)
    headers = [
        t.text for t in ET.fromstring(markup).iter(f"{SVG}text") if t.get("class") == "movement"
    ]
    assert headers == ["movement 1", "movement 2 · 3 voices", "movement 3"]


def test_a_tall_layer_wraps_into_columns_of_at_most_max_rows() -> None:
    layout = layout_dag([sheet(n, movement=1) for n in range(1, 101)], max_rows=40)
    sizes: dict[int, int] = {}
    for b in layout.nodes:
        sizes[b.column] = sizes.get(b.column, 0) + 1
    assert sizes == {0: 40, 1: 40, 2: 20}
    assert [h.column for h in layout.headers] == [0]


def test_columns_of_several_movements_name_them() -> None:
    few = layout_dag([sheet(1, movement=1), sheet(2, movement=4)])
    many = layout_dag([sheet(n, movement=n) for n in range(1, 6)])
    assert [h.text for h in few.headers] == ["movements 1, 4"]
    assert [h.text for h in many.headers] == ["movements 1 to 5"]


def test_hostile_text_is_escaped_in_text_attributes_and_links() -> None:
    hostile = "<script>alert('x')</script> & \"quoted\""
    job_id = 'job"><script>&amp;'
    markup = render_dag(job_id, [sheet(1, description=hostile, status='x" onload="y')])
    root = ET.fromstring(markup)
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
    (node,) = nodes_of(markup)
    assert node.get("onload") is None
    assert node.get("class") == "node st-x-onload-y"
    link = node.find(f"{SVG}a")
    assert link is not None
    assert link.get("href") == "/jobs/job%22%3E%3Cscript%3E%26amp%3B/sheets/1"
    title = link.find(f"{SVG}title")
    assert title is not None and title.text is not None and title.text.endswith(hostile)
    assert root.get("aria-label") == f"sheets of job {job_id} and their dependencies"


def test_each_box_carries_its_status_link_and_tooltip() -> None:
    s = sheet(7, status="awaiting_approval", description="write the report")
    (node,) = nodes_of(render_dag("my job", [s]))
    assert node.get("class") == "node st-awaiting_approval"
    assert node.get("id") == "sheet-7"
    link = node.find(f"{SVG}a")
    assert link is not None and link.get("href") == "/jobs/my%20job/sheets/7"
    title = link.find(f"{SVG}title")
    assert title is not None
    assert title.text == (
        "sheet 7 · awaiting_approval\ninstrument claude-code\nattempts 1/3\nmovement 7\n"
        "write the report"
    )


def test_a_box_says_its_description_cut_to_fit_or_its_movement_and_voice() -> None:
    assert short_label(sheet(1, description="  plan\n the   work ")) == "plan the work"
    assert short_label(sheet(1, description="x" * 40)) == "x" * 19 + "…"
    assert short_label(sheet(3, movement=2, voice=2, voice_count=3)) == "2.2"
    assert short_label(sheet(3, movement=2)) == "movement 2"


def test_no_sheets_is_a_short_paragraph() -> None:
    assert render_dag("job", []) == '<p class="graphic-empty dag">no sheets</p>'


def test_the_css_colors_every_sheet_status() -> None:
    for status in SheetStatus:
        assert f"svg.dag .st-{status.value} rect {{" in DAG_CSS


@given(st.text(), st.text(), st.text())
def test_any_job_id_description_and_status_make_markup_that_parses(
    job_id: str, description: str, status: str
) -> None:
    markup = render_dag(job_id, [sheet(1, description=description, status=status), sheet(2, [1])])
    root = ET.fromstring(markup)
    assert len(nodes_of(markup)) == 2
    assert not list(root.iter(f"{SVG}script"))
