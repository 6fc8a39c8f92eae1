"""`{name}` placeholders in validation paths and commands, as Marianne's scores write them.

Paths (and working directories) follow Python's `str.format`, as in Marianne: `{sheet_num:02d}`
takes a format spec and `{{` is a literal brace; a name that is not a variable is an error when
the score loads (`check_path`). Commands replace only `{name}` where `name` is a variable, and
leave anything else in braces (a Python dict in an inline script) as written; each value is
quoted for the place it lands in: shell-quoted in plain text, escaped inside double quotes, and
spliced out and back into single quotes, so that a workspace with a space (or a quote) in its
path works inside `"{workspace}/out.txt"` as well as bare, and no value can inject shell syntax.
"""

import re
import shlex
import string
from collections.abc import Mapping

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN, _SINGLE, _DOUBLE = "plain", "single", "double"
_FORMATTER = string.Formatter()


class PlaceholderError(ValueError):
    pass


def expand_path(text: str, values: Mapping[str, object]) -> str:
    """`text` with its `{name[:spec]}` fields filled from `values`, as `str.format` would."""
    out: list[str] = []
    try:
        for literal, field, spec, conversion in _FORMATTER.parse(text):
            out.append(literal)
            if field is None:
                continue
            if not _IDENTIFIER.match(field):
                raise PlaceholderError(
                    f"'{{{field}}}' is not a placeholder: write a variable's "
                    "name, like {workspace} or {sheet_num:02d}"
                )
            if field not in values:
                known = ", ".join(sorted(values))
                raise PlaceholderError(f"'{{{field}}}' is not a variable; known: {known}")
            value = _FORMATTER.convert_field(values[field], conversion)
            _refuse_wide(field, spec or "")
            out.append(format(value, spec or ""))
    except ValueError as exc:
        if isinstance(exc, PlaceholderError):
            raise
        raise PlaceholderError(f"cannot fill in {text!r}: {exc}") from None
    return "".join(out)


SPEC_MAX_WIDTH = 4096
"""The widest a format spec may pad a value: no path is longer (PATH_MAX)."""
_NUMBER = re.compile(r"\d+")


def _refuse_wide(field: str, spec: str) -> None:
    """A width or precision like `{sheet_num:>1000000000}` would make a gigabyte-long path."""
    widest = max((int(n) for n in _NUMBER.findall(spec)), default=0)
    if widest > SPEC_MAX_WIDTH:
        raise PlaceholderError(
            f"'{{{field}:{spec}}}' asks for {widest:,} characters; a format spec may pad a "
            f"value to at most {SPEC_MAX_WIDTH}, like {{sheet_num:02d}}"
        )


def expand(text: str, values: Mapping[str, object], *, quote: bool = False) -> str:
    """Fill the known `{name}` placeholders of `text`; with `quote`, quote them as shell words."""
    out: list[str] = []
    scanned, state = 0, _PLAIN
    for match in FIELD.finditer(text):
        name = match.group(1)
        if name not in values:
            continue
        state = _quoting_after(text, scanned, match.start(), state) if quote else state
        value = str(values[name])
        out.append(text[scanned : match.start()])
        out.append(_quoted(value, state) if quote else value)
        scanned = match.end()
    out.append(text[scanned:])
    return "".join(out)


def _quoting_after(text: str, start: int, end: int, state: str) -> str:
    """The shell quoting state at `end`, given `state` at `start`."""
    i = start
    while i < end:
        char = text[i]
        if state == _SINGLE:
            state = _PLAIN if char == "'" else state
        elif char == "\\":
            i += 1  # the next character is escaped (outside single quotes)
        elif state == _DOUBLE:
            state = _PLAIN if char == '"' else state
        elif char in "'\"":
            state = _SINGLE if char == "'" else _DOUBLE
        i += 1
    return state


def _quoted(value: str, state: str) -> str:
    if state == _DOUBLE:
        return re.sub(r'([\\"$`])', r"\\\1", value)
    if state == _SINGLE:
        return "'" + shlex.quote(value) + "'"
    return shlex.quote(value)
