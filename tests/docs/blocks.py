"""The shell blocks of a markdown document, and the one bash script that runs them in order.

A block takes part only through a marker: an HTML comment on the line just before its fence,
invisible on GitHub. In a document that has any marker, every ```sh, ```bash and ```console
block must have one, so that a new command cannot slip in untested by forgetting it:

    <!-- test: run -->              run it; a command that fails fails the test
    <!-- test: run if claude -->    run it when `claude` is installed; else the document runs
                                    without it (its later blocks must not need it)
    <!-- test: background -->       start it in a session of its own and go on once it has
                                    printed (a ```console block: once it printed every output
                                    line the document shows); stopped at the end
    <!-- test: file NAME -->        any language: the block's text is written to NAME
    <!-- test: skip REASON -->      not run, for the reason given (it installs software, needs
                                    an account, spends money...)

In ```console blocks, `$ ` starts a command (a trailing backslash continues it) and the other
lines are its output; for `run`, every output line shown but `...` must appear in what the
block printed. The blocks run in order in one bash session (`set -euo pipefail`), so an
`export` or a `cd` carries over, in a folder holding a copy of the repository's `examples/`.
The documented ports of the scripted provider, 8765 and 8766, are replaced by free ones.
"""

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SHELLS = frozenset({"sh", "bash", "console"})
MARKER = re.compile(
    r"^<!--\s*test:\s*(?P<action>run|background|file|skip)\b\s*(?P<rest>.*?)\s*-->$"
)
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
EOF_WORD = "PODIUM_DOC_BLOCK_END"


class MarkerError(ValueError):
    """A block is marked wrongly, or a shell block is not marked in a tested document."""


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts (1-based line of its fence), its language, its marker
    (`action` and what follows it, None when unmarked) and its text."""

    path: str
    line: int
    lang: str
    text: str
    action: str | None = None
    argument: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def needs(self) -> str | None:
        """The program a `run if PROGRAM` block needs."""
        words = self.argument.split()
        return words[1] if self.action == "run" and len(words) == 2 and words[0] == "if" else None


def blocks(path: str, text: str) -> list[Block]:
    """Every fenced block of a markdown text, with the marker just before it."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = _closing(lines, index, opening["fence"])
        marker = MARKER.match(lines[index - 1].strip()) if index > 0 else None
        found.append(
            Block(
                path,
                index + 1,
                opening["lang"],
                "\n".join(lines[index + 1 : end]) + "\n",
                marker["action"] if marker else None,
                marker["rest"] if marker else "",
            )
        )
        index = end + 1
    return found


def _closing(lines: list[str], start: int, fence: str) -> int:
    for index in range(start + 1, len(lines)):
        if lines[index].strip() == fence:
            return index
    raise MarkerError(f"line {start + 1}: a {fence} block is never closed")


def checked(found: Iterable[Block]) -> list[Block]:
    """The blocks, once every shell block has a well-formed marker."""
    found = list(found)
    for block in found:
        if block.action is None and block.lang in SHELLS:
            raise MarkerError(
                f"{block.where}: a ```{block.lang} block without a marker; put one of "
                "<!-- test: run|run if PROGRAM|background|file NAME|skip REASON --> before it"
            )
        problem = _marker_problem(block)
        if problem:
            raise MarkerError(f"{block.where}: {problem}")
    return found


def _marker_problem(block: Block) -> str | None:
    if block.action == "file" and len(block.argument.split()) != 1:
        return "<!-- test: file NAME --> names one file"
    if block.action == "skip" and not block.argument:
        return "<!-- test: skip REASON --> says why the block is not run"
    if block.action in {"run", "background"} and block.lang not in SHELLS:
        return f"only shell blocks run, not ```{block.lang}"
    if block.action == "run" and block.argument and block.needs is None:
        return "write <!-- test: run --> or <!-- test: run if PROGRAM -->"
    return None


@dataclass(frozen=True)
class Console:
    """A ```console block: its commands (continuations joined) and the output it shows."""

    commands: list[str]
    output: list[str]


def console(text: str) -> Console:
    commands: list[str] = []
    output: list[str] = []
    continuing = False
    for line in text.splitlines():
        if continuing:
            commands[-1] += "\n" + line
        elif line.startswith("$ "):
            commands.append(line[2:])
        elif line.strip() and line.strip() != "...":
            output.append(line)
            continue
        continuing = line.endswith("\\")
    return Console(commands, output)


PRELUDE = """\
set -euo pipefail
mkdir -p .doc
podium_doc_has() {  # log, expected: does the log hold every line of the expected file?
    [ -s "$1" ] || return 1
    while IFS= read -r line; do grep -qF -- "$line" "$1" || return 1; done < "$2"
}
podium_doc_wait() {  # where, log, expected: wait until the log holds them, or give up
    local deadline=$((SECONDS + 60))
    until podium_doc_has "$2" "$3"; do
        if ((SECONDS > deadline)); then
            echo "$1: gave up waiting for its output; it printed:" >&2
            cat "$2" >&2
            return 1
        fi
        sleep 0.05
    done
}
"""


def script(found: Iterable[Block], programs: frozenset[str], ports: Mapping[str, str]) -> str:
    """The bash script that runs the marked blocks in order; `programs` are installed, `ports`
    replace the documented ones. Files of its own go to `.doc/` in the folder it runs in."""
    parts = [PRELUDE]
    for number, block in enumerate(found):
        if block.action in {None, "skip"} or (block.needs and block.needs not in programs):
            continue
        text = _with_ports(block.text, ports)
        parts.append(f"printf '\\n== %s\\n' {shlex.quote(block.where)}\n")
        parts.append(_step(block, text, number))
    return "".join(parts)


def _with_ports(text: str, ports: Mapping[str, str]) -> str:
    for documented, free in ports.items():
        text = re.sub(rf"\b{documented}\b", free, text)
    return text


def _step(block: Block, text: str, number: int) -> str:
    where = shlex.quote(block.where)
    if block.action == "file":
        name = shlex.quote(block.argument.strip())
        return f"cat > {name} <<'{EOF_WORD}'\n{text}{EOF_WORD}\n"
    shown = console(text) if block.lang == "console" else Console([text], [])
    commands = "\n".join(shown.commands) + "\n"
    out, expected = f".doc/out-{number}", f".doc/expected-{number}"
    lines = "".join(line + "\n" for line in shown.output)
    expect = f"cat > {expected} <<'{EOF_WORD}'\n{lines}{EOF_WORD}\n"
    if block.action == "background":
        return (
            f"cat > .doc/block-{number}.sh <<'{EOF_WORD}'\n{commands}{EOF_WORD}\n{expect}"
            f"setsid bash .doc/block-{number}.sh > {out} 2>&1 < /dev/null &\n"
            f"echo $! >> .doc/background.pids\n"
            f"podium_doc_wait {where} {out} {expected}\n"
        )
    if not shown.output:
        return commands
    return (
        f"{expect}{{\n{commands}}} > {out} 2>&1\ncat {out}\n"
        f"podium_doc_has {out} {expected} || {{ echo {where}: "
        "'its output lacks a line the document shows' >&2; exit 1; }\n"
    )


def document(path: Path, root: Path) -> list[Block]:
    """The blocks of the markdown file at `path`, named relative to `root`."""
    return blocks(str(path.relative_to(root)), path.read_text())


def takes_part(found: Iterable[Block]) -> bool:
    """Whether a document takes part: it marks at least one block."""
    return any(block.action is not None for block in found)
