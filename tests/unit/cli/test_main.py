"""`podium`'s parser: every verb's flags parse as they always did, and only the verbs that the
arguments name are declared."""

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from podium.cli import exits
from podium.cli.main import build_parser, main, parser_for
from podium.cli.verbs import COMMANDS, NAMES

# Every verb's (and sub-action's) positionals, upper case, and options: a flag that goes
# missing or changes its name breaks this table.
ARGUMENTS = {
    "run": "SCORE --dry-run -n --show-prompts --wait --no-wait --detach --start-sheet -s "
    "--workspace -w --fresh --rehearse --no-start --conductor-env --idempotency-key --json",
    "validate": "FILE --json --verbose -v",
    "init": "NAME --path -p --force -f",
    "status": "JOB --json --watch -W --interval -i --all-sheets",
    "list": "--all -a --status -s --limit -l --json",
    "history": "JOB --sheet -b --limit -n --json",
    "errors": "JOB --sheet -b --type -t --code -c --verbose -V --json",
    "diagnose": "JOB --include-logs --json",
    "logs": "JOB --follow -F --lines -n --sheet -b --json",
    "top": "--readonly --json --once",
    "web": "--port --host --allow-remote --open --readonly --new-token --print-url",
    "mcp": "--readonly --http --port",
    "pause": "JOB --force --wait --timeout -t --json",
    "resume": "JOB --no-reload --config -c --force -f --keep-env --json",
    "modify": "JOB SCORE --config -c --resume -r --wait --json",
    "cancel": "JOB --json",
    "kill": "JOB SHEET --json",
    "approvals": "JOB --json",
    "approve": "JOB SHEET --note --input --json --prompt --replace",
    "reject": "JOB SHEET --note --input --json",
    "skip": "JOB SHEET --note --input --json",
    "recover": "JOB --sheet -s --from-sheet --dry-run -n --json",
    "clear": "--score -j --status -s --older-than --yes -y --json",
    "rate-limits": "--json",
    "clear-rate-limits": "INSTRUMENT --instrument -i --json",
    "instruments": "",
    "instruments list": "--json --score",
    "instruments check": "NAME --json --score",
    "completion": "SHELL",
    "doctor": "--json --repair",
    "start": "--foreground -f --config --profile -p --log-level -l",
    "stop": "--drain --force",
    "restart": "--foreground -f --config --profile -p --log-level -l --drain",
    "conductor-status": "--json",
    "config": "",
    "config show": "--config --json",
    "config path": "--config",
    "config check": "--config --json",
    "config set": "--config KEY VALUE",
    "config init": "--config --force -f",
    "service": "",
    "service install": "--platform --env-file --no-path --force --dry-run --config --profile -p "
    "--log-level -l",
    "service uninstall": "--platform",
    "service status": "--platform --json",
}


def verb_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    found: argparse.ArgumentParser = subparsers(parser).choices[name]
    return found


def subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def parsers(parser: argparse.ArgumentParser, path: str) -> dict[str, argparse.ArgumentParser]:
    """`parser` and its sub-actions' parsers, by their words after `podium`."""
    found = {path: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= parsers(sub, f"{path} {name}")
    return found


def arguments(parser: argparse.ArgumentParser) -> str:
    words: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        words += action.option_strings or [action.dest.upper()]
    return " ".join(words)


def sample(action: argparse.Action) -> tuple[str, object]:
    """A word the action accepts, and the value it parses to."""
    if action.choices is not None:
        choice = list(action.choices)[-1]
        return choice, choice
    if action.type is int:
        return "3", 3
    if action.type is float:
        return "2.5", 2.5
    return "word", "word"


def required_words(parser: argparse.ArgumentParser) -> list[str]:
    return [
        sample(a)[0]
        for a in parser._actions
        if not a.option_strings
        and a.nargs is None
        and not isinstance(a, argparse._SubParsersAction)
    ]


def every_verb() -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for name, _ in COMMANDS:
        found |= parsers(verb_parser(build_parser(name), name), name)
    return found


def test_every_verb_declares_the_arguments_it_always_had() -> None:
    assert {path: arguments(p) for path, p in every_verb().items()} == ARGUMENTS


@pytest.mark.parametrize("path", sorted(ARGUMENTS))
def test_every_flag_of_every_verb_parses(path: str) -> None:
    parser = every_verb()[path]
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        return  # its sub-actions are parsed on their own
    words = [*path.split(), *required_words(parser)]
    assert vars(build_parser(words[0]).parse_args(words))["command"] == words[0]
    for action in parser._actions:
        for flag in action.option_strings:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.nargs == 0:
                extra, expected = [flag], action.const
            else:
                word, value = sample(action)
                extra = [flag, word]
                expected = [value] if isinstance(action, argparse._AppendAction) else value
            args = build_parser(words[0]).parse_args([*words, *extra])
            assert getattr(args, action.dest) == expected, (path, flag)


def test_podium_alone_or_with_help_declares_no_verb() -> None:
    for words in ([], ["--help"], ["-V"], ["stat"]):
        verbs = subparsers(parser_for(words)).choices
        assert set(verbs) == NAMES
        assert all(arguments(p) == "" for p in verbs.values()), words


def test_a_verb_first_is_the_only_one_built() -> None:
    assert set(subparsers(parser_for(["status", "--json"])).choices) == {"status"}
    parser = parser_for(["--bogus", "list", "status"])
    declared = {name for name, p in subparsers(parser).choices.items() if arguments(p)}
    assert declared == {"list", "status"}


def test_main_runs_the_verb_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "demo", "--path", str(tmp_path)]) == exits.OK
    assert (tmp_path / "demo.yaml").is_file()
    assert main([]) == exits.USER
    assert "usage: podium" in capsys.readouterr().out


def test_declaring_a_verb_loads_no_score_model() -> None:
    """`podium VERB --help` and the shell's completions declare the verb's arguments: that
    must not load pydantic, Jinja or YAML, which only running a verb may need."""
    probe = textwrap.dedent("""
        import sys
        from podium.cli.main import build_parser
        from podium.cli.verbs import NAMES
        for name in sorted(NAMES):
            build_parser(name)
        print(sorted({m.split(".")[0] for m in sys.modules} & {"jinja2", "pydantic", "yaml"}))
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
