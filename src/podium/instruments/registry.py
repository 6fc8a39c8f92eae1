"""Finding instrument profiles: Podium's own, the user's, and those next to a score.

Profiles load in this order, a later one replacing an earlier one of the same `name`:

1. built-in: the YAML files shipped in `podium/instruments/builtin/`;
2. user: `~/.marianne/instruments/` (profiles of users coming from Marianne), then
   `$XDG_CONFIG_HOME/podium/instruments/` (default `~/.config/podium/instruments/`);
3. project: `.marianne/instruments/`, then `.podium/instruments/`, in the score's folder.

A file that cannot be read or is not a valid profile never hides the others: it becomes one of
the registry's `problems`.
"""

import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from podium.domain.errors import UserError
from podium.host.bounded import PROFILE_MAX_BYTES, RefusedFile, read_user_text
from podium.instruments.profile import InstrumentProfile

BUILTIN = "built-in"
"""The origin of the profiles shipped with Podium."""

ALIASES = {"claude_cli": "claude-code"}
"""Marianne's names for instruments it knows without a profile, and Podium's profile for each."""

_SUFFIXES = (".yaml", ".yml")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML was built with it: several times faster."""


class ProfileError(UserError):
    """A profile file that cannot be used; one line per problem, each `file:line: what`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class UnknownInstrument(UserError):
    """A name no profile has."""


@dataclass(frozen=True)
class Registry:
    """The profiles found, by name, with where each came from."""

    profiles: Mapping[str, InstrumentProfile] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return sorted(self.profiles)

    def get(self, name: str) -> InstrumentProfile | None:
        """The profile called `name`; Marianne's `claude_cli` finds `claude-code` unless a
        profile takes that name itself."""
        found = self.profiles.get(name)
        if found is None and name in ALIASES:
            return self.profiles.get(ALIASES[name])
        return found

    def takes_mcp(self, name: str) -> bool:
        """Whether the instrument called `name` can take MCP servers (a technique's)."""
        found = self.get(name)
        return (
            found is not None and found.cli is not None and bool(found.cli.command.mcp_config_flag)
        )

    def require(self, name: str) -> InstrumentProfile:
        """Like `get`, but an unknown name is an error listing the known ones."""
        found = self.get(name)
        if found is None:
            raise UnknownInstrument(
                f"no instrument is called '{name}'; known instruments: "
                f"{', '.join(self.names())}. Add a profile to "
                "~/.config/podium/instruments/ or .podium/instruments/ next to the score"
            )
        return found

    def origin(self, name: str) -> str | None:
        """'built-in', or the path of the file the profile came from."""
        profile = self.get(name)
        return self.origins.get(profile.name) if profile is not None else None


def load_profile(path: Path) -> InstrumentProfile:
    """The profile in the YAML file at `path`; a `ProfileError` says where it is wrong."""
    try:
        text = read_user_text(path, PROFILE_MAX_BYTES, "an instrument profile", "a YAML file")
    except RefusedFile as exc:
        raise ProfileError([f"{exc}; fix it or remove the file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError([f"{path}: cannot be read ({exc}); fix it or remove the file"]) from None
    return _parsed(text, str(path))


def parse_profile(text: str, source: str) -> InstrumentProfile:
    """The profile in `text`, read from `source` (named in error messages)."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, libyaml or not
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(
            [f"{where}: not valid YAML ({problem}); fix it or remove the file"]
        ) from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ProfileError(
            [
                f"{source}:1: a profile is a mapping with 'name', 'kind' and a 'cli:' block, "
                f"not {found}; fix it or remove the file"
            ]
        )
    try:
        return InstrumentProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError([_describe(error, node, source) for error in exc.errors()]) from None


def _describe(error: ErrorDetails, node: yaml.Node | None, source: str) -> str:
    loc = tuple(error["loc"])
    where = ".".join(str(p) for p in loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (a typo?)"
    line = _line_of(node, loc)
    text = f"{where}: {message}" if where else message
    return f"{source}:{line}: {text}; fix it or remove the file"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the key (or list item) at `loc`, or of the deepest part of it that
    exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child(node: yaml.Node | None, part: Any) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key.start_mark.line + 1, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item.start_mark.line + 1, item
    return None


@functools.lru_cache(maxsize=256)
def _parsed(text: str, source: str) -> InstrumentProfile:
    """`parse_profile`, once per text: every submission discovers the profiles again, and
    reading a file is far cheaper than parsing and checking it. (Profiles are frozen.)"""
    return parse_profile(text, source)


def discover(score_dir: Path | None = None, env: Mapping[str, str] | None = None) -> Registry:
    """Every profile Podium can see: built-in, the user's, and the project's next to a score
    in `score_dir`. `env` (default: this process's) gives HOME and XDG_CONFIG_HOME."""
    env = os.environ if env is None else env
    profiles: dict[str, InstrumentProfile] = {}
    origins: dict[str, str] = {}
    problems: list[str] = []
    for origin, loaded in _everything(score_dir, env):
        if isinstance(loaded, ProfileError):
            problems.extend(loaded.problems)
            continue
        profiles[loaded.name] = loaded
        origins[loaded.name] = origin
    return Registry(profiles, origins, tuple(problems))


def user_folders(env: Mapping[str, str]) -> list[Path]:
    """The user's profile folders, lowest precedence first."""
    home = env.get("HOME")
    config = env.get("XDG_CONFIG_HOME") or (str(Path(home) / ".config") if home else None)
    folders = [Path(home) / ".marianne" / "instruments"] if home else []
    if config:
        folders.append(Path(config) / "podium" / "instruments")
    return folders


def project_folders(score_dir: Path) -> list[Path]:
    """The profile folders next to a score, lowest precedence first."""
    return [score_dir / ".marianne" / "instruments", score_dir / ".podium" / "instruments"]


def _everything(
    score_dir: Path | None, env: Mapping[str, str]
) -> Iterator[tuple[str, InstrumentProfile | ProfileError]]:
    yield from _builtin()
    folders = user_folders(env) + (project_folders(score_dir) if score_dir else [])
    for folder in folders:
        try:
            paths = _profile_files(folder)
        except OSError as exc:
            problem = f"{folder}: cannot be listed ({exc}); fix its permissions or remove it"
            yield str(folder), ProfileError([problem])
            continue
        for path in paths:
            try:
                yield str(path), load_profile(path)
            except ProfileError as exc:
                yield str(path), exc


@functools.cache
def _builtin() -> tuple[tuple[str, InstrumentProfile | ProfileError], ...]:
    """The profiles shipped with Podium, read once: they change only with Podium itself."""
    folder = resources.files("podium.instruments") / "builtin"
    found: list[tuple[str, InstrumentProfile | ProfileError]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(_SUFFIXES):
            try:
                found.append((BUILTIN, _parsed(entry.read_text(encoding="utf-8"), str(entry))))
            except ProfileError as exc:
                found.append((BUILTIN, exc))
    return tuple(found)


def _profile_files(folder: Path) -> list[Path]:
    """The profile files in `folder`, by name; none when it does not exist."""
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [p for p in entries if p.suffix in _SUFFIXES and p.is_file()]
