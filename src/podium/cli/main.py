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
            5 pause --wait timed out (the job goes on) ·
            6 no answer came: the conductor stopped or did not answer in time (what
              was asked may be done) ·
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
    p.add_argument("score", help="the score file, or a fleet file (type: fleet; docs/fleets.md)")
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="show the plan (sheets, instruments, dependencies; for a fleet, its groups in "
        "order) and submit nothing",
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
        help="follow the job (or every job of the fleet) until it ends (the default on a terminal)",
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
        "--workspace",
        "-w",
        metavar="DIR",
        help="run in this folder instead of the score's workspace (created if missing; the job "
        "keeps it through resume and modify)",
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
        "--idempotency-key",
        metavar="KEY",
        help="name this submission, so that running it again with the same KEY gives back the "
        "job (or fleet) accepted then instead of a second one (safe to retry after the "
        "conductor gave no answer, exit code 6); default: a fresh key each run",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the submission (or with --dry-run, the plan) as JSON",
    )


def _status(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job",
        nargs="?",
        help="a job id, or a fleet id (its groups in order, each member's job); without it, "
        "the conductor and its jobs",
    )
    p.add_argument(
        "--json", action="store_true", help="print JSON (with --watch: one line per interval)"
    )
    p.add_argument(
        "--watch",
        "-W",
        action="store_true",
        help="redraw the view every interval until the job completes, fails or pauses (the "
        "exit code says which, as after 'run --wait'), or until Ctrl-C (exit 0; the job goes "
        "on); not on a terminal, print a snapshot every interval",
    )
    p.add_argument(
        "--interval",
        "-i",
        type=float,
        metavar="SECONDS",
        help="with --watch: seconds between two views (default 2, at least 0.2)",
    )
    p.add_argument(
        "--all-sheets",
        action="store_true",
        help="one row per sheet even for a job of more than 50 sheets (which are summed up "
        "by default)",
    )
    # The commands this podium has, for the view's hints to name only those.
    p.set_defaults(commands=frozenset(name for name, *_ in COMMANDS))


def _list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", "-a", action="store_true", help="include finished jobs, newest first")
    p.add_argument(
        "--status",
        "-s",
        action="append",
        metavar="STATUS",
        help="only jobs with this status, finished or not (repeat it, or give several "
        "separated by commas): queued, running, paused, paused_at_chain, completed, failed, "
        "cancelled",
    )
    p.add_argument("--limit", "-l", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _clear(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--score",
        "-j",
        action="append",
        metavar="JOB",
        help="only this job (repeat it for more); an active one is an error",
    )
    p.add_argument(
        "--status",
        "-s",
        action="append",
        metavar="STATUS",
        help="only jobs that ended so: completed, failed, cancelled (repeat it, or use commas)",
    )
    p.add_argument(
        "--older-than",
        metavar="AGE",
        help="only jobs that finished at least this long ago: seconds, or 30m, 12h, 7d, 2w",
    )
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="do not ask (needed when there is no terminal to ask on)",
    )
    p.add_argument("--json", action="store_true", help="print what was removed as JSON")


def _recover(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="a failed, cancelled or paused job")
    p.add_argument(
        "--sheet",
        "-s",
        type=int,
        action="append",
        metavar="N",
        help="check only sheet N (failed, cancelled or skipped; repeat it for more)",
    )
    p.add_argument(
        "--from-sheet",
        type=int,
        metavar="N",
        help="instead, put every finished sheet from N on (completed ones too) back to pending "
        "with a fresh budget; 'podium resume' then runs them",
    )
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="say what would happen (the checks run), change nothing",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _start(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--foreground",
        "-f",
        action="store_true",
        help="run in this terminal, logging here, until Ctrl-C",
    )
    p.add_argument("--config", help="conductor.yaml to use instead of the default")
    p.add_argument(
        "--profile",
        "-p",
        choices=("dev", "intensive", "minimal"),
        help="a built-in profile laid over conductor.yaml: dev (debug log, 2 jobs), intensive "
        "(48 h jobs, 16 GB, 512 processes), minimal (2 jobs, 2 sheets); see 'podium config'",
    )
    p.add_argument(
        "--log-level",
        "-l",
        choices=("debug", "info", "warning", "error"),
        help="overrides log_level (and the profile's)",
    )


def _config(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    actions = (
        ("show", "the settings in force: the running conductor's, else the file's"),
        ("path", "the conductor.yaml in use"),
        ("check", "validate conductor.yaml and show its warnings (exit 0 valid, 1 invalid)"),
        (
            "set",
            "set one setting (dotted key, YAML value) in conductor.yaml and reload a running "
            "conductor (its line is changed in place, comments kept; when it cannot be, the "
            "file is written out again without them)",
        ),
        ("init", "write a starter conductor.yaml listing every setting with its default"),
    )
    for name, summary in actions:
        action = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            formatter_class=_Formatter,
        )
        action.add_argument("--config", metavar="FILE", help="this file instead of the default")
        if name in ("show", "check"):
            action.add_argument("--json", action="store_true", help="print JSON")
        if name == "set":
            action.add_argument("key", help="a dotted key: resource_limits.max_memory_mb")
            action.add_argument("value", help="a YAML value: 4096, debug, null, {a: 1}")
        if name == "init":
            action.add_argument("--force", "-f", action="store_true", help="overwrite the file")
        action.set_defaults(target=f"podium.cli.cmd_config:{name}_main")


