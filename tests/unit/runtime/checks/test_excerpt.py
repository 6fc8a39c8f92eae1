"""What a failed content check shows of the text it searched: on one line, and bounded."""

from podium.runtime.checks.files import EXCERPT_CHARS, excerpt


def test_a_short_text_is_shown_whole_and_quoted_on_one_line() -> None:
    assert excerpt("") == '""'
    assert excerpt('line 1\n"quoted"\n') == '"line 1\\n\\"quoted\\"\\n"'
    assert excerpt("é" * 2 * EXCERPT_CHARS) == '"' + "é" * 2 * EXCERPT_CHARS + '"'


def test_a_long_text_is_shown_by_its_two_ends() -> None:
    text = "a" * EXCERPT_CHARS + "MIDDLE" + "z" * EXCERPT_CHARS
    assert excerpt(text) == f'"{"a" * EXCERPT_CHARS}" … "{"z" * EXCERPT_CHARS}"'
    assert excerpt("head" * 200, "tail" * 200) == (
        f'"{("head" * 200)[:EXCERPT_CHARS]}" … "{("tail" * 200)[-EXCERPT_CHARS:]}"'
    )
