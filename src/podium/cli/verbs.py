"""The verbs of `podium`, in the order `podium --help` lists them: each one's name and summary.

A verb's arguments and handler live in `podium.cli.commands.<name>` (dashes as underscores),
imported only when that verb is asked for: importing every one would load the score model,
YAML and pydantic, which `podium status` never needs. (Nor does this module import `typing`:
`podium --help` has no other use for it.)"""

from __future__ import annotations

import argparse
import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class VerbModule(Protocol):
        """What every module of `podium.cli.commands` holds."""

        def declare(self, parser: argparse.ArgumentParser) -> None:
            """Add the verb's arguments to its parser."""

        def run(self, args: argparse.Namespace) -> int:
            """Do what the parsed arguments ask; the exit code."""


COMMANDS: tuple[tuple[str, str], ...] = (
    ("run", "submit a score (or a fleet of scores) to the conductor (starting it if needed)"),
    ("validate", "check a score (schema, references, Marianne's checks) and show its sheets"),
    ("init", "write a starter score that runs as it is"),
    ("status", "a job's sheets, a fleet's groups and jobs, or the conductor and its jobs"),
    ("list", "jobs (and fleets): the active ones, all with --all, or jobs with a --status"),
    (
        "history",
        "every attempt of a job: when, what ran it, how it ended, its checks and output",
    ),
    ("errors", "a job's failed attempts, by sheet: class, code, message"),
    (
        "diagnose",
        "one report on a failed or stuck job: errors, timeline, files, instruments, next steps",
    ),
    (
        "logs",
        "the output of a job's attempts (or the conductor's log), optionally followed live",
    ),
    (
        "top",
        "watch the conductor live: its load, jobs, sheets and attempts' processes, with "
        "keys to pause, resume, cancel and retry",
    ),
    (
        "web",
        "the dashboard in a browser: every job live, its sheets' graph, timeline, output, "
        "costs, questions waiting for a person, and actions",
    ),
    (
        "mcp",
        "serve the conductor's verbs as MCP tools for an agent (status, errors, logs, run, "
        "pause, resume, cancel, approvals), over stdio or HTTP",
    ),
    (
        "pause",
        "pause a job (or a fleet): nothing new starts; attempts in flight finish (or stop, "
        "with --force)",
    ),
    (
        "resume",
        "resume a paused, failed or cancelled job: unfinished sheets run again, "
        "completed ones never (a completed job runs again whole with --force); a fleet's "
        "paused jobs resume and its waiting groups may start",
    ),
    ("modify", "give a job a new score: it pauses, lets attempts in flight finish, resumes on it"),
    ("cancel", "cancel a job (or a fleet): its running attempts are stopped"),
    (
        "kill",
        "stop one sheet's running attempt now: the sheet runs again, its retries untouched",
    ),
    ("approvals", "the questions sheets wait on (approval gates), oldest first"),
    ("approve", "approve a sheet that waits for a person (optionally with a new prompt)"),
    ("reject", "reject a sheet that waits for a person: it fails"),
    ("skip", "skip a sheet that waits for a person: the sheets after it run"),
    (
        "recover",
        "check a failed job's failed sheets again without running them (those whose "
        "validations pass now are completed), or reset sheets with --from-sheet",
    ),
    (
        "clear",
        "remove finished jobs from the registry, with their state folders and kept git "
        "worktrees (never their workspaces or branches)",
    ),
    ("rate-limits", "the instruments waiting for a rate limit to end, and until when"),
    ("clear-rate-limits", "end rate-limit waits now (all, or one instrument's)"),
    ("instruments", "the instruments (agent CLIs) Podium knows: list them, or check one"),
    (
        "completion",
        "print the shell code that completes podium's commands, options and job ids",
    ),
    (
        "doctor",
        "check that Podium can run here: Python, the conductor, instruments, disk, socket; "
        "--repair brings back a damaged database",
    ),
    ("start", "start the conductor in the background"),
    ("stop", "stop the conductor; running attempts go on and are picked up at the next start"),
    (
        "restart",
        "stop the conductor and start it again; running attempts go on and are re-attached",
    ),
    (
        "conductor-status",
        "whether the conductor runs, and how it is doing (resource pressure included)",
    ),
    ("config", "the conductor's settings (conductor.yaml): show, set, path, init, check"),
    (
        "service",
        "run the conductor as a service of yours (systemd on Linux, launchd on macOS): "
        "install, uninstall, status",
    ),
)
"""Each verb's name and summary: one line for `podium --help`, which, capitalised, opens
`podium <name> --help`."""

NAMES = frozenset(name for name, _ in COMMANDS)


def module_name(verb: str) -> str:
    """The module of `verb`, which declares its arguments and runs it."""
    return f"podium.cli.commands.{verb.replace('-', '_')}"


def load(verb: str) -> VerbModule:
    """The module of `verb` (imported now, unless it already was)."""
    # Any module passes for a VerbModule here; tests/unit/cli/test_verbs.py checks each one.
    return importlib.import_module(module_name(verb))