def _restart(p: argparse.ArgumentParser) -> None:
    _start(p)
    p.add_argument(
        "--drain",
        action="store_true",
        help="first wait for the running attempts to end (by default they go on through the "
        "restart and the new conductor re-attaches them)",
    )


def _validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a score or a fleet file (YAML)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="also show the sheet plan")


def _init(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", default="my-score", help="the score's name (my-score)")
    p.add_argument("--path", "-p", default=".", help="the folder to write it in (here)")
    p.add_argument("--force", "-f", action="store_true", help="overwrite an existing file")


def _pause(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job", help="the job id, or a fleet id (its running jobs pause, no waiting group starts)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="stop the running attempts now (they run again on resume, budget untouched) "
        "instead of letting them finish",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="return once no attempt of the job is in flight any more (exit code 5 after "
        "--timeout); a job only, a fleet refuses it",
    )
    p.add_argument(
        "--timeout",
        "-t",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --wait: give up after this long (default 60)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _resume(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job",
        help="the job id, or a fleet id (its paused jobs resume, waiting groups may start; a "
        "failed fleet's failed and cancelled jobs resume too)",
    )
    p.add_argument(
        "--no-reload",
        action="store_true",
        help="go on with the score the job was submitted with, not the file as it is now",
    )
    p.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        help="go on with this score file instead (it becomes the job's, as with modify)",
    )
    p.add_argument(
        "--force",
        "-f",
        action="store_true",
        help="also resume a completed job: every sheet runs again, with a fresh budget",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _modify(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument("score", nargs="?", help="the new score file (or --config FILE)")
    p.add_argument("--config", "-c", metavar="FILE", help="the new score file")
    p.add_argument(
        "--resume",
        "-r",
        action="store_true",
        help="a paused job goes on at once with the new score (without it, it stays paused "
        "until 'podium resume'); a running job always goes on",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="then follow the job until it ends or pauses, as 'run --wait' does",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _job(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job", help="the job id, or a fleet id (its active jobs are cancelled, no group starts)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _clear_rate_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument("instrument", nargs="?", help="only this instrument's (default: all)")
    p.add_argument(
        "--instrument",
        "-i",
        dest="instrument_option",
        metavar="INSTRUMENT",
        help="the same, as an option",
    )
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


def _completion(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "shell",
        choices=("bash", "zsh", "fish", "tcsh", "powershell"),
        help="the shell to complete in",
    )
    p.epilog = (
        'bash:  eval "$(podium completion bash)"   (in ~/.bashrc)\n'
        'zsh:   eval "$(podium completion zsh)"    (in ~/.zshrc)\n'
        "fish:  podium completion fish > ~/.config/fish/completions/podium.fish"
    )


def _sheet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet", "-b", type=int, metavar="N", help="only sheet N")


def _history(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    _sheet_option(p)
    p.add_argument("--limit", "-n", type=int, default=50, help="the latest N attempts (default 50)")
    p.add_argument(
        "--json", action="store_true", help="print JSON (with the last 20 lines of each stream)"
    )


def _errors(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    _sheet_option(p)
    p.add_argument(
        "--type",
        "-t",
        choices=("transient", "rate_limit", "permanent"),
        help="only this kind: transient (E0xx: timeouts, crashes, failed runs), rate_limit "
        "(E1xx), permanent (failed checks, authentication, an instrument that cannot start)",
    )
    p.add_argument("--code", "-c", metavar="CODE", help="only this error code (E001, E204…)")
    p.add_argument(
        "--verbose",
        "-V",
        action="store_true",
        help="also the failed checks (expected, found, fix) and the end of stdout and stderr",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _diagnose(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="the job id")
    p.add_argument(
        "--include-logs",
        action="store_true",
        help="append the last 50 lines of each failed attempt's stdout and stderr",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _logs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "job", nargs="?", help="a job id: its attempts' output; without it, the conductor's log"
    )
    p.add_argument(
        "--follow",
        "-F",
        action="store_true",
        help="keep printing as output arrives, moving on to new attempts and sheets, until the "
        "job stops; the conductor's log until Ctrl-C (Ctrl-C exits 130)",
    )
    p.add_argument(
        "--lines", "-n", type=int, default=50, help="start with the last N lines (default 50)"
    )
    _sheet_option(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON lines: one object per chunk of output (or the conductor's log as written)",
    )


def _json_only(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def _doctor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--repair",
        action="store_true",
        help="bring back a lost or damaged database (the conductor stopped; see below)",
    )
    p.epilog = (
        "When the conductor refuses to start because its database is damaged, or knows no\n"
        "job while job folders exist (a -wal file lost after a crash, say), stop it and run\n"
        "'podium doctor --repair'. It moves the database aside (never deletes it), restores\n"
        "the newest backup that passes an integrity check (the conductor keeps the last 7,\n"
        "one a day and one before each schema change, in <state>/backups/), then registers\n"
        "every job folder the database does not know from what its files prove: its card\n"
        "(job.json) and its attempts' exit files. Sheets it cannot prove completed are\n"
        "pending; such jobs are paused, to be resumed. It prints what it restored and what\n"
        "it could not prove.\n\n"
        "To restore a backup yourself instead: 'podium stop', move podium.db, podium.db-wal\n"
        "and podium.db-shm aside, copy the backup to <state>/podium.db, 'podium start'."
    )


Command = tuple[str, str, Callable[[argparse.ArgumentParser], None], str]
COMMANDS: tuple[Command, ...] = (
    (
        "run",
        "submit a score (or a fleet of scores) to the conductor (starting it if needed)",
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
        "a job's sheets, a fleet's groups and jobs, or the conductor and its jobs",
        _status,
        "podium.cli.cmd_status:main",
    ),
    (
        "list",
        "jobs (and fleets): the active ones, all with --all, or jobs with a --status",
        _list,
        "podium.cli.cmd_status:list_main",
    ),
    (
        "history",
        "every attempt of a job: when, what ran it, how it ended, its checks and output",
        _history,
        "podium.cli.cmd_history:history_main",
    ),
    (
        "errors",
        "a job's failed attempts, by sheet: class, code, message",
        _errors,
        "podium.cli.cmd_history:errors_main",
    ),
    (
        "diagnose",
        "one report on a failed or stuck job: errors, timeline, files, instruments, next steps",
        _diagnose,
        "podium.cli.cmd_diagnose:main",
    ),
    (
        "logs",
        "the output of a job's attempts (or the conductor's log), optionally followed live",
        _logs,
        "podium.cli.cmd_logs:main",
    ),
    (
        "pause",
        "pause a job (or a fleet): nothing new starts; attempts in flight finish (or stop, "
        "with --force)",
        _pause,
        "podium.cli.cmd_control:pause",
    ),
    (
        "resume",
        "resume a paused, failed or cancelled job: unfinished sheets run again, "
        "completed ones never (a completed job runs again whole with --force); a fleet's "
        "paused jobs resume and its waiting groups may start",
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
        "cancel a job (or a fleet): its running attempts are stopped",
        _job,
        "podium.cli.cmd_control:cancel",
    ),
    (
        "recover",
        "check a failed job's failed sheets again without running them (those whose "
        "validations pass now are completed), or reset sheets with --from-sheet",
        _recover,
        "podium.cli.cmd_jobs:recover",
    ),
    (
        "clear",
        "remove finished jobs from the registry, with their state folders and kept git "
        "worktrees (never their workspaces or branches)",
        _clear,
        "podium.cli.cmd_jobs:clear",
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
    (
        "completion",
        "print the shell code that completes podium's commands, options and job ids",
        _completion,
        "podium.cli.completion:main",
    ),
    (
        "doctor",
        "check that Podium can run here: Python, the conductor, instruments, disk, socket; "
        "--repair brings back a damaged database",
        _doctor,
        "podium.cli.cmd_doctor:main",
    ),
    ("start", "start the conductor in the background", _start, "podium.cli.cmd_conductor:start"),
    (
        "stop",
        "stop the conductor; running attempts go on and are picked up at the next start",
        _stop,
        "podium.cli.cmd_conductor:stop",
    ),
    (
        "restart",
        "stop the conductor and start it again; running attempts go on and are re-attached",
        _restart,
        "podium.cli.cmd_conductor:restart",
    ),
    (
        "conductor-status",
        "whether the conductor runs, and how it is doing (resource pressure included)",
        _json_only,
        "podium.cli.cmd_conductor:status",
    ),
    (
        "config",
        "the conductor's settings (conductor.yaml): show, set, path, init, check",
        _config,
        "podium.cli.cmd_config:show_main",
    ),
)


_NAMES = frozenset(name for name, *_ in COMMANDS)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Reads the terminal width itself: argparse's own way imports shutil (and with it bz2 and
    lzma) on every run, help or not."""

    def __init__(self, prog: str) -> None:
        try:
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            columns = 80
        super().__init__(prog, width=max(columns - 2, 40))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command or, given a `command`, of that one alone: building all
    thirty takes longer than most commands run."""
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
        if command is not None and name != command:
            continue
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
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (`podium completion`)
        from podium.cli.completion import complete  # noqa: PLC0415 - only when completing

        complete(build_parser())
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words and words[0] in _NAMES else None)
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
