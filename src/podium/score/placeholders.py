"""`{name}` placeholders in validation paths and commands, as Marianne's scores write them.

Paths (and working directories) follow Python's `str.format`, as in Marianne: `{sheet_num:02d}`
takes a format spec and `{{` is a literal brace; a name that is not a variable is an error when
the score loads (`check_path`). Commands replace only `{name}` where `name` is a variable, and
leave anything else in braces (a Python dict in an inline script) as written.

Shell commands (`command_succeeds`, `run_command` hooks, `skip_when_command`) never receive a
value as text. `shell_command` puts each value in the command's environment as
`PODIUM_V_<name>` and replaces the placeholder by a reference to it, in the form its place
needs (`podium.score.shell_lexer` reads the command as bash does to find the place):

| where the placeholder is                              | it becomes            |
| ----------------------------------------------------- | --------------------- |
| a plain word, also in `$(…)`, backticks, `${x:-…}`    | `"$PODIUM_V_name"`    |
| inside "…", or in a here-document's body (`<<END`)    | `${PODIUM_V_name}`    |
| inside '…'                                            | `'"$PODIUM_V_name"'`  |
| inside $'…'                                           | `'"$PODIUM_V_name"$'` |
| in a comment (never run)                              | `"$PODIUM_V_name"`    |

The placeholder is refused when the score is validated, with its line and column in the
command, where bash would take a value as code or as a variable's name even from a variable —
arithmetic (`$(( ))`, `(( ))`, `$[ ]`, `let`, `[[ … -eq … ]]`, array subscripts, substring
offsets), `eval`, `trap`, `bash -c`, `ssh`, `compgen -W`, `read`, `declare` names, `PS4=`,
`${!…}` — where it would not be filled in (a here-document with a quoted delimiter), right
after `$` or a backslash, and wherever the lexer cannot follow the command (fail closed).

Should the lexer misjudge a quoting context, the worst outcome is a wrong string (an unquoted
reference split or globbed, a quoted one taken literally), never a value run as code: bash
expands a variable once and does not parse the result. The places where bash does evaluate an
expanded value are the refused ones above. What a command itself does with a value — stores
it and evaluates it later (`x={n}; (( x ))`), pipes it into an interpreter, hands it to
`python3 -c "…{workspace}…"` — is the command's own doing.

A value is passed byte for byte; one containing a NUL byte (which no environment can hold) is
refused. What people see (history, `errors`, the prompt's list of checks) is the command with
the values written in (`ShellCommand.shown`); that text is never run.
"""

import re
import shlex
import string
from collections.abc import Mapping

from podium.domain.shell import ShellCommand
from podium.score.shell_lexer import Context, lex
from podium.score.shell_rules import CODE_FOR_A_SHELL, Refused, code_words

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ENVIRONMENT_PREFIX = "PODIUM_V_"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMATTER = string.Formatter()
_REFERENCE = {
    Context.WORD: '"${name}"',
    Context.COMMENT: '"${name}"',
    Context.DOUBLE: "${{{name}}}",
    Context.SINGLE: "'\"${name}\"'",
    Context.ANSI: "'\"${name}\"$'",
}


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


def expand(text: str, values: Mapping[str, object]) -> str:
    """Fill the known `{name}` placeholders of `text` with their values, as text (never for a
    shell: see `shell_command`)."""
    return FIELD.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], text)


def shell_command(text: str, values: Mapping[str, object]) -> ShellCommand:
    """`text`, a bash command, with its known placeholders turned into references to
    environment variables that hold their values. Raises PlaceholderError where a value
    could become code, or when a value holds a NUL byte."""
    spots = {m.start(): (m.end(), m[1]) for m in FIELD.finditer(text) if m[1] in values}
    if not spots:
        return ShellCommand(text, (), text)
    try:
        found = lex(text, spots)
    except Refused as exc:
        line = text.count("\n", 0, exc.offset) + 1
        column = exc.offset - (text.rfind("\n", 0, exc.offset) + 1) + 1
        raise PlaceholderError(
            f"line {line}, column {column} of the command: {exc.message}"
        ) from None
    script: list[str] = []
    environment: dict[str, str] = {}
    scanned = 0
    for spot in found:
        value = str(values[spot.name])
        if "\0" in value:
            raise PlaceholderError(
                f"the value of {{{spot.name}}} contains a NUL byte, which no command can be "
                f"given: {value[:80]!r}"
            )
        variable = ENVIRONMENT_PREFIX + spot.name
        environment[variable] = value
        script += [text[scanned : spot.start], _REFERENCE[spot.context].format(name=variable)]
        scanned = spot.end
    script.append(text[scanned:])
    return ShellCommand("".join(script), tuple(environment.items()), expand(text, values))


def script_words(text: str, values: Mapping[str, object]) -> list[str]:
    """A `run_script` command: `text` split into words as a shell would, each word's
    placeholders filled in with their values as text; the words then run without a shell.
    Raises PlaceholderError where the words hand a value to a shell as code
    (`bash -c '…{workspace}…'`) or when they cannot be split."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise PlaceholderError(f"cannot split {text!r} into words: {exc}") from None
    for index in code_words(words) if words else range(0):
        known = [m[1] for m in FIELD.finditer(words[index]) if m[1] in values]
        if known:
            raise PlaceholderError(
                f"word {index + 1} of the command: {{{known[0]}}} is {CODE_FOR_A_SHELL}"
            )
    return [expand(word, values) for word in words]
