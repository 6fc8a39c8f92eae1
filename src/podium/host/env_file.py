"""The environment file a service reads (`podium service install --env-file`): one
`KEY=VALUE` a line, as systemd's `EnvironmentFile=` reads it, so the same file serves a systemd
unit (which reads it at each start) and a launchd agent (whose variables are copied from it at
install). Pure: text in, variables out.

The accepted form is the part systemd and a person agree on: blank lines and lines starting
with `#` or `;` are skipped; a value may be wrapped in single or double quotes (inside double
quotes, `\\"` and `\\\\` stand for `"` and `\\`). Shell syntax that systemd would silently
ignore (`export KEY=…`, a bad name) is refused, with its line, instead.
"""

import re
from dataclasses import dataclass

from podium.domain.errors import UserError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOUBLE_QUOTED_ESCAPE = re.compile(r"\\([\\\"])")


class BadEnvFile(UserError):
    """A line of an environment file that a service manager would not read as meant."""


@dataclass(frozen=True)
class EnvFile:
    """An environment file: where it is (absolute) and the variables it sets, in order."""

    path: str
    variables: tuple[tuple[str, str], ...]


def parse_env_file(path: str, text: str) -> EnvFile:
    """The variables of an environment file's `text`; `path` names it in errors. A name set
    twice keeps its last value, as systemd does."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        name, value = _assignment(stripped, f"{path}:{number}")
        found[name] = value
    return EnvFile(path, tuple(found.items()))


def _assignment(line: str, where: str) -> tuple[str, str]:
    name, equals, value = line.partition("=")
    name = name.strip()
    if name.startswith("export "):
        raise BadEnvFile(
            f"{where}: 'export' is shell syntax that systemd ignores; write "
            f"'{name.removeprefix('export ').strip()}={value.strip()}'"
        )
    if not equals:
        raise BadEnvFile(f"{where}: expected KEY=VALUE, got {line!r}")
    if not _NAME.fullmatch(name):
        raise BadEnvFile(
            f"{where}: {name!r} is not a variable name (letters, digits and '_', not "
            "starting with a digit)"
        )
    return name, _unquote(value.strip(), where)


def _unquote(value: str, where: str) -> str:
    if not value or value[0] not in "'\"":
        return value
    quote = value[0]
    if len(value) < 2 or value[-1] != quote:
        raise BadEnvFile(f"{where}: the value {value!r} opens a {quote} quote it never closes")
    inner = value[1:-1]
    if quote == '"':
        return _DOUBLE_QUOTED_ESCAPE.sub(r"\1", inner)
    return inner
