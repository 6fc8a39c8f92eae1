"""Which variables of the submitting shell travel with a job to its instruments.

A conductor keeps the environment it was started with; the shell that runs `podium run` may
have more (a `claude` installed since, an API key exported since). So a submission carries the
client's PATH and the values of the variables its instruments ask for: each profile's
`cli.command.required_env` (names and `PREFIX_*` entries) and `http.auth_env_var`, plus the
names the conductor's `environment.pass` allow-list adds. An instrument without
`required_env` (the `cli` instrument runs any bash) asks for none: PATH and the allow-list
travel for it. The conductor narrows what it receives with the same selection, so a variable
no instrument of the job and no allow-list entry names never reaches an attempt.

Pure: the caller gives the environment and the profiles. Light: the CLI imports it without
the profiles' model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from podium.instruments.profile import InstrumentProfile

ALWAYS = "PATH"
"""The variable every submission carries: where the instruments' programs are found."""

_ENTRY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\*?")


@dataclass(frozen=True, slots=True)
class Wanted:
    """Variable names, and name prefixes (`CLAUDE_CODE_` for `CLAUDE_CODE_*`)."""

    names: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.names or name.startswith(self.prefixes))


def valid_entry(entry: str) -> bool:
    """A variable name, or a prefix of names written `PREFIX_*`."""
    return _ENTRY.fullmatch(entry) is not None


def wanted(profiles: Iterable[InstrumentProfile], passed: Iterable[str] = ()) -> Wanted:
    """What travels for a job played on `profiles`: PATH, what each profile asks for, and the
    `passed` entries (`environment.pass`)."""
    entries = [ALWAYS, *passed]
    for profile in profiles:
        command = profile.cli.command if profile.cli is not None else None
        if command is not None and command.required_env is not None:
            entries.extend(command.required_env)
        if profile.http is not None and profile.http.auth_env_var:
            entries.append(profile.http.auth_env_var)
    names = frozenset(e for e in entries if not e.endswith("*"))
    prefixes = tuple(sorted({e[:-1] for e in entries if e.endswith("*") and len(e) > 1}))
    return Wanted(names, prefixes)


def carried(env: Mapping[str, str], want: Wanted) -> dict[str, str]:
    """The variables of `env` that `want` names, in name order."""
    return {name: env[name] for name in sorted(env) if name in want}


def overlaid(base: Mapping[str, str], carried: Mapping[str, str] | None) -> dict[str, str]:
    """`base` (the conductor's environment) with the carried variables laid over it."""
    return {**base, **(carried or {})}


def abbreviated(path: str, limit: int = 6) -> str:
    """A PATH for a message: its first `limit` folders, then how many more."""
    folders = [f for f in path.split(":") if f]
    if not folders:
        return "(empty)"
    shown = ":".join(folders[:limit])
    rest = len(folders) - limit
    return f"{shown}:… ({rest} more)" if rest > 0 else shown
