"""The scenario a request asks for, read from the first segment of its path.

    /s/429,retry_after=3,fail_first=1,then=write,tag=t2/v1/messages
       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ the prefix
       ^^^ the scenario  ^^^^^^^^ its settings      the API path ^^^

Each agent CLI appends its own API path to the base URL it is given, so one server plays every
scenario at once and each run of a CLI just gets a different base URL. Pure: no I/O, no clock.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

JSON = Any
"""A decoded JSON value: `arguments` is JSON text."""

REPLIES = frozenset({"text", "write", "call"})
"""Scenarios that answer: a plain text reply, a tool call that writes a file then "Done.", or
the tool calls named in `tools`, one a turn, then "Done."."""

ERRORS = frozenset({"429", "quota", "401", "403", "500", "503", "529"})
"""Scenarios that fail with the provider's own error status and body."""

DELAYS = frozenset({"slow", "stall"})
"""Scenarios that answer late (`slow`) or stop in the middle of the stream (`stall`)."""

SCENARIOS = REPLIES | ERRORS | DELAYS

SETTINGS = frozenset(
    {
        "file",
        "content",
        "retry_after",
        "fail_first",
        "fail_for",
        "then",
        "delay",
        "tag",
        "tools",
        "arguments",
        "say",
    }
)

DEFAULT_FILE = "hello.txt"
DEFAULT_CONTENT = "hello from the scripted provider"
DEFAULT_STALL = 3600.0


class ScenarioError(ValueError):
    """A path whose scenario prefix cannot be read; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario and its settings, as named by a path prefix such as `s/429,retry_after=3`."""

    name: str
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """The path segment naming this scenario: requests with equal prefixes share counters."""
        parts = [self.name, *(f"{k}={quote(v, safe='')}" for k, v in self.settings.items())]
        return ",".join(parts)

    @property
    def tag(self) -> str | None:
        return self.settings.get("tag")

    @property
    def file(self) -> str:
        return self.settings.get("file", DEFAULT_FILE)

    @property
    def content(self) -> str:
        return self.settings.get("content", DEFAULT_CONTENT)

    @property
    def say(self) -> str | None:
        """With `text`: what to answer instead of the greeting (`say=SCORE: 90`)."""
        return self.settings.get("say")

    @property
    def retry_after(self) -> int:
        return _integer(self, "retry_after", 1)

    @property
    def delay(self) -> float:
        default = DEFAULT_STALL if self.name == "stall" else 5.0
        return _number(self, "delay", default)

    @property
    def tools(self) -> tuple[str, ...]:
        """With `call`: the tools to call, in order, one a turn (`tools=job_status+pause_job`)."""
        return tuple(name for name in self.settings.get("tools", "").split("+") if name)

    @property
    def arguments(self) -> Mapping[str, JSON]:
        """With `call`: the arguments (a JSON object) each call takes what its tool has of."""
        found = json.loads(self.settings.get("arguments", "{}"))
        return found if isinstance(found, dict) else {}

    @property
    def then(self) -> str:
        return self.settings.get("then", "text")

    def behaviour(self, nth: int, since_first: float) -> str:
        """What to do for the `nth` request (0-based) with this prefix.

        `since_first` is the number of seconds since the first such request. An error or a
        delay with `fail_first=N` plays only for the first N requests, with `fail_for=S` only
        during the first S seconds; afterwards the request gets the `then` reply.
        """
        if self.name in REPLIES:
            return self.name
        if "fail_first" in self.settings and nth >= _integer(self, "fail_first", 0):
            return self.then
        if "fail_for" in self.settings and since_first >= _number(self, "fail_for", 0.0):
            return self.then
        return self.name


def format_scenario(name: str, **settings: object) -> str:
    """The path segment for a scenario: `format_scenario("429", tag="t1")` is `429,tag=t1`."""
    return Scenario(name, {k: str(v) for k, v in settings.items()}).prefix


def parse_scenario(segment: str) -> Scenario:
    """Read a prefix such as `429,retry_after=3,tag=t1`; raise ScenarioError if it is wrong."""
    name, *pairs = segment.split(",")
    if name not in SCENARIOS:
        raise ScenarioError(
            f"unknown scenario {name!r} in {segment!r}; use one of {', '.join(sorted(SCENARIOS))}"
        )
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in SETTINGS:
            raise ScenarioError(
                f"bad setting {pair!r} in {segment!r}; write key=value with a key among "
                f"{', '.join(sorted(SETTINGS))}"
            )
        settings[key] = unquote(value)
    scenario = Scenario(name, settings)
    _check(scenario, segment)
    return scenario


def split_path(path: str) -> tuple[Scenario, str]:
    """Split `/s/<scenario>/<api path>` into the scenario and the API path (with its query)."""
    if not path.startswith("/s/"):
        raise ScenarioError(
            f"path {path!r} names no scenario; point the CLI at a base URL such as "
            "http://127.0.0.1:PORT/s/text"
        )
    segment, _, rest = path[3:].partition("/")
    return parse_scenario(segment), "/" + rest


def _check(scenario: Scenario, segment: str) -> None:
    if scenario.then not in REPLIES:
        raise ScenarioError(
            f"then={scenario.then!r} in {segment!r}; use then=text, then=write or then=call"
        )
    if "arguments" in scenario.settings:
        try:
            found = json.loads(scenario.settings["arguments"])
        except ValueError:
            found = None
        if not isinstance(found, dict):
            raise ScenarioError(f"arguments= in {segment!r}; give a JSON object")
    for key in ("retry_after", "fail_first"):
        if key in scenario.settings:
            _integer(scenario, key, 0)
    for key in ("fail_for", "delay"):
        if key in scenario.settings:
            _number(scenario, key, 0.0)


def _integer(scenario: Scenario, key: str, default: int) -> int:
    raw = scenario.settings.get(key)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ScenarioError(f"{key}={raw!r} in {scenario.prefix!r}; use a whole number ≥ 0")
    return int(raw)


def _number(scenario: Scenario, key: str, default: float) -> float:
    raw = scenario.settings.get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ScenarioError(f"{key}={raw!r} in {scenario.prefix!r}; use a number of seconds ≥ 0")
    return value
