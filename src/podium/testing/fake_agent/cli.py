"""`podium-fake-agent`: the command line, and one run from prompt to exit."""

import argparse
import io
import json
import os
import re
import resource
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from podium.domain.checklist import CHECKS_FILE_ENV, read_checklist
from podium.domain.validation import ValidationRule
from podium.testing.fake_agent import script
from podium.testing.fake_agent.actions import (
    Action,
    AuthError,
    Crash,
    Hang,
    Overloaded,
    RateLimit,
    ScriptError,
    directives,
)
from podium.testing.fake_agent.perform import Performance, perform
from podium.testing.fake_agent.record import Call, Record
from podium.testing.fake_agent.regex_text import keep_cache_in
from podium.testing.fake_agent.reply import api_error, as_json, default_reply, estimate
from podium.testing.fake_agent.satisfy import satisfy

VERSION = "1.0"
PROG = "podium-fake-agent"
SCRIPT_ENV = "PODIUM_FAKE_AGENT_SCRIPT"
SCRIPT_FILE = ".fake-agent.yaml"
DEFAULT_MODEL = "fake-model"
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, read."""

    prompt: str | None
    """The prompt text, or None to read it from stdin."""
    prompt_file: str | None
    model: str
    json: bool
    satisfy: bool = False
    """Do what the attempt's checks ask (see `podium.testing.fake_agent.satisfy`)."""
    checks: str | None = None
    """The checks file; None: the one `$PODIUM_CHECKS_FILE` names."""


def parser() -> argparse.ArgumentParser:
    """The flags `podium-fake-agent` takes."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description="An offline, deterministic stand-in for a coding agent CLI. It follows "
        "'FAKE-AGENT: <action>' lines of its prompt and the rules of ./.fake-agent.yaml.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "-p", dest="prompt", metavar="PROMPT", help="the prompt ('-': read it from stdin)"
    )
    source.add_argument("--prompt-file", metavar="PATH", help="read the prompt from this file")
    p.add_argument("--model", "-m", default=DEFAULT_MODEL, help="the model name to report")
    p.add_argument("--output-format", choices=("text", "json"), default="text")
    p.add_argument(
        "--yes",
        "--dangerously-skip-permissions",
        action="store_true",
        help="accepted; the fake agent never asks",
    )
    p.add_argument(
        "--satisfy",
        action="store_true",
        help="also do what the sheet's checks ask: write the files and the text that its "
        f"file and content checks want (the checks file is named by ${CHECKS_FILE_ENV}); "
        "checks it cannot satisfy (command_succeeds) are named on stderr",
    )
    p.add_argument(
        "--checks",
        metavar="PATH",
        help=f"with --satisfy: read the checks from this file instead of ${CHECKS_FILE_ENV}",
    )
    p.add_argument("--version", action="version", version=f"{PROG} {VERSION}")
    ignored = p.add_argument_group("accepted and ignored, as Claude Code takes them")
    for flag in ("--strict-mcp-config", "--verbose"):
        ignored.add_argument(flag, action="store_true")
    for flag in ("--mcp-config", "--system-prompt", "--append-system-prompt", "--allowedTools"):
        ignored.add_argument(flag, metavar="VALUE")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake agent once; the exit code is what it was told to exit with."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    args = parser().parse_args(argv)
    if args.checks and not args.satisfy:
        return _fail("--checks goes with --satisfy")
    options = Options(
        args.prompt,
        args.prompt_file,
        args.model,
        args.output_format == "json",
        satisfy=args.satisfy,
        checks=args.checks,
    )
    _utf8(sys.stdout)
    cwd = Path.cwd()
    try:
        prompt = _read_prompt(options, cwd)
    except ScriptError as exc:
        return _fail(str(exc))
    return _Run(options, cwd, prompt, list(sys.argv if argv is None else argv)).go()


class _Run:
    """One call: record the prompt, choose the actions, do them, answer, exit."""

    def __init__(self, options: Options, cwd: Path, prompt: str, argv: list[str]) -> None:
        self.options = options
        self.cwd = cwd
        self.prompt = prompt
        self.argv = argv
        self.record = Record.of(cwd, os.environ)
        self.prompt_file = self.record.save_prompt(prompt)
        self.rule: int | None = None
        self.actions: list[Action] = []
        self.satisfied = False
        """Whether --satisfy did the checks' work (no action ended the run first)."""

    def go(self) -> int:
        try:
            self.actions = self._plan()
            done = perform(self.actions, self.cwd, self._say)
            if self.options.satisfy and done.ending is None:
                done.done += self._satisfy()
        except ScriptError as exc:
            self._log(2, str(exc))
            return _fail(str(exc))
        return self._finish(done)

    def _satisfy(self) -> list[str]:
        """Write what the checks ask; name on stderr those it cannot satisfy."""
        rules = _checks(self.options.checks, self.cwd)
        self.satisfied = True
        keep_cache_in(_cache())
        written, planned = satisfy(rules, self.cwd)
        for unmet in planned.unmet:
            print(
                f"{PROG}: cannot satisfy {unmet.rule.summary()}: {unmet.reason}",
                file=sys.stderr,
                flush=True,
            )
        return written

    def _plan(self) -> list[Action]:
        chosen = script.choose(_rules(self.cwd), self.prompt, self.record.claim)
        self.rule = chosen.rule.number if chosen else None
        return [*(chosen.actions if chosen else ()), *directives(self.prompt)]

    def _say(self, text: str) -> None:
        if not self.options.json:
            _out(text)

    def _finish(self, done: Performance) -> int:
        ending = done.ending
        if isinstance(ending, Hang):
            self._log(None)
            _hang()
        if isinstance(ending, Crash):
            self._log(-ending.signum)
            _crash(ending.signum)
        if isinstance(ending, RateLimit | AuthError | Overloaded):
            error = api_error(ending)
            code, text, status, shown = 1, error.message, error.status, False
        else:
            code = ending.code if ending else 0
            text = "\n".join(done.said) or default_reply(self.prompt, done.done)
            status, shown = None, bool(done.said)
        self._log(code)
        if self.options.json:
            usage = estimate(self.prompt, text, done.tokens)
            model = self.options.model
            _out(as_json(text, model=model, usage=usage, is_error=code != 0, status=status))
        elif not shown:
            _out(text)
        return code

    def _log(self, exit_code: int | None, error: str | None = None) -> None:
        self.record.log(
            Call(
                time=round(time.time(), 3),
                pid=os.getpid(),
                cwd=str(self.cwd),
                model=self.options.model,
                argv=self.argv,
                prompt_file=str(self.prompt_file),
                rule=self.rule,
                actions=[_name(a) for a in self.actions] + (["satisfy"] if self.satisfied else []),
                exit_code=exit_code,
                error=error,
            )
        )


