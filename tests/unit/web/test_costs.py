"""Cost totals add up whichever way they are cut, an estimate anywhere marks its group, and a
missing cost is counted, never taken for zero; the chart draws what was spent over time."""

import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.ipc.schema import AttemptDetailInfo
from podium.web.graphics.cost_chart import CHART_CSS, COLORS, cost_series, render_cost_chart
from podium.web.graphics.costs import by_job, series_label, summarize, total
from tests.unit.web.samples import T0, attempt

SVG = "{http://www.w3.org/2000/svg}"

attempts_strategy = st.lists(
    st.builds(
        lambda sheet, n, instrument, model, cost, estimated, tokens, took: attempt(
            sheet,
            n,
            T0 + n * 10,
            None if took is None else T0 + n * 10 + took,
            instrument=instrument,
            model=model,
            cost=cost,
            estimated=estimated,
            tokens=tokens,
        ),
        st.integers(1, 6),
        st.integers(1, 40),
        st.sampled_from(["claude-code", "codex-cli", None]),
        st.sampled_from(["opus", "sonnet", None]),
        st.one_of(st.none(), st.floats(0, 5, allow_nan=False)),
        st.booleans(),
        st.tuples(
            st.one_of(st.none(), st.integers(0, 10**6)), st.one_of(st.none(), st.integers(0, 10**6))
        ),
        st.one_of(st.none(), st.floats(0, 600)),
    ),
    max_size=40,
)


@given(attempts_strategy)
def test_every_breakdown_adds_up_to_the_total(attempts: list[AttemptDetailInfo]) -> None:
    summary = summarize("job", attempts)
    assert summary.total.attempts == len(attempts)
    assert math.isclose(summary.total.cost, sum(a["cost"] or 0.0 for a in attempts), abs_tol=1e-9)
    assert summary.total.unpriced == sum(1 for a in attempts if a["cost"] is None)
    for rows in (summary.by_sheet, summary.by_instrument, summary.by_model):
        assert sum(r.attempts for r in rows) == summary.total.attempts
        assert sum(r.input_tokens for r in rows) == summary.total.input_tokens
        assert sum(r.output_tokens for r in rows) == summary.total.output_tokens
        assert sum(r.unpriced for r in rows) == summary.total.unpriced
        assert math.isclose(sum(r.cost for r in rows), summary.total.cost, abs_tol=1e-9)
        assert [r.cost for r in rows] == sorted((r.cost for r in rows), reverse=True)
        assert len({r.key for r in rows}) == len(rows)


@given(attempts_strategy)
def test_an_estimated_cost_marks_every_group_it_is_in(attempts: list[AttemptDetailInfo]) -> None:
    summary = summarize("job", attempts)

    def estimated(group: list[AttemptDetailInfo]) -> bool:
        return any(a["cost_estimated"] and a["cost"] is not None for a in group)

    assert summary.total.estimated == estimated(attempts)
    for row in summary.by_sheet:
        assert row.estimated == estimated([a for a in attempts if a["sheet"] == row.key])
    for model_row in summary.by_model:
        group = [a for a in attempts if (a["instrument"], a["model"]) == model_row.key]
        assert model_row.estimated == estimated(group)


def test_a_missing_cost_is_counted_but_adds_no_money() -> None:
    row = total(
        "job",
        [
            attempt(1, 1, T0, T0 + 1, cost=None, estimated=True, tokens=(100, None)),
            attempt(1, 2, T0, T0 + 1, cost=0.25, tokens=(10, 5)),
        ],
    )
    assert (row.attempts, row.input_tokens, row.output_tokens) == (2, 110, 5)
    assert (row.cost, row.estimated, row.unpriced) == (0.25, False, 1)


def test_jobs_are_listed_by_cost() -> None:
    rows = by_job(
        {
            "cheap": [attempt(1, 1, T0, T0 + 1, cost=0.1)],
            "dear": [attempt(1, 1, T0, T0 + 1, cost=2.0, estimated=True)],
            "idle": [],
        }
    )
    assert [(r.key, r.cost, r.estimated) for r in rows] == [
        ("dear", 2.0, True),
        ("cheap", 0.1, False),
        ("idle", 0.0, False),
    ]


def test_a_series_is_named_by_its_instrument_and_model() -> None:
    assert series_label(("claude-code", "opus")) == "claude-code · opus"
    assert series_label(("claude-code", None)) == "claude-code"
    assert series_label((None, None)) == "unknown instrument"


