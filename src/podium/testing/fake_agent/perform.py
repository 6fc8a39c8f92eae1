"""Doing the actions, in order, until one of them ends the run."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import assert_never

from podium.testing.fake_agent.actions import (
    Action,
    Append,
    AuthError,
    Crash,
    Ending,
    Exit,
    Hang,
    Overloaded,
    Print,
    RateLimit,
    ScriptError,
    Sleep,
    Tokens,
    Write,
)
from podium.testing.fake_agent.filler import filler


@dataclass(slots=True)
class Performance:
    """What the actions did: files touched, words said, the action that ended the run."""

    done: list[str] = field(default_factory=list)
    """One line per file action, for the default reply."""
    said: list[str] = field(default_factory=list)
    """The text of `print` actions."""
    tokens: Tokens | None = None
    ending: Ending | None = None


def perform(actions: Sequence[Action], workspace: Path, say: Callable[[str], None]) -> Performance:
    """Do `actions` in `workspace`, stopping at the first that ends the run (which is left for
    the caller to carry out). `say` hears each `print` as it happens."""
    result = Performance()
    for action in actions:
        match action:
            case Write():
                result.done.append(_write(action, workspace))
            case Append():
                result.done.append(_append(action, workspace))
            case Sleep():
                time.sleep(max(action.seconds, 0.0))
            case Print():
                result.said.append(action.text)
                say(action.text)
            case Tokens():
                result.tokens = action
            case Exit() | RateLimit() | AuthError() | Overloaded() | Hang() | Crash():
                result.ending = action
                return result
            case _:
                assert_never(action)
    return result


def _path(workspace: Path, path: str) -> Path:
    return workspace / Path(path).expanduser()


def _write(action: Write, workspace: Path) -> str:
    target = _path(workspace, action.path)
    if action.text is not None:
        content, what = action.text, f"{len(action.text)} characters"
    else:
        words = action.words or 0
        content, what = filler(words, f"{action.path}:{words}", action.heading), f"{words} words"
    _store(target, content, "w", action.path)
    return f"Wrote {action.path} ({what})."


def _append(action: Append, workspace: Path) -> str:
    _store(_path(workspace, action.path), action.text, "a", action.path)
    return f"Appended {len(action.text)} characters to {action.path}."


def _store(target: Path, content: str, mode: str, shown: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open(mode, encoding="utf-8") as file:
            file.write(content)
    except OSError as exc:
        raise ScriptError(f"cannot write {shown}: {exc.strerror or exc}") from None
