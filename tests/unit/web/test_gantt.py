"""The attempts' timeline: one bar per attempt, one wait bar per gap between a sheet's attempts
(rate-limit or retry), a running attempt drawn to `now`, a readable axis, nothing to draw said
in words."""

import xml.etree.ElementTree as ET
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from podium.domain.outcome import AttemptOutcome
from podium.ipc.schema import AttemptDetailInfo
from podium.web.graphics.gantt import GANTT_CSS, layout_gantt, render_gantt
from podium.web.graphics.svg import TIME_STEPS
from tests.unit.web.samples import T0, attempt

SVG = "{http://www.w3.org/2000/svg}"


def rects(markup: str) -> list[ET.Element]:
    return list(ET.fromstring(markup).iter(f"{SVG}rect"))


def retried() -> list[AttemptDetailInfo]:
    """Sheet 2 hits a rate limit, fails, then runs; sheet 1 succeeds at once."""
    return [
        attempt(2, 1, T0 + 10, T0 + 70, outcome="rate_limited", error_type="rate_limit"),
        attempt(2, 2, T0 + 370, T0 + 400, outcome="failed", error_type="transient"),
        attempt(2, 3, T0 + 460, None, outcome="running"),
        attempt(1, 1, T0, T0 + 50),
    ]


def test_one_bar_per_attempt_with_its_outcome_class() -> None:
    markup = render_gantt("job", retried(), now=T0 + 600)
    bars = [r for r in rects(markup) if r.get("data-attempt")]
    assert sorted((r.get("data-sheet"), r.get("data-attempt"), r.get("class")) for r in bars) == [
        ("1", "1", "attempt out-succeeded"),
        ("2", "1", "attempt out-rate_limited"),
        ("2", "2", "attempt out-failed"),
        ("2", "3", "attempt out-running running"),
    ]


def test_a_wait_follows_each_gap_and_says_what_it_waited_for() -> None:
    layout = layout_gantt(retried(), now=T0 + 600)
    waits = [(b.sheet, b.attempt, b.classes, b.start, b.end) for b in layout.bars if b.wait]
    assert waits == [
        (2, 1, "wait rate-limit", T0 + 70, T0 + 370),
        (2, 2, "wait retry", T0 + 400, T0 + 460),
    ]
    markup = render_gantt("job", retried(), now=T0 + 600)
    assert [r.get("class") for r in rects(markup) if r.get("data-after")] == [
        "wait rate-limit",
        "wait retry",
    ]


def test_attempts_back_to_back_have_no_wait_between_them() -> None:
    back_to_back = [attempt(1, 1, T0, T0 + 10), attempt(1, 2, T0 + 10, T0 + 20)]
    assert not [b for b in layout_gantt(back_to_back, now=T0 + 30).bars if b.wait]


def test_a_running_attempt_ends_at_now() -> None:
    layout = layout_gantt(retried(), now=T0 + 600)
    (running,) = [b for b in layout.bars if "running" in b.classes.split()]
    assert (running.start, running.end) == (T0 + 460, T0 + 600)
    assert running.title.endswith("running for 2m20s · claude-code")
    assert layout.end == T0 + 600


def test_rows_are_the_sheets_with_attempts_by_number_linking_to_their_page() -> None:
    markup = render_gantt("a/b", retried(), now=T0 + 600)
    links = [a.get("href") for a in ET.fromstring(markup).iter(f"{SVG}a")]
    assert links == ["/jobs/a%2Fb/sheets/1", "/jobs/a%2Fb/sheets/2"]
    assert layout_gantt(retried(), now=T0 + 600).sheets == (1, 2)


def test_the_axis_ticks_are_round_steps_from_the_start() -> None:
    markup = render_gantt("job", retried(), now=T0 + 600)
    labels = [t.text for t in ET.fromstring(markup).iter(f"{SVG}text") if t.get("class") == "tick"]
    assert labels == ["0", "2m", "4m", "6m", "8m", "10m"]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[AttemptDetailInfo], float]:
    """A few sheets with 1-4 attempts each, the last perhaps still running."""
    found = []
    now = T0
    for sheet in range(1, draw(st.integers(1, 8)) + 1):
        at = T0 + draw(st.floats(0, 1000))
        count = draw(st.integers(1, 4))
        for k in range(1, count + 1):
            took = draw(st.floats(0, 5000))
            running = k == count and draw(st.booleans())
            end = None if running else at + took
            kind = draw(st.sampled_from([None, "rate_limit", "transient", "permanent"]))
            found.append(attempt(sheet, k, at, end, error_type=kind))
            now = max(now, at + took)
            at += took + draw(st.sampled_from([0.0, 1.0, 600.0]))
    return draw(st.permutations(found)), now


@given(histories())
def test_bars_and_waits_add_up_and_stay_on_the_axis(
    history: tuple[list[AttemptDetailInfo], float],
) -> None:
    attempts, now = history
    layout = layout_gantt(attempts, now)
    by_sheet: dict[int, list[AttemptDetailInfo]] = {}
    for a in attempts:
        by_sheet.setdefault(a["sheet"], []).append(a)
    gaps = 0
    for found in by_sheet.values():
        found.sort(key=lambda a: a["attempt"])
        gaps += sum(1 for a, b in pairwise(found) if (a["ended_at"] or 0) < b["started_at"])
    assert len([b for b in layout.bars if not b.wait]) == len(attempts)
    assert len([b for b in layout.bars if b.wait]) == gaps
    assert all(layout.start <= b.start <= b.end <= layout.end for b in layout.bars)
    assert layout.step in TIME_STEPS
    assert (layout.end - layout.start) / layout.step <= 8 or layout.step == TIME_STEPS[-1]
    ET.fromstring(render_gantt("job", attempts, now))


def test_hostile_job_ids_and_error_codes_are_escaped() -> None:
    job_id = "<script>&\"'"
    markup = render_gantt(
        job_id, [attempt(1, 1, T0, T0 + 5, outcome="failed", error_code="<b>&")], now=T0 + 9
    )
    root = ET.fromstring(markup)
    assert not list(root.iter(f"{SVG}script"))
    assert root.get("aria-label") == f"attempts of job {job_id} over time"
    (bar,) = rects(markup)
    title = bar.find(f"{SVG}title")
    assert (
        title is not None and title.text == "sheet 1 · attempt 1: failed (<b>&)\n5.0s · claude-code"
    )


def test_no_attempts_is_a_short_paragraph() -> None:
    assert render_gantt("job", [], now=T0) == '<p class="graphic-empty gantt">no attempts yet</p>'


def test_the_css_colors_every_outcome_and_both_waits() -> None:
    for outcome in AttemptOutcome:
        assert f"svg.gantt .out-{outcome.value} {{" in GANTT_CSS
    assert "svg.gantt .wait.retry {" in GANTT_CSS
    assert "svg.gantt .wait.rate-limit {" in GANTT_CSS
