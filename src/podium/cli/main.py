"""The `podium` entry point: the top-level parser, and the dispatch to the verb asked for.

Each verb declares its arguments and runs in its own module (`podium.cli.commands`); only the
one asked for is imported, so that `podium status` never loads what `podium run` needs."""

import argparse
import os
import sys
from collections.abc import Collection, Sequence

from podium import __version__
from podium.cli import exits
from podium.cli.arguments import Formatter
from podium.cli.errors import run_reporting_errors
from podium.cli.verbs import COMMANDS, NAMES, load

__all__ = ["COMMANDS", "build_parser", "main", "parser_for"]

EPILOG = """\
exit codes: 0 ok · 1 internal error · 2 bad input (score, job, argument) ·
            3 the followed job did not complete · 4 the conductor is not running ·
            5 pause --wait timed out (the job goes on) ·
            6 no answer came: the conductor stopped or did not answer in time (what
              was asked may be done) ·
            130 interrupted while following (the job goes on);
            validate: 0 valid · 1 invalid · 2 cannot validate (unreadable, not YAML)

The conductor keeps its state in $XDG_STATE_HOME/podium (or $PODIUM_HOME) and listens on
$XDG_RUNTIME_DIR/podium.sock (or $PODIUM_SOCKET)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command or, given a `command`, of that one alone: declaring all
    of them imports every verb's module, which takes longer than most commands run."""
    if command is None:
        return _parser(COMMANDS, declared=NAMES)
    return _parser([verb for verb in COMMANDS if verb[0] == command], declared={command})


def parser_for(words: Sequence[str]) -> argparse.ArgumentParser:
    """The parser that `words` (the arguments) need: the verb they start with, alone; else
    every verb, the arguments declared of those named in `words` (one of them may be the verb
    run, the rest appear in `podium --help`)."""
    if words and words[0] in NAMES:
        return build_parser(words[0])
    return _parser(COMMANDS, declared=NAMES.intersection(words))


def _parser(
    verbs: Sequence[tuple[str, str]], *, declared: Collection[str]
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium",
        description="Podium conducts long-running, multi-stage work done by "
        "command-line tools and AI coding agents.",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", "-V", action="version", version=f"podium {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in verbs:
        p = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            formatter_class=Formatter,
        )
        if name in declared:
            load(name).declare(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `podium` on `argv` (default: the process's arguments); the exit code."""
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (`podium completion`)
        from podium.cli.completion import complete, typed_words  # noqa: PLC0415 - only then

        complete(_parser(COMMANDS, declared=NAMES.intersection(typed_words())))
    words = sys.argv[1:] if argv is None else list(argv)
    parser = parser_for(words)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return exits.USER
    return run_reporting_errors(load(args.command).run, args)


if __name__ == "__main__":
    sys.exit(main())