@given(attempts_strategy)
def test_each_series_ends_at_what_its_ended_attempts_cost(
    attempts: list[AttemptDetailInfo],
) -> None:
    series = cost_series(attempts)
    priced = [a for a in attempts if a["cost"] is not None and a["ended_at"] is not None]
    assert sum(len(s.steps) for s in series) == len(priced)
    for line in series:
        group = [a for a in priced if (a["instrument"], a["model"]) == line.key]
        assert math.isclose(line.total, sum(a["cost"] or 0.0 for a in group), abs_tol=1e-9)
        assert [s.at for s in line.steps] == sorted(s.at for s in line.steps)
    markup = render_cost_chart(attempts, now=T0 + 1000)
    if series:
        root = ET.fromstring(markup)
        legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"]
        assert len(list(legend[0].iter(f"{SVG}text"))) == len(series)
    else:
        assert markup == '<p class="graphic-empty costs">no cost recorded yet</p>'


def paths(markup: str) -> list[ET.Element]:
    return list(ET.fromstring(markup).iter(f"{SVG}path"))


def test_one_attempt_draws_one_solid_step() -> None:
    markup = render_cost_chart([attempt(1, 1, T0, T0 + 60, cost=0.5)])
    (line,) = paths(markup)
    assert line.get("class") == "series s-0"
    assert line.get("d", "").count("L") == 3
    title = line.find(f"{SVG}title")
    assert title is not None and title.text == "claude-code: $0.5000"


def test_a_line_is_dashed_from_its_first_estimated_cost_on() -> None:
    markup = render_cost_chart(
        [
            attempt(1, 1, T0, T0 + 60, cost=0.5),
            attempt(1, 2, T0 + 60, T0 + 120, cost=0.5, estimated=True),
            attempt(1, 3, T0 + 120, T0 + 180, cost=0.5),
        ]
    )
    solid, dashed = paths(markup)
    assert solid.get("class") == "series s-0"
    assert dashed.get("class") == "series s-0 estimated"
    solid_points = solid.get("d", "").removeprefix("M").split(" L")
    dashed_points = dashed.get("d", "").removeprefix("M").split(" L")
    assert solid_points[-1] == dashed_points[0]
    assert (len(solid_points), len(dashed_points)) == (4, 5)
    texts = [t.text for t in ET.fromstring(markup).iter(f"{SVG}text")]
    assert "claude-code: $1.5000 (partly estimated)" in texts


def test_hostile_instrument_names_are_escaped() -> None:
    markup = render_cost_chart(
        [attempt(1, 1, T0, T0 + 60, cost=0.5, instrument="<script>&", model='"x"')]
    )
    root = ET.fromstring(markup)
    assert not list(root.iter(f"{SVG}script"))
    assert '<script>& · "x": $0.5000' in [t.text for t in root.iter(f"{SVG}text")]


def test_the_money_axis_counts_in_round_steps() -> None:
    markup = render_cost_chart([attempt(1, 1, T0, T0 + 60, cost=0.37)])
    labels = [t.text for t in ET.fromstring(markup).iter(f"{SVG}text") if t.get("class") == "money"]
    assert labels == ["$0.00", "$0.10", "$0.20", "$0.30", "$0.40"]


@pytest.mark.parametrize(
    ("cost", "top"), [(0.0, "$0.010"), (5e-324, "$0.000001"), (1e-9, "$0.000001")]
)
def test_a_zero_or_vanishing_cost_still_has_an_axis(cost: float, top: str) -> None:
    markup = render_cost_chart([attempt(1, 1, T0, T0, cost=cost)])
    labels = [t.text for t in ET.fromstring(markup).iter(f"{SVG}text") if t.get("class") == "money"]
    assert labels[-1] == top


def test_running_attempts_and_missing_costs_draw_nothing() -> None:
    nothing = [attempt(1, 1, T0, None, cost=0.5), attempt(2, 1, T0, T0 + 5, cost=None)]
    assert render_cost_chart(nothing) == '<p class="graphic-empty costs">no cost recorded yet</p>'


def test_the_css_colors_every_series_class() -> None:
    for i in range(COLORS):
        assert f"svg.costs .s-{i} {{" in CHART_CSS
