"""The `podium` entry point: one argparse parser for every command, handlers loaded on demand."""

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from podium import __version__
from podium.cli import exits
from podium.cli.errors import run_reporting_errors

EPILOG = """\
exit codes: 0 ok · 1 internal error · 2 bad input (score, job, argument) ·
            3 the followed job did not complete · 4 the conductor is not running ·
            130 interrupted while following (the job goes on);
            validate: 0 valid · 1 invalid · 2 cannot validate (unreadable, not YAML)

The conductor keeps its state in $XDG_STATE_HOME/podium (or $PODIUM_HOME) and listens on
$XDG_RUNTIME_DIR/podium.sock (or $PODIUM_SOCKET)."""


def _stop(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--drain",
        action="store_true",
        help="start nothing new and wait for the running attempts to end, then stop",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="stop even though jobs are running (their attempts go on and are picked up at "
        "the next start)",
    )


def _run(p: argparse.ArgumentParser) -> None:
    p.add_argument("score", help="the score file (YAML)")
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="show the plan (sheets, instruments, dependencies) and submit nothing",
    )
    p.add_argument(
        "--show-prompts",
        action="store_true",
        help="with --dry-run: also render every sheet's prompt",
    )
    wait = p.add_mutually_exclusive_group()
    wait.add_argument(
        "--wait",
        dest="wait",
        action="store_true",
        default=None,
        help="follow the job until it ends (the default on a terminal)",
    )
    wait.add_argument(
        "--no-wait",
        "--detach",
        dest="wait",
        action="store_false",
        help="submit and return at once (the default when not on a terminal)",
    )
    p.add_argument(
        "--start-sheet",
        "-s",
        type=int,
        default=1,
        metavar="N",
        help="skip the sheets before sheet N (they count as done for dependencies)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="archive the workspace's previous contents first (the score's "
        "workspace_lifecycle says where); without archive_on_fresh it is left as it is",
    )
    p.add_argument(
        "--no-start",
        action="store_true",
        help="fail instead of starting the conductor when it is not running",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the submission (or with --dry-run, the plan) as JSON",
    )


def _status(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", nargs="?", help="a job id; without it, the conductor and its jobs")
    p.add_argument("--json", action="store_true", help="print JSON")


def _list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", "-a", action="store_true", help="include finished jobs, newest first")
    p.add_argument("--limit", "-l", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _start(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--foreground",
        "-f",
        action="store_true",
        help="run in this terminal, logging here, until Ctrl-C",
    )
    p.add_argument("--config", help="conductor.yaml to use instead of the default")


def _validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a score or a fleet file (YAML)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="also show the sheet plan")


def _init(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", default="my-score", help="the score's name (my-score)")
    p.add_argument("--path", "-p", default=".", help="the folder to write it in (here)")
    p.add_argument("--force", "-f", action="store_true", help="overwrite an existing file")


def _pause(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument(
        "--force",
        action="store_true",
        help="stop the running attempts now (they run again on resume, budget untouched) "
        "instead of letting them finish",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _resume(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument(
        "--no-reload",
        action="store_true",
        help="go on with the score the job was submitted with, not the file as it is now",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _modify(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument("score", help="the new score file")
    p.add_argument("--json", action="store_true", help="print JSON")


def _job(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument("--json", action="store_true", help="print JSON")


def _clear_rate_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument("instrument", nargs="?", help="only this instrument's (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _instruments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="instruments_command", metavar="ACTION", required=True)
    listing = sub.add_parser(
        "list",
        help="every instrument profile, and whether its program is installed",
        description="Every instrument profile (built-in, yours, the project's) and whether "
        "its program is installed.",
        formatter_class=_Formatter,
    )
    checking = sub.add_parser(
        "check",
        help="whether one instrument can run here: program, version, models, credentials",
        description="Whether one instrument can run here: its program and version, models, "
        "credentials. Exit code 0: it can run; 1: something is missing; 2: unknown name.",
        formatter_class=_Formatter,
    )
    checking.add_argument("name", help="the instrument's name")
    for action, target in ((listing, "list_main"), (checking, "check_main")):
        action.add_argument("--json", action="store_true", help="print JSON")
        action.add_argument(
            "--score",
            metavar="FILE",
            help="also see the profiles next to this score (.podium/instruments/)",
        )
        action.set_defaults(target=f"podium.cli.cmd_instruments:{target}")


def _json_only(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


Command = tuple[str, str, Callable[[argparse.ArgumentParser], None], str]
COMMANDS: tuple[Command, ...] = (
    (
        "run",
        "submit a score to the conductor (starting it if needed)",
        _run,
        "podium.cli.cmd_run:main",
    ),
    (
        "validate",
        "check a score (schema, references, Marianne's checks) and show its sheets",
        _validate,
        "podium.cli.cmd_validate:main",
    ),
    ("init", "write a starter score that runs as it is", _init, "podium.cli.cmd_init:main"),
    (
        "status",
        "a job's sheets, or the conductor and its jobs",
        _status,
        "podium.cli.cmd_status:main",
    ),
    ("list", "jobs: the active ones, or all with --all", _list, "podium.cli.cmd_status:list_main"),
    (
        "pause",
        "pause a job: nothing new starts; attempts in flight finish (or stop, with --force)",
        _pause,
        "podium.cli.cmd_control:pause",
    ),
    (
        "resume",
        "resume a paused, failed or cancelled job: unfinished sheets run again, "
        "completed ones never",
        _resume,
        "podium.cli.cmd_control:resume",
    ),
    (
        "modify",
        "give a job a new score: it pauses, lets attempts in flight finish, resumes on it",
        _modify,
        "podium.cli.cmd_control:modify",
    ),
    (
        "cancel",
        "cancel a job: its running attempts are stopped",
        _job,
        "podium.cli.cmd_control:cancel",
    ),
    (
        "rate-limits",
        "the instruments waiting for a rate limit to end, and until when",
        _json_only,
        "podium.cli.cmd_control:rate_limits",
    ),
    (
        "clear-rate-limits",
        "end rate-limit waits now (all, or one instrument's)",
        _clear_rate_limits,
        "podium.cli.cmd_control:clear_rate_limits",
    ),
    (
        "instruments",
        "the instruments (agent CLIs) Podium knows: list them, or check one",
        _instruments,
        "podium.cli.cmd_instruments:list_main",
    ),
    ("start", "start the conductor in the background", _start, "podium.cli.cmd_conductor:start"),
    (
        "stop",
        "stop the conductor; running attempts go on and are picked up at the next start",
        _stop,
        "podium.cli.cmd_conductor:stop",
    ),
    (
        "conductor-status",
        "whether the conductor runs, and how it is doing",
        _json_only,
        "podium.cli.cmd_conductor:status",
    ),
)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Reads the terminal width itself: argparse's own way imports shutil (and with it bz2 and
    lzma) on every run, help or not."""

    def __init__(self, prog: str) -> None:
        try:
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            columns = 80
        super().__init__(prog, width=max(columns - 2, 40))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium",
        description="Podium conducts long-running, multi-stage work done by "
        "command-line tools and AI coding agents.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", "-V", action="version", version=f"podium {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary, arguments, target in COMMANDS:
        p = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            formatter_class=_Formatter,
        )
        arguments(p)
        p.set_defaults(target=target)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "target", None):
        parser.print_help()
        return exits.USER
    module_name, _, function = args.target.partition(":")
    handler: Callable[[argparse.Namespace], int] = getattr(
        importlib.import_module(module_name), function
    )
    return run_reporting_errors(handler, args)


if __name__ == "__main__":
    sys.exit(main())
