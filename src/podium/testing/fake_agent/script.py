r"""The workspace's script: rules that say what the fake agent does for which prompt.

    - match: 'Write the report to (\S+\.md)'    # searched in the prompt (multi-line mode)
      times: 1                                  # at most once, counted across processes
      actions:
        - write: {path: '\1', words: 80, heading: Report}

The first rule whose `match` is found in the prompt, and whose `times` are not used up, applies.
Group references from `match` (`\1`, `$1`, `\g<name>`) are filled into the text of its actions.
"""

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.testing.fake_agent.actions import Action, Append, Print, ScriptError, Write, from_yaml

_RULE_KEYS = frozenset({"match", "times", "actions"})


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the script, its actions not yet filled with the groups of its match."""

    number: int
    """1-based position in the script."""
    match: re.Pattern[str] | None
    times: int | None
    actions: tuple[Action, ...]
    key: str
    """Names this rule's use counts: its position and a digest of its text."""


@dataclass(frozen=True, slots=True)
class Chosen:
    """The rule that applies to a prompt."""

    rule: Rule
    actions: tuple[Action, ...]
    """The rule's actions with group references filled in."""


def load(path: Path) -> tuple[Rule, ...]:
    """The rules of the script at `path`."""
    import yaml  # noqa: PLC0415 -- most runs have no script; PyYAML costs a fifth of start-up

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ScriptError(f"{path}: the script is a list of rules (- match: ...), not {raw!r}")
    return tuple(_rule(item, n, f"{path.name}: rule {n}") for n, item in enumerate(raw, 1))


def _rule(raw: object, number: int, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ScriptError(f"{where}: a rule is a mapping with match, times and actions")
    unknown = sorted(str(k) for k in raw if k not in _RULE_KEYS)
    if unknown:
        keys = ", ".join(unknown)
        raise ScriptError(f"{where}: unknown key(s) {keys}; a rule has match, times, actions")
    match = raw.get("match")
    times = raw.get("times")
    actions = raw.get("actions") or []
    if match is not None and not isinstance(match, str):
        raise ScriptError(f"{where}: match must be a regular expression, not {match!r}")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 0):
        raise ScriptError(f"{where}: times must be a whole number, 0 or more, not {times!r}")
    if not isinstance(actions, list):
        raise ScriptError(f"{where}: actions must be a list, such as [{{sleep: 2}}]")
    try:
        pattern = None if match is None else re.compile(match, re.MULTILINE)
    except re.error as exc:
        raise ScriptError(f"{where}: match {match!r} is not a regular expression: {exc}") from None
    built = tuple(from_yaml(a, f"{where}, action {i}") for i, a in enumerate(actions, 1))
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return Rule(number, pattern, times, built, f"rule-{number:03d}-{digest[:12]}")


def choose(rules: Sequence[Rule], prompt: str, claim: Callable[[str, int], bool]) -> Chosen | None:
    """The first rule that matches `prompt` and may still be used; `claim(key, times)` takes
    one of a limited rule's uses and says whether one was left."""
    for rule in rules:
        found = None if rule.match is None else rule.match.search(prompt)
        if rule.match is not None and found is None:
            continue
        if rule.times is not None and not claim(rule.key, rule.times):
            continue
        where = f"rule {rule.number}"
        return Chosen(rule, tuple(_fill(action, found, where) for action in rule.actions))
    return None


_REFERENCE = re.compile(r"\\(\d+)|\$(\d+)|\\g<(\w+)>|\$\{(\w+)\}|\$\$|\\\\")


def _fill(action: Action, found: re.Match[str] | None, where: str) -> Action:
    def fill(text: str) -> str:
        return expand(text, found, where)

    match action:
        case Write(path=path, text=text, words=words, heading=heading):
            return Write(fill(path), _maybe(fill, text), words, _maybe(fill, heading))
        case Append(path=path, text=text):
            return Append(fill(path), fill(text))
        case Print(text=text):
            return Print(fill(text))
        case _:
            return action


def _maybe(fill: Callable[[str], str], text: str | None) -> str | None:
    return None if text is None else fill(text)


def expand(text: str, found: re.Match[str] | None, where: str) -> str:
    """`text` with `\\1`, `$1`, `\\g<name>` and `${name}` replaced by groups of `found`;
    `$$` and `\\\\` stand for a literal `$` and backslash."""

    def group(ref: re.Match[str]) -> str:
        if ref.group(0) in ("$$", "\\\\"):
            return ref.group(0)[0]
        name = next(g for g in ref.groups() if g is not None)
        key: int | str = int(name) if name.isdigit() else name
        if found is None:
            raise ScriptError(f"{where}: {ref.group(0)} refers to a group; the rule has no match")
        try:
            return found.group(key) or ""
        except IndexError:
            raise ScriptError(
                f"{where}: {ref.group(0)} refers to a group that match "
                f"{found.re.pattern!r} does not have; write $$ for a literal $"
            ) from None

    return _REFERENCE.sub(group, text)
