"""Every `podium VERB --flag` the documents show is a verb and a flag `podium` has: read from
the CLI's own parser, so a renamed option fails here before a reader trips on it."""

import argparse
import re
from pathlib import Path

import pytest

from podium.cli.main import build_parser

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"(?:^|[\s($])(?<!inject )podium (?!podium\b)([a-z][a-z-]*)([^\n#]*)")
"""`podium VERB ...`, where `podium` is the command: not a container's name before it (`docker
exec podium podium status`), nor the package a tool installs into (`pipx inject podium X`)."""
END = re.compile(r"&&|\|\||;|\s\|\s|\)|\"")
SHELL_WORDS = frozenset({"kill"})
"""Verbs that are also the shell's commands: a span `kill -HUP PID` is the shell's (a podium
command written with `podium` before it is still checked)."""
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def verbs() -> dict[str, set[str]]:
    """Each verb and every option string it (or an action under it) takes."""
    found: dict[str, set[str]] = {}
    for name, parser in _choices(build_parser()).items():
        found[name] = _options(parser)
    return found


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subcommands nowhere else
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found = set(parser._option_string_actions)
    for nested in _choices(parser).values():
        found |= _options(nested)
    return found


def commands(text: str) -> list[tuple[str, list[str]]]:
    """The `podium` commands of a markdown text's code (blocks and spans), each with its verb
    and the flags written after it, and the spans that start with a verb and a flag."""
    code = [line for block in FENCED.findall(text) for line in block.splitlines()]
    code += SPAN.findall(FENCED.sub("", text))
    found = []
    for piece in code:
        for verb, rest in COMMAND.findall(piece):
            found.append((verb, FLAG.findall(END.split(rest)[0])))
    return found


def spans_with_a_verb(text: str, known: set[str]) -> list[tuple[str, list[str]]]:
    """Spans such as `resume --config FILE`: a verb, then its flags."""
    found = []
    for span in SPAN.findall(FENCED.sub("", text)):
        verb, _, rest = span.partition(" ")
        if verb in known - SHELL_WORDS and rest.startswith("-"):
            found.append((verb, FLAG.findall(END.split(rest)[0])))
    return found


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_documented_verb_and_flag_exists(path: Path) -> None:
    known = verbs()
    text = path.read_text()
    wrong = []
    for verb, flags in commands(text) + spans_with_a_verb(text, set(known)):
        if verb not in known:
            wrong.append(f"podium {verb}: no such verb")
            continue
        wrong += [
            f"podium {verb} {flag}: no such option" for flag in flags if flag not in known[verb]
        ]
    assert wrong == []


def test_a_wrong_verb_or_flag_is_found() -> None:
    text = (
        "Run `podium status hello -W --watchh`, then `resume --no-reloadd`.\n"
        "```sh\npodium frobnicate x\npodium logs JOB -F | grep --count x  # --nope\n```\n"
    )
    known = verbs()
    found = commands(text) + spans_with_a_verb(text, set(known))
    assert found == [
        ("frobnicate", []),
        ("logs", ["-F"]),
        ("status", ["-W", "--watchh"]),
        ("resume", ["--no-reloadd"]),
    ]
    assert "--watchh" not in known["status"]
    assert "--no-reloadd" not in known["resume"]
    assert "frobnicate" not in known
