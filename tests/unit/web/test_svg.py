"""The pictures' shared pieces: escaping, class names from the conductor's words, labels and
tick steps; and the pictures stay a client's code (no runtime, store or engine imported)."""

import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.domain.outcome import AttemptOutcome
from podium.domain.status import SheetStatus
from podium.web.graphics.svg import (
    OUTCOME_COLORS,
    STATUS_COLORS,
    TIME_STEPS,
    elapsed,
    empty_note,
    escape,
    money_step,
    num,
    step_for,
    svg_open,
    ticks,
    token,
)


def test_escape_leaves_no_markup_and_no_open_quote() -> None:
    assert (
        escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    )


@given(st.text().map(lambda t: t.replace("\r", "")))
def test_any_text_survives_an_attribute_and_an_element(text: str) -> None:
    element = ET.fromstring(f'<t a="{escape(text)}">{escape(text)}</t>')
    kept = "".join(c for c in text if c in "\t\n" or " " <= c <= "\ufffd" or c > "\uffff")
    assert element.text == (kept or None)
    assert element.get("a") == kept.replace("\t", " ").replace("\n", " ")


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("completed", "completed"),
        ("awaiting_approval", "awaiting_approval"),
        ("Rate Limited", "rate-limited"),
        ('x" onclick="y', "x-onclick-y"),
        ("", "unknown"),
    ],
)
def test_a_token_is_one_safe_class_name(text: str, wanted: str) -> None:
    assert token(text) == wanted


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (0, "0"),
        (0.4, "0"),
        (30, "30s"),
        (300, "5m"),
        (90, "1m30s"),
        (5400, "1h30m"),
        (90061, "1d1h"),
    ],
)
def test_elapsed_labels_are_short(seconds: float, label: str) -> None:
    assert elapsed(seconds) == label


def test_coordinates_have_at_most_one_decimal() -> None:
    assert [num(12.0), num(12.25), num(-3.04)] == ["12", "12.2", "-3"]


@given(st.floats(0.001, 10**8))
def test_a_time_step_cuts_a_span_into_few_round_parts(span: float) -> None:
    step = step_for(span, 8)
    assert step in TIME_STEPS
    smaller = [s for s in TIME_STEPS if s < step]
    assert span / step <= 8 or step == TIME_STEPS[-1]
    assert all(span / s > 8 for s in smaller)


@given(st.floats(0.0001, 10**6))
def test_a_money_step_is_the_smallest_one_two_or_five_times_a_power_of_ten(span: float) -> None:
    step = money_step(span, 5)
    power = 10 ** math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / power, 6)
    assert mantissa in (1.0, 2.0, 5.0)
    assert span / step <= 5
    smaller = {1.0: step / 2, 2.0: step / 2, 5.0: step / 2.5}[mantissa]
    assert span / smaller > 5


def test_ticks_are_the_step_multiples_within_the_range() -> None:
    assert ticks(0, 10, 5) == [0, 5, 10]
    assert ticks(3, 17, 5) == [5, 10, 15]
    assert ticks(100, 130, 10, origin=100) == [100, 110, 120, 130]


def test_the_svg_scales_with_the_page_within_bounds() -> None:
    root = ET.fromstring(svg_open(300, 100, "dag", "a <label>") + "</svg>")
    assert root.get("viewBox") == "0 0 300 100"
    assert root.get("width") == "100%"
    assert root.get("style") == "max-width:300px;min-width:180px"
    assert root.get("aria-label") == "a <label>"


def test_nothing_to_draw_is_said_in_words() -> None:
    assert empty_note("no <data>", "x") == '<p class="graphic-empty x">no &lt;data&gt;</p>'


def test_every_status_and_outcome_has_a_color() -> None:
    assert set(STATUS_COLORS) == set(SheetStatus)
    assert set(OUTCOME_COLORS) == set(AttemptOutcome)


def test_the_pictures_import_nothing_of_the_conductor() -> None:
    code = (
        "import sys, podium.web.graphics\n"
        "heavy = ('podium.runtime', 'podium.store', 'podium.domain.engine', 'podium.conductor',"
        " 'starlette', 'textual')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
