"""What the fake agent can be told to do, read from prompt directives and from script rules.

A directive is a prompt line `FAKE-AGENT: <action> <arguments>`, its arguments split as a shell
would (`write out.md words=120 heading="Summary"`). A script rule lists the same actions as
YAML (`{write: {path: out.md, words: 120}}`). Both become the frozen records below.
"""

import re
import shlex
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


class ScriptError(Exception):
    """A directive or script rule the fake agent cannot follow; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Write:
    """Write a file: `text` exactly, or `words` words of filler under an optional heading."""

    path: str
    text: str | None = None
    words: int | None = None
    heading: str | None = None


@dataclass(frozen=True, slots=True)
class Append:
    """Append `text` (exactly as given) to a file, creating it when missing."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this long before the next action."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Exit:
    """End the run with this exit code, after the actions before it."""

    code: int


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Fail as a rate-limited agent does, saying when the limit resets."""

    reset_in: int = 60


@dataclass(frozen=True, slots=True)
class AuthError:
    """Fail as an agent with a bad API key does."""


@dataclass(frozen=True, slots=True)
class Overloaded:
    """Fail as an agent whose provider is overloaded does."""


@dataclass(frozen=True, slots=True)
class Hang:
    """Sleep until killed."""


@dataclass(frozen=True, slots=True)
class Crash:
    """Die by a signal, as a crashing agent would."""

    signum: signal.Signals = signal.SIGSEGV


@dataclass(frozen=True, slots=True)
class Print:
    """Say `text`; the first `print` replaces the default reply."""

    text: str


@dataclass(frozen=True, slots=True)
class Tokens:
    """Report this token usage instead of the estimate."""

    input: int
    output: int


Ending = Exit | RateLimit | AuthError | Overloaded | Hang | Crash
"""Actions that end the run: the actions after them are not done."""
Action = Write | Append | Sleep | Print | Tokens | Ending

_NOT_FATAL = frozenset(
    {"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGCONT", "SIGCHLD", "SIGURG", "SIGWINCH"}
)


@dataclass(frozen=True, slots=True)
class _Params:
    """An action's arguments, bound to names, with typed getters that name the culprit."""

    where: str
    values: Mapping[str, object]

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ScriptError(f"{self.where}: {name} must be text, not {value!r}")

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise ScriptError(f"{self.where}: {name} is required")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name, default)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise ScriptError(f"{self.where}: {name} must be a whole number, not {value!r}")

    def number(self, name: str) -> float:
        value = self.values.get(name)
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ScriptError(f"{self.where}: {name} must be a number, not {value!r}") from None


def _write(p: _Params) -> Write:
    text, words = p.text("text"), p.integer("words")
    if (text is None) == (words is None):
        raise ScriptError(f"{p.where}: write needs text=... or words=N (one of them)")
    if words is not None and words < 0:
        raise ScriptError(f"{p.where}: words must be 0 or more, not {words}")
    return Write(p.required("path"), text, words, p.text("heading"))


def _append(p: _Params) -> Append:
    text = p.text("text")
    if text is None:
        raise ScriptError(f"{p.where}: append needs text=...")
    return Append(p.required("path"), text)


def _crash(p: _Params) -> Crash:
    name = (p.text("signal") or "SEGV").upper()
    try:
        signum = signal.Signals(int(name)) if name.isdigit() else signal.Signals[_sig(name)]
    except (KeyError, ValueError):
        raise ScriptError(f"{p.where}: unknown signal {name!r}; try SEGV, KILL or ABRT") from None
    if signum.name in _NOT_FATAL:
        raise ScriptError(f"{p.where}: {signum.name} does not end a process; try SEGV or KILL")
    return Crash(signum)


def _sig(name: str) -> str:
    return name if name.startswith("SIG") else f"SIG{name}"


def _tokens(p: _Params) -> Tokens:
    return Tokens(p.integer("in", 0) or 0, p.integer("out", 0) or 0)