def _read_prompt(options: Options, cwd: Path) -> str:
    if options.prompt_file is not None:
        path = cwd / options.prompt_file
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ScriptError(f"cannot read the prompt file {path}: {exc.strerror}") from None
    if options.prompt is not None and options.prompt != STDIN:
        return options.prompt
    if sys.stdin is None:
        return ""
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


def _rules(cwd: Path) -> tuple[script.Rule, ...]:
    chosen = os.environ.get(SCRIPT_ENV)
    if chosen:
        path = cwd / chosen
        if not path.is_file():
            raise ScriptError(f"{SCRIPT_ENV} names {path}, which is not a file")
        return script.load(path)
    path = cwd / SCRIPT_FILE
    return script.load(path) if path.is_file() else ()


def _checks(given: str | None, cwd: Path) -> tuple[ValidationRule, ...]:
    """The rules of the checks file (`--checks`, else `$PODIUM_CHECKS_FILE`); none when
    Podium gave none (a sheet without checks)."""
    name = given or os.environ.get(CHECKS_FILE_ENV)
    if not name:
        return ()
    path = cwd / name
    try:
        return read_checklist(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ScriptError(
            f"--satisfy: cannot read the checks file {path}: {exc.strerror}"
        ) from None
    except ValueError as exc:
        raise ScriptError(f"--satisfy: the checks file {path} is not usable: {exc}") from None


def _cache() -> Path:
    """Where hypothesis keeps its Unicode table: the user's cache, shared by every workspace."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "podium" / "hypothesis"


def _name(action: Action) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(action).__name__).lower()


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def _fail(message: str) -> int:
    sys.stdout.flush()
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return 2


def _utf8(stream: object) -> None:
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(encoding="utf-8")


def _hang() -> NoReturn:
    """Wait for a signal that ends the process (SIGTERM, SIGKILL), however long it takes."""
    sys.stdout.flush()
    while True:
        signal.pause()


def _crash(signum: signal.Signals) -> NoReturn:
    """Die by `signum` with its default effect, leaving no core file in the workspace."""
    sys.stdout.flush()
    sys.stderr.flush()
    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    if signum is not signal.SIGKILL:
        signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)
