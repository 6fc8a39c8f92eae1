"""Prompt templates render as Jinja renders them, within bounds of size, loops and time."""

from pathlib import Path
from typing import Any

import jinja2.sandbox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.score import template_limits
from podium.score.compiled import compile_score
from podium.score.diagnostics import ScoreError
from podium.score.template import TemplateProblem, compile_template, render
from podium.score.template_limits import TEXT_MAX_CHARS, TemplateLimit, check_binop, weight


def _render(source: str, **variables: Any) -> str:
    return render(compile_template(source), dict(variables.items()))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 'ab' * 3 }}|{{ 3 * 'ab' }}|{{ [1] * 2 }}|{{ 6 * 7 }}|{{ 2 ** 10 }}", None),
        ("{{ '%-4s|%03d' % ('a', 7) }}|{{ '%s' % 'x' }}|{{ 7 % 3 }}", "a   |007|x|1"),
        ("{{ '{:>5}|{:.2f}'.format('a', 1.5) }}|{{ 'x'.center(5) }}|{{ 'a' + 'b' }}", None),
        (
            "{{ 'ab'.translate({97: 'xy'}) }}|{{ 'a'.encode().center(3) }}|{{ 'a	b'.expandtabs(2) }}",
            None,
        ),
        ("{{ items | map('upper') | join(', ') }}", "A, B"),
        ("{{ ', '.join(items | map('upper')) }}", "A, B"),
        ("{{ items | select('ne', 'b') | join }}", "a"),
        ("{% for i in items %}{{ loop.index }}{{ i }}{% endfor %}", "1a2b"),
        ("{{ 'x\ny' | indent(2, first=True) }}|{{ 'a b c' | wordwrap(3) }}", None),
        (
            "{% set ns = namespace(s='') %}{% for i in range(3) %}{% set ns.s = ns.s ~ i %}"
            "{% endfor %}{{ ns.s }}",
            "012",
        ),
        (
            "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(1) }}{% set b %}in{% endset %}{{ b }}",
            "<1>in",
        ),
        ("{{ range(3) | batch(2, 0) | list }}|{{ [1, 2, 3] | slice(2) | list }}", None),
    ],
)
def test_ordinary_templates_render_as_jinja_renders_them(source: str, expected: str | None) -> None:
    plain = jinja2.sandbox.SandboxedEnvironment().from_string(source).render(items=["a", "b"])
    assert _render(source, items=["a", "b"]) == plain
    if expected is not None:
        assert plain == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'y' * 10**9 }}",
        "{{ 10**9 * 'y' }}",
        "{{ ['y'] * 10**9 }}",
        "{{ 'y' | center(10**9) }}",
        "{{ 'y'.ljust(10**9) }}",
        "{{ 'y'.zfill(10**9) }}",
        "{{ ('\t' * 1000).expandtabs(10**6) }}",
        "{{ ('y' * 4000000).replace('y', 'yy') }}",
        "{{ 'x' | replace('', 'y' * 4000000) }}",
        "{{ 'yyyy'.translate({121: 'y' * 4000000}) }}",
        "{{ 'y'.encode().center(10**9) }}",
        "{{ ('y' * 4000000).encode().replace('y'.encode(), 'yy'.encode()) }}",
        "{{ '{:>1000000000}'.format(1) }}",
        "{{ '{:{}}'.format(1, 10**9) }}",
        "{{ '%1000000000s' % 'x' }}",
        "{{ '%*s' % (10**9, 'x') }}",
        "{{ '%.1000000000f' | format(1.0) }}",
        "{{ ('x\n' * 1000) | indent(100000) }}",
        "{{ [1, 2] | slice(10**9) | list }}",
        "{{ [1] | batch(10**9, 'y') | list }}",
        "{{ {'a': 1} | tojson(indent=10**9) }}",
        "{{ (['y' * 1000000] * 5) | join }}",
        "{{ lipsum(10**6) }}",
        "{% set ns = namespace(s='y') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "{% set l = [] %}{% for i in range(10) %}{{ l.append('y' * 1000000) }}{% endfor %}",
        "{% for i in range(5000) %}{{ 'y' * 1000 }}{% endfor %}",
        "{% set b %}{% for i in range(5000) %}{{ 'y' * 1000 }}{% endfor %}{% endset %}",
    ],
)
def test_a_template_that_would_make_too_much_text_is_refused(source: str) -> None:
    with pytest.raises(TemplateProblem, match="makes more than 4 MiB of text"):
        _render(source)


def test_loops_are_counted_across_nesting_and_macros(monkeypatch: pytest.MonkeyPatch) -> None:
    # A million iterations take a second or two; on a loaded machine longer than the time
    # limit, which is not what this test is about.
    monkeypatch.setattr(template_limits, "RENDER_SECONDS", 600.0)
    with pytest.raises(TemplateProblem, match="runs more than 1,000,000 loop iterations"):
        _render(
            "{% macro inner() %}{% for b in range(1000) %}{% endfor %}{% endmacro %}"
            "{% for a in range(2000) %}{{ inner() }}{% endfor %}"
        )


def test_a_render_that_takes_too_long_is_stopped() -> None:
    with pytest.raises(TemplateProblem, match="takes more than 5 seconds to render"):
        _render(
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(40) }}"
        )


def test_a_refusal_names_the_line_of_the_template() -> None:
    with pytest.raises(TemplateProblem) as refused:
        _render("line one\n\n{{ 'y' * 10**9 }}")
    assert refused.value.line == 3


def test_a_constant_bomb_is_not_computed_when_the_template_is_compiled() -> None:
    template = compile_template("{{ 'y' * 10000000000 }}{{ 'y' | center(10000000000) }}")
    with pytest.raises(TemplateProblem):
        render(template, {})


def test_a_huge_power_is_refused() -> None:
    with pytest.raises(TemplateLimit, match="a number of more than"):
        check_binop("**", 10, 10**7)


@given(st.lists(st.text(max_size=20), max_size=20), st.integers(0, 50))
def test_the_weight_of_a_repeated_list_counts_every_reference(items: list[str], times: int) -> None:
    single = weight(items)
    assert single == len(items) + sum(len(s) for s in items)
    assert weight([items] * times) == times + times * single


def test_weight_stops_counting_past_the_limit() -> None:
    huge = [["y" * 1000] * 1000] * 1000
    assert TEXT_MAX_CHARS < weight(huge) < 2 * TEXT_MAX_CHARS


def test_a_template_too_slow_for_one_sheet_is_not_rendered_for_the_others(
    tmp_path: Path,
) -> None:
    score = compile_score(
        "name: slow\n"
        "instrument: cli\n"
        "sheet: {size: 1, total_items: 4}\n"
        "prompt:\n"
        "  template: |\n"
        "    {% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}\n"
        "    {{ f(40) }}\n",
        tmp_path / "score.yaml",
    )
    with pytest.raises(ScoreError) as refused:
        score.check()
    [problem] = refused.value.diagnostics
    assert "sheet 1: the prompt template takes more than 5 seconds" in problem.message