_BUILDERS: dict[str, tuple[tuple[str, ...], Callable[[_Params], Action]]] = {
    "write": (("path", "text", "words", "heading"), _write),
    "append": (("path", "text"), _append),
    "sleep": (("seconds",), lambda p: Sleep(p.number("seconds"))),
    "exit": (("code",), lambda p: Exit(p.integer("code", 0) or 0)),
    "rate_limit": (("reset_in",), lambda p: RateLimit(p.integer("reset_in", 60) or 0)),
    "auth_error": ((), lambda p: AuthError()),
    "overloaded": ((), lambda p: Overloaded()),
    "hang": ((), lambda p: Hang()),
    "crash": (("signal",), _crash),
    "print": (("text",), lambda p: Print(p.text("text") or "")),
    "tokens": (("in", "out"), _tokens),
}
ACTION_NAMES = tuple(_BUILDERS)


def build(
    where: str, name: str, positional: Sequence[object], options: Mapping[str, object]
) -> Action:
    """The action `name` with arguments given in order (`positional`) or by name (`options`)."""
    key = name.replace("-", "_").lower()
    if key not in _BUILDERS:
        raise ScriptError(
            f"{where}: unknown action {name!r}; use one of: {', '.join(sorted(ACTION_NAMES))}"
        )
    params, builder = _BUILDERS[key]
    if len(positional) > len(params):
        extra = ", ".join(repr(v) for v in positional[len(params) :])
        raise ScriptError(f"{where}: {key} takes {len(params)} plain argument(s); extra: {extra}")
    values = dict(zip(params, positional, strict=False))
    for option, value in options.items():
        if option not in params:
            allowed = ", ".join(params) or "no arguments"
            raise ScriptError(f"{where}: {key} takes {allowed}; got {option!r}")
        if option in values:
            raise ScriptError(f"{where}: {key} got {option} twice")
        values[option] = value
    return builder(_Params(f"{where}: {key}" if where else key, values))


_DIRECTIVE = re.compile(r"^[ \t]*FAKE-AGENT:[ \t]*(.*?)[ \t\r]*$", re.MULTILINE)
_OPTION = re.compile(r"([A-Za-z_][\w-]*)=(.*)", re.DOTALL)


def directives(prompt: str) -> list[Action]:
    """The actions asked for by `FAKE-AGENT:` lines of the prompt, in order."""
    found: list[Action] = []
    for line in _DIRECTIVE.finditer(prompt):
        where = f"prompt line {prompt.count(chr(10), 0, line.start()) + 1}"
        try:
            words = [_unescape(w) for w in shlex.split(line.group(1))]
        except ValueError as exc:
            raise ScriptError(f"{where}: cannot read {line.group(1)!r}: {exc}") from None
        if not words:
            raise ScriptError(f"{where}: 'FAKE-AGENT:' names no action")
        positional: list[object] = []
        options: dict[str, object] = {}
        for word in words[1:]:
            option = _OPTION.fullmatch(word)
            if option is None:
                positional.append(word)
            else:
                options[option.group(1).replace("-", "_")] = option.group(2)
        found.append(build(where, words[0], positional, options))
    return found


def _unescape(word: str) -> str:
    return word.replace("\\n", "\n").replace("\\t", "\t")


def from_yaml(item: object, where: str) -> Action:
    """One action of a script rule: `name`, `{name: value}` or `{name: {arg: value, ...}}`."""
    if isinstance(item, str):
        return build(where, item, (), {})
    if not isinstance(item, Mapping) or len(item) != 1:
        raise ScriptError(f"{where}: an action is a mapping with one key, such as {{sleep: 2}}")
    ((name, value),) = item.items()
    if isinstance(value, Mapping):
        return build(where, str(name), (), {str(k): v for k, v in value.items()})
    return build(where, str(name), () if value is None else (value,), {})
