"""Fan-out expansion: the patterns, and invariants over random scores."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from podium.domain.ids import SheetNum
from podium.domain.plan import find_cycle
from podium.score.compiled import compile_score
from podium.score.diagnostics import ScoreError
from podium.score.fanout import expand


def deps_of(sheets: list) -> dict[int, tuple[int, ...]]:  # type: ignore[type-arg]
    return {s.num: s.depends_on for s in sheets}


def test_one_to_many_many_to_one_many_to_many_and_all_to_all() -> None:
    sheets = expand(5, {2: 2, 3: 2, 4: 3}, {2: [1], 3: [2], 4: [3], 5: [4]})
    assert deps_of(sheets) == {
        1: (),
        2: (1,),
        3: (1,),  # 1 → N
        4: (2,),
        5: (3,),  # N → N, instance to instance
        6: (4, 5),
        7: (4, 5),
        8: (4, 5),  # N → M, all to all
        9: (6, 7, 8),  # N → 1, fan-in
    }
    assert [(s.stage, s.voice, s.fan_count) for s in sheets[:3]] == [
        (1, None, 1),
        (2, 1, 2),
        (2, 2, 2),
    ]


def test_without_dependencies_stages_form_a_chain() -> None:
    sheets = expand(3, {2: 2}, {})
    assert deps_of(sheets) == {1: (), 2: (1,), 3: (1,), 4: (2, 3)}


@st.composite
def stage_graphs(draw: st.DrawFn) -> tuple[int, dict[int, int], dict[int, list[int]]]:
    stages = draw(st.integers(1, 8))
    fan_out = draw(st.dictionaries(st.integers(1, stages), st.integers(1, 5), max_size=stages))
    deps = (
        {
            s: draw(st.lists(st.integers(1, s - 1), max_size=3, unique=True))
            for s in range(2, stages + 1)
        }
        if draw(st.booleans())
        else {}
    )
    return stages, fan_out, deps


@given(stage_graphs())
def test_expansion_keeps_every_stage_and_never_creates_a_cycle(
    graph: tuple[int, dict[int, int], dict[int, list[int]]],
) -> None:
    stages, fan_out, deps = graph
    sheets = expand(stages, fan_out, deps)
    assert len(sheets) == sum(fan_out.get(s, 1) for s in range(1, stages + 1))
    assert [s.num for s in sheets] == list(range(1, len(sheets) + 1))
    by_num = {s.num: s for s in sheets}
    for sheet in sheets:
        assert all(1 <= d < sheet.num for d in sheet.depends_on)
        for dep in sheet.depends_on:
            source_stage = by_num[dep].stage
            declared = deps.get(sheet.stage) if deps else [sheet.stage - 1]
            assert source_stage in (declared or [])
    graph_deps = {SheetNum(s.num): [SheetNum(d) for d in s.depends_on] for s in sheets}
    assert find_cycle(graph_deps) is None
    for stage in range(1, stages + 1):
        count = fan_out.get(stage, 1)
        mine = [s for s in sheets if s.stage == stage]
        assert [s.instance for s in mine] == list(range(1, count + 1))


@st.composite
def any_sheet_block(draw: st.DrawFn) -> str:
    """A sheet block with any fan-out and any dependencies: forward, self, cyclic, out of range."""
    stages = draw(st.integers(1, 6))
    fan_out = draw(st.dictionaries(st.integers(1, stages + 1), st.integers(1, 4), max_size=3))
    deps = draw(
        st.dictionaries(
            st.integers(1, stages + 1), st.lists(st.integers(1, stages + 1), max_size=3), max_size=4
        )
    )
    return (
        f"sheet: {{size: 1, total_items: {stages}, fan_out: {fan_out or {}}, "
        f"dependencies: {deps or {}}}}"
    )


@given(any_sheet_block())
def test_any_sheet_block_either_plans_soundly_or_is_refused_with_a_location(block: str) -> None:
    text = f"name: f\ninstrument: cli\n{block}\nprompt: {{template: x}}\n"
    try:
        score = compile_score(text, Path("/s/f.yaml"))
    except ScoreError as exc:
        assert all(d.line == 3 and d.path.startswith("sheet.") for d in exc.diagnostics), exc
        return
    nums = [s.num for s in score.plan.sheets]
    assert nums == list(range(1, len(nums) + 1))
    assert all(1 <= d <= len(nums) and d != s.num for s in score.plan.sheets for d in s.depends_on)
    graph = {s.num: list(s.depends_on) for s in score.plan.sheets}
    assert find_cycle(graph) is None
